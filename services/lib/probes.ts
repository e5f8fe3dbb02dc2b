/**
 * The cheap calls deep health makes, each one the pod role already allows (components/mesh/iam.ts)
 * and each on the data path itself, not the control plane:
 * - table: GetItem of a key no item uses (dynamodb:GetItem; an empty answer is a healthy one);
 * - bucket: HeadObject of the region's sentinel object, which svc-c writes when it starts
 *   (s3:GetObject; without s3:ListBucket S3 answers 403 for a missing key, so the probe needs an
 *   object that exists: https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html);
 * - bus: PutEvents of an event no rule matches (events:PutEvents; see events.ts).
 */
import { GetItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { HEALTH_EVENT_SOURCE, putEvent } from "./events";
import type { Probe } from "./health";

export const HEALTH_ITEM_KEY = { pk: { S: "health#probe" }, sk: { S: "health#probe" } };

/** The sentinel object of a region: one per region, so replication never overwrites it. */
export const sentinelKey = (region: string): string => `health/${region}`;

export const tableProbe = (client: DynamoDBClient, tableName: string): Probe => ({
  name: "table",
  check: async (abortSignal) => {
    await client.send(new GetItemCommand({ TableName: tableName, Key: HEALTH_ITEM_KEY }), {
      abortSignal,
    });
  },
});

export const bucketProbe = (client: S3Client, bucket: string, region: string): Probe => ({
  name: "bucket",
  check: async (abortSignal) => {
    await client.send(new HeadObjectCommand({ Bucket: bucket, Key: sentinelKey(region) }), {
      abortSignal,
    });
  },
});

export const busProbe = (client: EventBridgeClient, busName: string, service: string): Probe => ({
  name: "bus",
  check: async (abortSignal) => {
    await putEvent(
      client,
      { busName, source: HEALTH_EVENT_SOURCE, detailType: "health.probe", detail: { service } },
      abortSignal,
    );
  },
});

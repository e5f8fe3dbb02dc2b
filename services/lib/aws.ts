/**
 * The AWS SDK v3 clients, configured the SDK's standard way: the region from AWS_REGION, the
 * credentials from the default chain (IRSA's web identity in the cluster), and a service's
 * endpoint from AWS_ENDPOINT_URL_<SERVICE> when set
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html; the SDK's own
 * reader is getEndpointUrlConfig in @smithy/core). The same variables are read here from the
 * service's environment object and passed explicitly, so a service started in-process with its
 * own environment uses exactly that one.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Env } from "./env";

export const ENDPOINT_VARIABLES = {
  dynamodb: "AWS_ENDPOINT_URL_DYNAMODB",
  s3: "AWS_ENDPOINT_URL_S3",
  sqs: "AWS_ENDPOINT_URL_SQS",
  eventbridge: "AWS_ENDPOINT_URL_EVENTBRIDGE",
} as const;

type ServiceId = keyof typeof ENDPOINT_VARIABLES;

function common(env: Env, service: ServiceId) {
  const endpoint = env[ENDPOINT_VARIABLES[service]] ?? env.AWS_ENDPOINT_URL;
  const key = env.AWS_ACCESS_KEY_ID;
  const secret = env.AWS_SECRET_ACCESS_KEY;
  return {
    region: env.AWS_REGION,
    ...(endpoint ? { endpoint } : {}),
    ...(key && secret
      ? {
          credentials: {
            accessKeyId: key,
            secretAccessKey: secret,
            sessionToken: env.AWS_SESSION_TOKEN,
          },
        }
      : {}),
    // Two tries: a request path should fail fast and let the caller (or the queue) retry.
    maxAttempts: 2,
  };
}

export const dynamodbClient = (env: Env) => new DynamoDBClient(common(env, "dynamodb"));

export const s3Client = (env: Env) =>
  new S3Client({
    ...common(env, "s3"),
    // A local S3 answers on one host name: path-style addressing, only off AWS.
    forcePathStyle: Boolean(env[ENDPOINT_VARIABLES.s3] ?? env.AWS_ENDPOINT_URL),
  });

export const sqsClient = (env: Env) => new SQSClient(common(env, "sqs"));

export const eventBridgeClient = (env: Env) => new EventBridgeClient(common(env, "eventbridge"));

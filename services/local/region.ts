/**
 * A region on the loopback: real local servers for the data layer (dynalite for DynamoDB, s3rver
 * for S3), the wire-level stand-ins for SQS and EventBridge, the table, bucket, queues, bus and
 * rule created with the platform's names and key schema, and (optionally) the three services and
 * a router that maps paths to them as the ingress gateway does. Used by `npm run local`, the
 * tests and the benchmark.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import dynalite from "dynalite";
import S3rver from "s3rver";
import type { Env } from "../lib/env";
import type { RunningService } from "../lib/http";
import { startSvcA } from "../svc-a/src/app";
import { startSvcB, type SvcB } from "../svc-b/src/app";
import { startSvcC } from "../svc-c/src/app";
import { EventBridgeStandIn } from "./eventbridge";
import { ACCOUNT_ID, SqsStandIn } from "./sqs";

/** What the plan names (tools/local.ts derives these from the program's naming functions). */
export interface RegionNames {
  readonly tableName: string;
  readonly bucketName: string;
  readonly busName: string;
  readonly workQueueName: string;
  readonly dlqName: string;
  /** The region's rule that routes domain events to the work queue, and its pattern. */
  readonly ruleName: string;
  readonly eventPattern: Record<string, unknown>;
  readonly maxReceiveCount: number;
  /** The work queue's visibility timeout. */
  readonly visibilityTimeoutSeconds: number;
}

export interface LocalRegionOptions {
  readonly region: string;
  readonly names: RegionNames;
  /** Path prefix -> service, as the ingress gateway routes; `healthService` answers /healthz. */
  readonly routes?: Readonly<Record<string, string>>;
  readonly healthService?: string;
  /** @default true */
  readonly services?: boolean;
  /** Extra environment for every service (e.g. shorter health caches in tests). */
  readonly serviceEnv?: Env;
  /** @default 0 (any free port) - the router's port */
  readonly routerPort?: number;
}

export const LOCAL_CREDENTIALS = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };

/**
 * dynalite on a data directory: stopping it is an outage (no new connections, the open ones
 * cut), and starting it again is a new server process on the same port and the same data, as a
 * DynamoDB endpoint coming back would be.
 */
export class LocalDynamo {
  server?: Server;
  port = 0;
  readonly dataDir = mkdtempSync(path.join(tmpdir(), "local-dynamodb-"));
  get url() {
    return `http://127.0.0.1:${this.port}`;
  }
  start(): Promise<void> {
    const server = dynalite({
      path: this.dataDir,
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => {
        this.port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }
  stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

export interface LocalRegion {
  readonly region: string;
  readonly names: RegionNames;
  readonly dynamo: LocalDynamo;
  readonly s3Url: string;
  readonly sqs: SqsStandIn;
  readonly events: EventBridgeStandIn;
  readonly workQueueUrl: string;
  /** The environment the platform would give `service` (components/mesh/workload.ts). */
  envFor(service: string): Env;
  readonly services: { a?: RunningService; b?: SvcB; c?: RunningService };
  readonly routerUrl?: string;
  stop(): Promise<void>;
}

/** The router: what the ingress gateway's VirtualServices do, on one port. */
function startRouter(
  routes: Readonly<Record<string, string>>,
  healthTarget: string | undefined,
  targets: Record<string, string>,
  port: number,
): Promise<Server> {
  const server = createServer((req, res) => {
    const url = req.url ?? "/";
    const pathOnly = url.split("?")[0];
    const prefix = Object.keys(routes).find((p) => pathOnly === p || pathOnly.startsWith(`${p}/`));
    const target =
      pathOnly === "/healthz" && healthTarget
        ? targets[healthTarget]
        : prefix
          ? targets[routes[prefix]]
          : undefined;
    if (!target) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: `no route for ${pathOnly}` }));
      return;
    }
    const upstream = request(
      `${target}${url}`,
      { method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "no healthy upstream" }));
    });
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

export async function startLocalRegion(options: LocalRegionOptions): Promise<LocalRegion> {
  const { region, names } = options;
  const dynamo = new LocalDynamo();
  await dynamo.start();
  const s3Dir = mkdtempSync(path.join(tmpdir(), "local-s3-"));
  const s3 = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: s3Dir });
  const s3Address = await s3.run();
  const s3Url = `http://127.0.0.1:${s3Address.port}`;
  const sqs = await new SqsStandIn(region).start();
  const events = await new EventBridgeStandIn(region, sqs).start();

  // The resources, created through the SDK as a deployment would have created them.
  const client = { region, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } };
  await new DynamoDBClient({ ...client, endpoint: dynamo.url }).send(
    new CreateTableCommand({
      TableName: names.tableName,
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "S" },
      ],
    }),
  );
  await new S3Client({ ...client, endpoint: s3Url, forcePathStyle: true }).send(
    new CreateBucketCommand({ Bucket: names.bucketName }),
  );
  const sqsClient = new SQSClient({ ...client, endpoint: sqs.url });
  const dlq = await sqsClient.send(new CreateQueueCommand({ QueueName: names.dlqName }));
  const dlqArn = (
    await sqsClient.send(
      new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ["QueueArn"] }),
    )
  ).Attributes?.QueueArn;
  const work = await sqsClient.send(
    new CreateQueueCommand({
      QueueName: names.workQueueName,
      Attributes: {
        VisibilityTimeout: String(names.visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqArn,
          maxReceiveCount: names.maxReceiveCount,
        }),
      },
    }),
  );
  const workArn = `arn:aws:sqs:${region}:${ACCOUNT_ID}:${names.workQueueName}`;
  const eb = new EventBridgeClient({ ...client, endpoint: events.url });
  await eb.send(new CreateEventBusCommand({ Name: names.busName }));
  await eb.send(
    new PutRuleCommand({
      Name: names.ruleName,
      EventBusName: names.busName,
      EventPattern: JSON.stringify(names.eventPattern),
    }),
  );
  await eb.send(
    new PutTargetsCommand({
      Rule: names.ruleName,
      EventBusName: names.busName,
      Targets: [{ Id: "work", Arn: workArn }],
    }),
  );

  const services: LocalRegion["services"] = {};
  const urls: Record<string, string> = {};
  const envFor = (service: string): Env => ({
    PATH: process.env.PATH,
    ...LOCAL_CREDENTIALS,
    AWS_REGION: region,
    PLATFORM_REGION: region,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    AWS_ENDPOINT_URL_S3: s3Url,
    AWS_ENDPOINT_URL_SQS: sqs.url,
    AWS_ENDPOINT_URL_EVENTBRIDGE: events.url,
    PORT: "0",
    LISTEN_HOST: "127.0.0.1",
    TABLE_NAME: names.tableName,
    BUCKET_NAME: names.bucketName,
    EVENT_BUS_NAME: names.busName,
    EVENT_SOURCE: `platform.${service}`,
    WORK_QUEUE_URL: work.QueueUrl,
    WORK_VISIBILITY_TIMEOUT_SECONDS: String(names.visibilityTimeoutSeconds),
    KMS_KEY_ARN: `arn:aws:kms:${region}:${ACCOUNT_ID}:key/mrk-local`,
    DRAIN_DELAY_MS: "0",
    ...(urls["svc-c"] ? { SVC_C_URL: urls["svc-c"] } : {}),
    ...options.serviceEnv,
  });

  let router: Server | undefined;
  if (options.services ?? true) {
    services.c = await startSvcC(envFor("svc-c"));
    urls["svc-c"] = services.c.url;
    services.b = await startSvcB(envFor("svc-b"));
    urls["svc-b"] = services.b.url;
    services.a = await startSvcA(envFor("svc-a"));
    urls["svc-a"] = services.a.url;
    if (options.routes) {
      router = await startRouter(
        options.routes,
        options.healthService,
        urls,
        options.routerPort ?? 0,
      );
    }
  }

  return {
    region,
    names,
    dynamo,
    s3Url,
    sqs,
    events,
    workQueueUrl: work.QueueUrl ?? "",
    envFor,
    services,
    routerUrl: router ? `http://127.0.0.1:${(router.address() as AddressInfo).port}` : undefined,
    async stop() {
      if (router) {
        router.closeAllConnections();
        await new Promise((r) => router!.close(r));
      }
      for (const s of [services.a, services.b, services.c]) await s?.drain();
      await events.stop();
      await sqs.stop();
      await s3.close();
      await dynamo.stop();
      rmSync(s3Dir, { recursive: true, force: true });
      rmSync(dynamo.dataDir, { recursive: true, force: true });
    },
  };
}

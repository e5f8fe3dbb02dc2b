/**
 * svc-b: `GET /b/items/{id}` reads an item from this region's replica of the table, and
 * `GET /b/work/{messageId}` what became of a message of the work queue, which svc-b consumes
 * (worker.ts). Its /healthz covers what it depends on: the table.
 */
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { dynamodbClient, sqsClient } from "../../lib/aws";
import { baseConfig, intEnv, requireEnv, type Env } from "../../lib/env";
import { DeepHealth } from "../../lib/health";
import { HttpError, json, startService, type RunningService } from "../../lib/http";
import { checkId, readItem } from "../../lib/items";
import { createLogger } from "../../lib/log";
import { tableProbe } from "../../lib/probes";
import { startTracing } from "../../lib/tracing";
import { QueueWorker, workKey } from "./worker";

export const SERVICE = "svc-b";

export function loadConfig(env: Env) {
  const base = baseConfig(env, SERVICE);
  return {
    ...base,
    tableName: requireEnv(env, "TABLE_NAME"),
    worker: {
      queueUrl: requireEnv(env, "WORK_QUEUE_URL"),
      tableName: requireEnv(env, "TABLE_NAME"),
      region: base.region,
      waitTimeSeconds: intEnv(env, "WORK_WAIT_SECONDS", 20, 0, 20),
      visibilityTimeoutSeconds: intEnv(env, "WORK_VISIBILITY_TIMEOUT_SECONDS", 300, 1, 43_200),
      batchSize: intEnv(env, "WORK_BATCH_SIZE", 10, 1, 10),
      retentionSeconds: intEnv(env, "WORK_RETENTION_SECONDS", 7 * 24 * 3600, 60),
    },
    healthTimeoutMs: intEnv(env, "HEALTH_TIMEOUT_MS", 1000, 1, 60_000),
    healthCacheMs: intEnv(env, "HEALTH_CACHE_MS", 5000, 0, 600_000),
  };
}

export interface SvcB extends RunningService {
  readonly worker: QueueWorker;
}

export async function startSvcB(env: Env): Promise<SvcB> {
  const config = loadConfig(env);
  const dynamodb = dynamodbClient(env);
  const log = createLogger({ service: SERVICE, region: config.region }, config.logLevel);
  const worker = new QueueWorker(
    sqsClient(env),
    dynamodb,
    config.worker,
    log.child({ part: "worker" }),
  );
  const health = new DeepHealth([tableProbe(dynamodb, config.tableName)], {
    timeoutMs: config.healthTimeoutMs,
    cacheMs: config.healthCacheMs,
  });
  const service = await startService({
    config,
    health,
    logger: log,
    tracing: startTracing(env, SERVICE, config.region),
    onDrain: () => worker.stop(),
    routes: [
      {
        method: "GET",
        path: /^\/b\/items\/([^/]+)$/,
        handler: async ({ params }) => {
          const id = checkId(params[0]);
          const item = await readItem(dynamodb, config.tableName, id);
          if (!item) throw new HttpError(404, `no item ${id}`);
          return json(200, item);
        },
      },
      {
        method: "GET",
        path: /^\/b\/work\/([A-Za-z0-9-]{1,100})$/,
        handler: async ({ params }) => {
          const out = await dynamodb.send(
            new GetItemCommand({ TableName: config.tableName, Key: workKey(params[0]) }),
          );
          if (!out.Item) throw new HttpError(404, `message ${params[0]} not processed here`);
          const r = out.Item;
          return json(200, {
            messageId: params[0],
            eventId: r.eventId?.S,
            source: r.source?.S,
            detailType: r.detailType?.S,
            originRegion: r.originRegion?.S,
            itemId: r.itemId?.S,
            processedIn: r.processedIn?.S,
            processedAt: r.processedAt?.S,
            receives: Number(r.receives?.N ?? "0"),
          });
        },
      },
    ],
  });
  worker.start();
  return { ...service, worker };
}

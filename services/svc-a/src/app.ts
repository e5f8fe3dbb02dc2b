/**
 * svc-a, the public API: `PUT /a/items/{id}` writes an item to the global table (stamped with the
 * region, the time and a version), publishes `item.written` on the region's bus and stores a
 * snapshot of the item through svc-c (synchronously, through the mesh); `GET /a/items/{id}` reads
 * it back. Its /healthz is the region's: table, bucket and bus.
 */
import { traceHeaders, startTracing } from "../../lib/tracing";
import { dynamodbClient, eventBridgeClient, s3Client } from "../../lib/aws";
import type { Env } from "../../lib/env";
import { publish, type Bus } from "../../lib/events";
import { DeepHealth } from "../../lib/health";
import { HttpError, json, startService, type RunningService } from "../../lib/http";
import { checkId, readItem, type Item } from "../../lib/items";
import { errorFields } from "../../lib/log";
import { bucketProbe, busProbe, tableProbe } from "../../lib/probes";
import { loadConfig, SERVICE } from "./config";
import { parseIfMatch, writeItem } from "./items";

/** How long svc-a waits for svc-c before answering 502. */
export const SVC_C_TIMEOUT_MS = 2000;

export async function startSvcA(env: Env): Promise<RunningService> {
  const config = loadConfig(env);
  const dynamodb = dynamodbClient(env);
  const events = eventBridgeClient(env);
  const bus: Bus = {
    client: events,
    busName: config.busName,
    source: config.eventSource,
    region: config.region,
  };
  const health = new DeepHealth(
    [
      tableProbe(dynamodb, config.tableName),
      bucketProbe(s3Client(env), config.bucketName, config.region),
      busProbe(events, config.busName, SERVICE),
    ],
    { timeoutMs: config.healthTimeoutMs, cacheMs: config.healthCacheMs },
  );

  const storeSnapshot = async (item: Item, requestId: string) => {
    const key = `items/${item.id}.json`;
    const res = await fetch(`${config.svcCUrl}/c/objects/${key}`, {
      method: "PUT",
      headers: { "content-type": "application/json", "x-request-id": requestId, ...traceHeaders() },
      body: JSON.stringify(item),
      signal: AbortSignal.timeout(SVC_C_TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`svc-c answered ${res.status} for ${key}`);
  };

  return startService({
    config,
    health,
    tracing: startTracing(env, SERVICE, config.region),
    routes: [
      {
        method: "GET",
        path: /^\/a\/items\/([^/]+)$/,
        handler: async ({ params }) => {
          const id = checkId(params[0]);
          const item = await readItem(dynamodb, config.tableName, id);
          if (!item) throw new HttpError(404, `no item ${id}`);
          return json(200, item, { etag: `"${item.version}"` });
        },
      },
      {
        method: "PUT",
        path: /^\/a\/items\/([^/]+)$/,
        handler: async (ctx) => {
          const id = checkId(ctx.params[0]);
          const expectedVersion = parseIfMatch(ctx.req.headers["if-match"]);
          const data = await ctx.json();
          const item = await writeItem(dynamodb, config.tableName, config.region, {
            id,
            data,
            expectedVersion,
          });
          const [event, snapshot] = await Promise.allSettled([
            publish(bus, "item.written", {
              id,
              version: item.version,
              region: item.region,
              updatedAt: item.updatedAt,
            }),
            storeSnapshot(item, ctx.requestId),
          ]);
          const failed = [
            ...(event.status === "rejected" ? [{ dependency: "bus", reason: event.reason }] : []),
            ...(snapshot.status === "rejected"
              ? [{ dependency: "svc-c", reason: snapshot.reason }]
              : []),
          ];
          for (const f of failed) {
            ctx.log.log("error", "write follow-up failed", {
              dependency: f.dependency,
              ...errorFields(f.reason),
            });
          }
          if (failed.length > 0) {
            // The item is written; the client may retry, which writes the next version.
            return json(502, {
              error: `item ${id} written, but ${failed.map((f) => f.dependency).join(" and ")} failed`,
              failed: failed.map((f) => f.dependency),
              item,
            });
          }
          return json(item.version === 1 ? 201 : 200, item, { etag: `"${item.version}"` });
        },
      },
    ],
  });
}

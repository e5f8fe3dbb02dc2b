/**
 * svc-c, internal only (called by svc-a through the mesh): stores and serves objects in the
 * region's replicated bucket, `PUT/GET /c/objects/{key}`, each object encrypted with the region's
 * key (SSE-KMS with KMS_KEY_ARN, https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html).
 * On start it writes the region's sentinel object, which the region's deep health reads.
 */
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { s3Client } from "../../lib/aws";
import { baseConfig, intEnv, requireEnv, type Env } from "../../lib/env";
import { DeepHealth } from "../../lib/health";
import { HttpError, json, startService, type RunningService } from "../../lib/http";
import { errorFields } from "../../lib/log";
import { bucketProbe, sentinelKey } from "../../lib/probes";
import { startTracing } from "../../lib/tracing";

export const SERVICE = "svc-c";
const KEY_PATTERN = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

export function checkKey(key: string): string {
  if (key.length > 512 || !KEY_PATTERN.test(key) || key.split("/").some((p) => /^\.+$/.test(p))) {
    throw new HttpError(
      400,
      `object key "${key}" is not allowed (segments of A-Z a-z 0-9 . _ - joined by /)`,
    );
  }
  if (key.startsWith("health/")) {
    throw new HttpError(
      400,
      `object key "${key}" is reserved (health/ holds the regions' sentinels)`,
    );
  }
  return key;
}

export function loadConfig(env: Env) {
  return {
    ...baseConfig(env, SERVICE),
    bucketName: requireEnv(env, "BUCKET_NAME"),
    kmsKeyArn: requireEnv(env, "KMS_KEY_ARN"),
    healthTimeoutMs: intEnv(env, "HEALTH_TIMEOUT_MS", 1000, 1, 60_000),
    healthCacheMs: intEnv(env, "HEALTH_CACHE_MS", 5000, 0, 600_000),
  };
}

type Config = ReturnType<typeof loadConfig>;

const putObject = (s3: S3Client, config: Config, key: string, body: Buffer, contentType: string) =>
  s3.send(
    new PutObjectCommand({
      Bucket: config.bucketName,
      Key: key,
      Body: body,
      ContentType: contentType,
      ServerSideEncryption: "aws:kms",
      SSEKMSKeyId: config.kmsKeyArn,
      // S3 Bucket Keys: one KMS data key per bucket and period instead of one call per object.
      BucketKeyEnabled: true,
    }),
  );

export async function startSvcC(env: Env): Promise<RunningService> {
  const config = loadConfig(env);
  const s3 = s3Client(env);
  const health = new DeepHealth([bucketProbe(s3, config.bucketName, config.region)], {
    timeoutMs: config.healthTimeoutMs,
    cacheMs: config.healthCacheMs,
  });

  const service = await startService({
    config,
    health,
    tracing: startTracing(env, SERVICE, config.region),
    routes: [
      {
        method: "PUT",
        path: /^\/c\/objects\/(.+)$/,
        handler: async (ctx) => {
          const key = checkKey(ctx.params[0]);
          const type = ctx.req.headers["content-type"] ?? "application/octet-stream";
          const out = await putObject(s3, config, key, await ctx.body(), type);
          return json(200, { key, etag: out.ETag, region: config.region });
        },
      },
      {
        method: "GET",
        path: /^\/c\/objects\/(.+)$/,
        handler: async (ctx) => {
          const key = checkKey(ctx.params[0]);
          try {
            const out = await s3.send(
              new GetObjectCommand({ Bucket: config.bucketName, Key: key }),
            );
            const bytes = Buffer.from(await out.Body!.transformToByteArray());
            return {
              status: 200,
              raw: bytes,
              headers: { "content-type": out.ContentType ?? "application/octet-stream" },
            };
          } catch (e) {
            if (e instanceof NoSuchKey) throw new HttpError(404, `no object ${key}`);
            throw e;
          }
        },
      },
    ],
  });

  // The sentinel, retried in the background until it is written: until then the region's
  // health (which reads it) fails, which is right for a region whose bucket takes no writes.
  const sentinel = async (): Promise<void> => {
    for (let delay = 500; ; delay = Math.min(delay * 2, 30_000)) {
      try {
        await putObject(
          s3,
          config,
          sentinelKey(config.region),
          Buffer.from(config.region),
          "text/plain",
        );
        service.log.log("info", "sentinel written", { key: sentinelKey(config.region) });
        return;
      } catch (e) {
        service.log.log("warn", "sentinel not written yet", errorFields(e));
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
  };
  void sentinel();
  return service;
}

import { baseConfig, intEnv, requireEnv, urlEnv, type BaseConfig, type Env } from "../../lib/env";

export const SERVICE = "svc-a";

export interface SvcAConfig extends BaseConfig {
  readonly tableName: string;
  readonly bucketName: string;
  readonly busName: string;
  readonly eventSource: string;
  /** svc-c through the mesh: `http://svc-c.svc-c.svc.cluster.local:8080`. */
  readonly svcCUrl: string;
  readonly healthTimeoutMs: number;
  readonly healthCacheMs: number;
}

export function loadConfig(env: Env): SvcAConfig {
  return {
    ...baseConfig(env, SERVICE),
    tableName: requireEnv(env, "TABLE_NAME"),
    bucketName: requireEnv(env, "BUCKET_NAME"),
    busName: requireEnv(env, "EVENT_BUS_NAME"),
    eventSource: requireEnv(env, "EVENT_SOURCE"),
    svcCUrl: urlEnv(env, "SVC_C_URL"),
    healthTimeoutMs: intEnv(env, "HEALTH_TIMEOUT_MS", 1000, 1, 60_000),
    healthCacheMs: intEnv(env, "HEALTH_CACHE_MS", 5000, 0, 600_000),
  };
}

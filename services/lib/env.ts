/**
 * Settings from the environment the platform sets in the Deployment (components/mesh/workload.ts).
 * A missing or malformed value fails the start with the variable's name, its value and what is
 * allowed, before the server listens: a pod that cannot work should crash-loop, not serve errors.
 */
import { LEVELS } from "./log";

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export function requireEnv(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value === "") {
    throw new ConfigError(`environment variable ${name} is not set (required)`);
  }
  return value;
}

/** A whole number in [min, max], or the default when unset. */
export function intEnv(env: Env, name: string, fallback: number, min = 0, max = 86_400_000) {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `environment variable ${name}="${raw}" is not a whole number between ${min} and ${max}`,
    );
  }
  return value;
}

/** An absolute http(s) URL without a trailing slash. */
export function urlEnv(env: Env, name: string): string {
  const raw = requireEnv(env, name);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`environment variable ${name}="${raw}" is not a URL (http://host:port)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`environment variable ${name}="${raw}" is not an http(s) URL`);
  }
  return raw.replace(/\/+$/, "");
}

/** What every service reads: who and where it is, and the port it listens on. */
export interface BaseConfig {
  readonly service: string;
  readonly region: string;
  readonly port: number;
  /** @default 0.0.0.0 - the address to listen on (a local region uses the loopback) */
  readonly host: string;
  /** @default info - LOG_LEVEL: debug, info, warn, error or silent */
  readonly logLevel: (typeof LEVELS)[number];
  /** Time between failing readiness and closing the listener on SIGTERM (endpoints propagate). */
  readonly drainDelayMs: number;
  /** Hard bound of the drain: past it, the process exits 1 with the requests still open. */
  readonly drainTimeoutMs: number;
}

export function baseConfig(env: Env, service: string): BaseConfig {
  return {
    service,
    // AWS_REGION is what the SDK reads; PLATFORM_REGION is what events are stamped with. The
    // platform sets both to the same value; a mismatch is a configuration error.
    region: sameRegion(env),
    port: intEnv(env, "PORT", 8080, 0, 65535),
    host: env.LISTEN_HOST ?? "0.0.0.0",
    logLevel: logLevel(env),
    drainDelayMs: intEnv(env, "DRAIN_DELAY_MS", 5000),
    drainTimeoutMs: intEnv(env, "DRAIN_TIMEOUT_MS", 25000),
  };
}

function sameRegion(env: Env): string {
  const region = requireEnv(env, "PLATFORM_REGION");
  const sdkRegion = requireEnv(env, "AWS_REGION");
  if (region !== sdkRegion) {
    throw new ConfigError(
      `environment variables PLATFORM_REGION="${region}" and AWS_REGION="${sdkRegion}" differ (they must name the same region)`,
    );
  }
  return region;
}

function logLevel(env: Env): (typeof LEVELS)[number] {
  const raw = env.LOG_LEVEL ?? "info";
  const level = LEVELS.find((l) => l === raw);
  if (!level) {
    throw new ConfigError(
      `environment variable LOG_LEVEL="${raw}" is not one of ${LEVELS.join(", ")}`,
    );
  }
  return level;
}

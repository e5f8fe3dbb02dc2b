/** Shared by the services' tests: a local region with short timings, and polling. */
import { loadProject } from "../lib/config/project";
import { startLocalRegion, type LocalRegion } from "../services/local/region";
import { localRegionOptions } from "../tools/local";
import { PROJECT_DIR } from "./fixtures";

export const REGION = "us-east-1";

/** A region whose health cache, long polls and visibility timeout are short enough to watch. */
export function startTestRegion(
  options: { services?: boolean; env?: Record<string, string> } = {},
): Promise<LocalRegion> {
  const project = loadProject(PROJECT_DIR);
  const region = project.regions.find((r) => r.config.region === REGION)!;
  const base = localRegionOptions(REGION, region.config.services);
  return startLocalRegion({
    ...base,
    names: { ...base.names, visibilityTimeoutSeconds: 1 },
    services: options.services ?? true,
    serviceEnv: {
      HEALTH_CACHE_MS: "200",
      HEALTH_TIMEOUT_MS: "500",
      WORK_WAIT_SECONDS: "1",
      LOG_LEVEL: "error",
      ...options.env,
    },
  });
}

/** Polls until `check` returns a value (not undefined); fails naming `what` past the deadline. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  deadlineMs = 20_000,
): Promise<T> {
  const end = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end)
      throw new Error(`never: ${what}${last ? ` (last error: ${String(last)})` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

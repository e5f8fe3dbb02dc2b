/**
 * Structured logs: one JSON object a line on stdout, with the service, the region and, for what
 * happens within a request, its request id and trace id. Container Insights ships stdout as is.
 */
export const LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type Level = Exclude<(typeof LEVELS)[number], "silent">;

export interface Logger {
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** @param minLevel - LOG_LEVEL: lines below it are dropped (`silent` drops all) */
export function createLogger(
  base: Record<string, unknown>,
  minLevel: (typeof LEVELS)[number] = "info",
  write: (line: string) => void = (line) => process.stdout.write(line),
): Logger {
  const floor = LEVELS.indexOf(minLevel);
  return {
    log(level, msg, fields = {}) {
      if (LEVELS.indexOf(level) < floor) return;
      write(
        `${JSON.stringify({ time: new Date().toISOString(), level, msg, ...base, ...fields })}\n`,
      );
    },
    child(fields) {
      return createLogger({ ...base, ...fields }, minLevel, write);
    },
  };
}

export function errorFields(e: unknown): Record<string, unknown> {
  if (e instanceof Error) return { error: e.message, errorName: e.name };
  return { error: String(e) };
}

/**
 * Structured logs: one JSON object a line on stdout, with the service, the region and, for what
 * happens within a request, its request id and trace id. Container Insights ships stdout as is.
 */
export type Level = "debug" | "info" | "warn" | "error";

export interface Logger {
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export function createLogger(
  base: Record<string, unknown>,
  write: (line: string) => void = (line) => process.stdout.write(line),
): Logger {
  return {
    log(level, msg, fields = {}) {
      write(
        `${JSON.stringify({ time: new Date().toISOString(), level, msg, ...base, ...fields })}\n`,
      );
    },
    child(fields) {
      return createLogger({ ...base, ...fields }, write);
    },
  };
}

export function errorFields(e: unknown): Record<string, unknown> {
  if (e instanceof Error) return { error: e.message, errorName: e.name };
  return { error: String(e) };
}

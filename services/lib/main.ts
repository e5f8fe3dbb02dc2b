/** The entry point of a service process: start, drain on SIGTERM, exit 2 on bad configuration. */
import { ConfigError, type Env } from "./env";
import { exitOnSignals, type RunningService } from "./http";

export function runMain(start: (env: Env) => Promise<RunningService>): void {
  start(process.env).then(exitOnSignals, (e: unknown) => {
    const config = e instanceof ConfigError;
    process.stderr.write(
      `${JSON.stringify({ level: "error", msg: config ? "bad configuration" : "start failed", error: e instanceof Error ? e.message : String(e) })}\n`,
    );
    process.exit(config ? 2 : 1);
  });
}

/**
 * `npm run portal`: the portal server (see portal/server.ts and the README's "Portal" section).
 *
 *   PORTAL_TOKENS_FILE=tokens.yaml npm run portal
 *   PORTAL_INSECURE_LOCAL=1 npm run portal        # no tokens, loopback only
 *
 * Exit codes: 0 stopped by a signal; 2 bad settings (the message names the variable) or the
 * address or data directory cannot be used.
 */
import * as path from "node:path";
import { TokensFileError } from "../portal/auth";
import { portalConfig, PortalConfigError } from "../portal/config";

const PROJECT_DIR = path.resolve(__dirname, "..");

async function main(): Promise<number> {
  let config;
  try {
    config = portalConfig(process.env, PROJECT_DIR);
  } catch (e) {
    if (!(e instanceof PortalConfigError || e instanceof TokensFileError)) throw e;
    process.stderr.write(`portal: bad settings: ${e.message}\n`);
    return 2;
  }
  // Loaded after the settings are checked: the automation layer pulls in the Pulumi SDK, which
  // takes seconds, and a bad setting should be reported at once.
  const { buildPortal } = await import("../portal/server");
  const { DataDirBusyError } = await import("../portal/store");
  let portal;
  try {
    portal = await buildPortal({
      projectDir: config.projectDir,
      dataDir: config.dataDir,
      tokens: config.tokens,
      bodyLimit: config.bodyLimit,
      credentialCheck: config.credentialCheck,
      logger: process.env.PORTAL_LOG === "1",
    });
  } catch (e) {
    if (!(e instanceof DataDirBusyError)) throw e;
    process.stderr.write(`portal: ${e.message}\n`);
    return 2;
  }
  try {
    await portal.app.listen({ host: config.host, port: config.port });
  } catch (e) {
    process.stderr.write(
      `portal: cannot listen on ${config.host}:${config.port}: ${(e as Error).message}\n`,
    );
    await portal.close();
    return 2;
  }
  const address = portal.app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : config.port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  process.stdout.write(
    `portal listening on http://${host}:${port} (${config.tokens ? `${config.tokens.length} token(s)` : "insecure local mode"}; data in ${config.dataDir})\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  process.stdout.write("portal: stopping (cancelling runs in flight)\n");
  await portal.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`portal: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(2);
  },
);

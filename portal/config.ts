/**
 * The server's settings, from the environment. Every problem names the variable, the value and
 * what is allowed; the caller exits with 2.
 */
import { isIP } from "node:net";
import * as path from "node:path";
import { readTokensFile, type TokenEntry } from "./auth";

export class PortalConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PortalConfigError";
  }
}

export interface PortalConfig {
  readonly host: string;
  readonly port: number;
  readonly projectDir: string;
  readonly dataDir: string;
  /** Undefined in insecure local mode. */
  readonly tokens?: readonly TokenEntry[];
  readonly bodyLimit: number;
  readonly credentialCheck: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Loopback names and addresses: the only places an unauthenticated server may listen on. */
export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  if (isIP(host) === 6) return host === "::1";
  return false;
}

function whole(env: Env, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) {
    throw new PortalConfigError(
      `${name}=${JSON.stringify(text)}: expected a whole number from ${min} to ${max}`,
    );
  }
  return n;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  if (text === "1" || text === "true") return true;
  if (text === "0" || text === "false") return false;
  throw new PortalConfigError(`${name}=${JSON.stringify(text)}: expected 1 or 0`);
}

export function portalConfig(env: Env, defaultProjectDir: string): PortalConfig {
  const host = env.PORTAL_HOST?.trim() || "127.0.0.1";
  const port = whole(env, "PORTAL_PORT", 8787, 0, 65535);
  const bodyLimit = whole(env, "PORTAL_BODY_LIMIT", 65_536, 1024, 64 * 1024 * 1024);
  const projectDir = path.resolve(env.PORTAL_PROJECT_DIR?.trim() || defaultProjectDir);
  const dataDir = path.resolve(env.PORTAL_DATA_DIR?.trim() || path.join(projectDir, ".portal"));
  const credentialCheck = flag(env, "PORTAL_CREDENTIAL_CHECK", true);
  const insecure = flag(env, "PORTAL_INSECURE_LOCAL", false);
  const tokensFile = env.PORTAL_TOKENS_FILE?.trim();
  if (tokensFile) {
    const tokens = readTokensFile(tokensFile);
    return { host, port, projectDir, dataDir, tokens, bodyLimit, credentialCheck };
  }
  if (!insecure) {
    throw new PortalConfigError(
      "PORTAL_TOKENS_FILE is not set: name a YAML list of { name, role, sha256 } " +
        "(role viewer, operator or admin; sha256 the hex SHA-256 of the token), or set " +
        "PORTAL_INSECURE_LOCAL=1 to run without tokens on loopback",
    );
  }
  if (!isLoopback(host)) {
    throw new PortalConfigError(
      `PORTAL_HOST=${JSON.stringify(host)}: without PORTAL_TOKENS_FILE the server binds ` +
        "loopback only (127.0.0.1, ::1 or localhost)",
    );
  }
  return { host, port, projectDir, dataDir, bodyLimit, credentialCheck };
}

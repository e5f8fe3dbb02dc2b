/**
 * Who may do what. Bearer tokens come from a YAML file listing `{ name, role, sha256 }`, where
 * `sha256` is the hex SHA-256 of the token, so the file never holds a token in clear. Roles are
 * ordered: each one may do everything the one before it may.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import * as fs from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

export const ROLES = ["viewer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** Operations a run may carry: the offline plan, then the Automation API's operations. */
export const RUN_OPERATIONS = ["plan", "preview", "up", "destroy", "refresh"] as const;
export type RunOperation = (typeof RUN_OPERATIONS)[number];

/** The least role that may start each operation (and cancel a run of it). */
export const REQUIRED_ROLE: Readonly<Record<RunOperation, Role>> = {
  plan: "viewer",
  preview: "viewer",
  up: "operator",
  refresh: "operator",
  destroy: "admin",
};

export function mayRun(role: Role, operation: RunOperation): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(REQUIRED_ROLE[operation]);
}

export interface Principal {
  readonly name: string;
  readonly role: Role;
}

/** A tokens file that cannot be used; the message names the file, the entry and the field. */
export class TokensFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TokensFileError";
  }
}

const entrySchema = z.strictObject({
  name: z.string().min(1, "must be a non-empty string"),
  role: z.enum(ROLES, { error: `must be one of ${ROLES.join(", ")}` }),
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, "must be the 64 hex digits of the token's SHA-256")
    .transform((s) => s.toLowerCase()),
});
const fileSchema = z.array(entrySchema, { error: "must be a YAML list of { name, role, sha256 }" });

export type TokenEntry = z.output<typeof entrySchema>;

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Parses the tokens file's text; `file` only names it in errors. */
export function parseTokens(text: string, file: string): TokenEntry[] {
  let raw: unknown;
  try {
    raw = parseYaml(text) as unknown;
  } catch (e) {
    throw new TokensFileError(`${file}: not valid YAML: ${(e as Error).message}`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const [index, field] = issue.path;
    const where =
      index === undefined
        ? "the file"
        : `entry ${String(index)}${field === undefined ? "" : `, field ${String(field)}`}`;
    throw new TokensFileError(`${file}: ${where}: ${issue.message}`);
  }
  const entries = parsed.data;
  if (entries.length === 0) throw new TokensFileError(`${file}: the list of tokens is empty`);
  const seen = new Map<string, string>();
  for (const e of entries) {
    const other = seen.get(e.sha256);
    if (other !== undefined) {
      throw new TokensFileError(`${file}: "${e.name}" and "${other}" have the same sha256`);
    }
    seen.set(e.sha256, e.name);
  }
  return entries;
}

export function readTokensFile(file: string): TokenEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new TokensFileError(`${file}: cannot read: ${(e as Error).message}`);
  }
  return parseTokens(text, file);
}

/** Finds the principal of a bearer token; compares digests in constant time. */
export function authenticate(entries: readonly TokenEntry[], token: string): Principal | undefined {
  const digest = Buffer.from(sha256Hex(token), "hex");
  let found: TokenEntry | undefined;
  for (const e of entries) {
    if (timingSafeEqual(digest, Buffer.from(e.sha256, "hex"))) found = e;
  }
  return found === undefined ? undefined : { name: found.name, role: found.role };
}

/**
 * The token of an `Authorization: Bearer <token>` header (RFC 6750 section 2.1: the scheme is
 * case-insensitive), or a reason why there is none.
 */
export function bearerToken(header: string | undefined): { token: string } | { problem: string } {
  if (header === undefined || header.trim() === "") {
    return { problem: "header Authorization is missing: expected `Bearer <token>`" };
  }
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  if (match === null) return { problem: "header Authorization: expected `Bearer <token>`" };
  return { token: match[1] };
}

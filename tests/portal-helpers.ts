/**
 * The portal under test: a real server on a loopback port, a temporary data directory, one token
 * per role, and stack operations the test releases by hand (so that a run is "in flight" for as
 * long as a test needs, without timing).
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  MemoryStackOperations,
  type StackEvent,
  type StackOperations,
  type StackOutcome,
  type StackTarget,
} from "../automation";
import { sha256Hex, type Role, type TokenEntry } from "../portal/auth";
import { automationExecutor, planExecutor } from "../portal/executors";
import { buildPortal, type Portal, type PortalOptions } from "../portal/server";
import { PROJECT_DIR } from "./fixtures";

/** Stack operations that wait until the test releases them (or the run is cancelled). */
export class GatedOperations implements StackOperations {
  private readonly waiting = new Map<string, () => void>();
  private readonly arrived = new Map<string, () => void>();
  private readonly arrivals = new Map<string, Promise<void>>();

  /** Resolves when the stack's operation has started. */
  started(stack: string): Promise<void> {
    let p = this.arrivals.get(stack);
    if (p === undefined) {
      p = new Promise<void>((resolve) => this.arrived.set(stack, resolve));
      this.arrivals.set(stack, p);
    }
    return p;
  }

  release(stack: string): void {
    const go = this.waiting.get(stack);
    if (go === undefined) throw new Error(`stack ${stack} is not waiting`);
    this.waiting.delete(stack);
    go();
  }

  run(
    target: StackTarget,
    _operation: string,
    signal: AbortSignal,
    onEvent: (event: StackEvent) => void,
  ): Promise<StackOutcome> {
    void this.started(target.stack);
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(new Error(`stack "${target.stack}": cancelled`));
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiting.set(target.stack, () => {
        signal.removeEventListener("abort", onAbort);
        onEvent({
          type: "resource-step",
          stack: target.stack,
          phase: "done",
          op: "create",
          urn: `urn:pulumi:${target.stack}::platform::aws:s3/bucket:Bucket::data`,
          resourceType: "aws:s3/bucket:Bucket",
        });
        resolve({ changes: { create: 1 }, outputs: {} });
      });
      this.arrived.get(target.stack)?.();
    });
  }
}

export interface TestPortal {
  readonly portal: Portal;
  readonly base: string;
  readonly dataDir: string;
  readonly tokens: Readonly<Record<Role, string>>;
  readonly gate: GatedOperations;
  /** fetch against the server with a role's token (or none). */
  call(
    pathname: string,
    init?: RequestInit & { role?: Role | "none"; json?: unknown },
  ): Promise<Response>;
}

export function tokenEntries(tokens: Readonly<Record<Role, string>>): TokenEntry[] {
  return (Object.entries(tokens) as [Role, string][]).map(([role, token]) => ({
    name: `${role}-user`,
    role,
    sha256: sha256Hex(token),
  }));
}

export function newTokens(): Record<Role, string> {
  const t = () => randomBytes(24).toString("base64url");
  return { viewer: t(), operator: t(), admin: t() };
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Starts a portal. Operations other than `plan` go to `gate` (or the given operations) and are
 * never refused for a missing CLI unless `missing` says so.
 */
export async function startPortal(
  options: Partial<PortalOptions> & { operations?: StackOperations; realPlan?: boolean } = {},
): Promise<TestPortal> {
  const gate = new GatedOperations();
  const tokens = newTokens();
  const dataDir = options.dataDir ?? tempDir("portal-data-");
  const operations = options.operations ?? gate;
  const portal = await buildPortal({
    projectDir: PROJECT_DIR,
    dataDir,
    tokens: tokenEntries(tokens),
    missing: () => [],
    executor: (operation) =>
      operation === "plan" && options.realPlan === true
        ? planExecutor({ projectDir: PROJECT_DIR })
        : automationExecutor(() => operations),
    ...options,
  });
  await portal.app.listen({ host: "127.0.0.1", port: 0 });
  const address = portal.app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  const base = `http://127.0.0.1:${port}`;
  const call: TestPortal["call"] = (pathname, init = {}) => {
    const { role = "viewer", json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (role !== "none") headers.set("Authorization", `Bearer ${tokens[role]}`);
    if (json !== undefined) headers.set("Content-Type", "application/json");
    return fetch(`${base}${pathname}`, {
      ...rest,
      headers,
      ...(json !== undefined ? { body: JSON.stringify(json), method: rest.method ?? "POST" } : {}),
    });
  };
  return { portal, base, dataDir, tokens, gate, call };
}

/** A plain in-memory stand-in for runs that need not be held. */
export const quickOperations = () => new MemoryStackOperations();

export interface SseEvent {
  readonly id: number;
  readonly data: { id: number; type: string; [key: string]: unknown };
}

/** Reads an SSE response to its end (the server ends it with the run). */
export async function readSse(response: Response): Promise<SseEvent[]> {
  const text = await response.text();
  return parseSse(text);
}

export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.split("\n\n")) {
    let id: number | undefined;
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("id:")) id = Number(line.slice(3).trim());
      else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
    }
    if (id !== undefined && data.length > 0) {
      events.push({ id, data: JSON.parse(data.join("\n")) as SseEvent["data"] });
    }
  }
  return events;
}

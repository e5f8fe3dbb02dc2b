/**
 * The portal's figures for `npm run bench`:
 *  - `GET /api/runs/{id}` at 64 connections for a few seconds (autocannon): requests/s and p99;
 *  - 100 Server-Sent Events subscribers to one run: every subscriber must receive every event,
 *    in order (ids 1..n, equal to the stored events), or the figure is void.
 *
 * Run alone: `npx tsx tools/bench/portal.ts`.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import autocannon from "autocannon";
import type { StackEvent, StackOperations, StackOutcome, StackTarget } from "../../automation";
import { sha256Hex } from "../../portal/auth";
import { automationExecutor } from "../../portal/executors";
import { buildPortal } from "../../portal/server";

const PROJECT_DIR = path.resolve(__dirname, "..", "..");

/** Each stack waits for `go`, then reports `steps` resource steps. */
class HeldOperations implements StackOperations {
  private open!: () => void;
  readonly go = new Promise<void>((resolve) => (this.open = resolve));
  constructor(private readonly steps: number) {}
  release(): void {
    this.open();
  }
  async run(
    target: StackTarget,
    _operation: string,
    _signal: AbortSignal,
    onEvent: (event: StackEvent) => void,
  ): Promise<StackOutcome> {
    await this.go;
    for (let i = 0; i < this.steps; i++) {
      onEvent({
        type: "resource-step",
        stack: target.stack,
        phase: "done",
        op: "create",
        urn: `urn:pulumi:${target.stack}::platform::aws:s3/bucket:Bucket::b${i}`,
        resourceType: "aws:s3/bucket:Bucket",
      });
      // One step per tick, as engine events arrive: subscribers see a stream, not one burst.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return { changes: { create: this.steps }, outputs: {} };
  }
}

export interface PortalFigures {
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly subscribers: number;
  readonly eventsPerSubscriber: number;
  readonly fanOutMs: number;
}

async function subscriber(url: string, token: string): Promise<number[]> {
  const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
  const text = await response.text();
  return [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
}

export async function portalBench(
  log: (line: string) => void = console.log,
  { connections = 64, seconds = 5, subscribers = 100, stepsPerStack = 50 } = {},
): Promise<PortalFigures> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-bench-"));
  const token = randomBytes(24).toString("base64url");
  let ops = new HeldOperations(stepsPerStack);
  const portal = await buildPortal({
    projectDir: PROJECT_DIR,
    dataDir,
    tokens: [{ name: "bench", role: "admin", sha256: sha256Hex(token) }],
    missing: () => [],
    executor: () => automationExecutor(() => ops),
  });
  try {
    await portal.app.listen({ host: "127.0.0.1", port: 0 });
    const address = portal.app.server.address();
    const base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
    const start = async () => {
      const r = await fetch(`${base}/api/runs`, {
        method: "POST",
        headers,
        body: JSON.stringify({ operation: "up" }),
      });
      if (r.status !== 202) throw new Error(`starting a run: ${r.status} ${await r.text()}`);
      return ((await r.json()) as { id: string }).id;
    };

    // A finished run to read.
    const first = await start();
    ops.release();
    await portal.runs.settled(first);
    const load = await autocannon({
      url: `${base}/api/runs/${first}`,
      connections,
      duration: seconds,
      headers: { Authorization: `Bearer ${token}` },
    });
    const requestsPerSecond = load.requests.average;
    const p99Ms = load.latency.p99;
    log(
      `portal GET /api/runs/{id}: ${connections} connections, ${Math.round(requestsPerSecond)} requests/s, p99 ${p99Ms} ms, non-2xx ${load.non2xx}`,
    );

    // 100 subscribers, connected while the run is held, then the run released.
    ops = new HeldOperations(stepsPerStack);
    const held = ops;
    const id = await start();
    const url = `${base}/api/runs/${id}/events`;
    const streams = Array.from({ length: subscribers }, () => subscriber(url, token));
    // Every subscriber is connected (and has the run's first events) before the run goes on.
    while (portal.runs.listenerCount(id) < subscribers) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const begin = performance.now();
    held.release();
    const received = await Promise.all(streams);
    const fanOutMs = performance.now() - begin;
    const expected = portal.runs.eventsOf(id).map((e) => e.id);
    const bad = received.filter((ids) => JSON.stringify(ids) !== JSON.stringify(expected));
    if (bad.length > 0 || expected.length === 0) {
      throw new Error(
        `${bad.length} of ${subscribers} subscribers missed or reordered events; the figure is void`,
      );
    }
    log(
      `portal SSE: ${subscribers} subscribers each received all ${expected.length} events in order, ${fanOutMs.toFixed(0)} ms from release to the last stream's end`,
    );
    return {
      requestsPerSecond,
      p99Ms,
      non2xx: load.non2xx,
      subscribers,
      eventsPerSubscriber: expected.length,
      fanOutMs,
    };
  } finally {
    await portal.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  portalBench().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}

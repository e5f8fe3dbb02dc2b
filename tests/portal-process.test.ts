/**
 * `npm run portal` as a black box: a process with a tokens file, a plan run streamed to its end,
 * then the server killed (SIGKILL) in the middle of a run and started again on the same data.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RunRecord } from "../portal/types";
import { PROJECT_DIR } from "./fixtures";
import { newTokens, parseSse, tempDir, tokenEntries } from "./portal-helpers";

const dir = tempDir("portal-process-");
const tokens = newTokens();
const tokensFile = path.join(dir, "tokens.yaml");
fs.writeFileSync(
  tokensFile,
  tokenEntries(tokens)
    .map((e) => `- name: ${e.name}\n  role: ${e.role}\n  sha256: ${e.sha256}\n`)
    .join(""),
);
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  fs.rmSync(dir, { recursive: true, force: true });
});

function server(env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", "tsx", "tools/portal.ts"], {
    cwd: PROJECT_DIR,
    env: { ...process.env, PORTAL_PORT: "0", PORTAL_DATA_DIR: path.join(dir, "data"), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr?.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", () => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(stdout);
      if (m) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`portal exited ${code}: ${stderr}`)));
  });
  // Awaited only by the tests that expect the server to come up.
  listening.catch(() => undefined);
  return { child, listening, exited, output: () => ({ stdout, stderr }) };
}

const auth = { Authorization: `Bearer ${tokens.operator}` };

describe("npm run portal", () => {
  it("refuses to start without a tokens file (exit 2, naming the variable)", async () => {
    const s = server({ PORTAL_TOKENS_FILE: "" });
    expect(await s.exited).toBe(2);
    expect(s.output().stderr).toMatch(/^portal: bad settings: PORTAL_TOKENS_FILE is not set/);
  });

  it("streams a plan run to its end, and after a kill keeps the history and marks the run in flight interrupted", async () => {
    const first = server({ PORTAL_TOKENS_FILE: tokensFile });
    const base = await first.listening;
    const post = (b: string, body: unknown) =>
      fetch(`${b}/api/runs`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
    const planned = (await (
      await post(base, { operation: "plan", stacks: ["eu-central-1"] })
    ).json()) as RunRecord;
    const stream = await fetch(`${base}/api/runs/${planned.id}/events`, { headers: auth });
    const events = parseSse(await stream.text());
    expect(events.map((e) => e.data.type)).toEqual([
      "run-started",
      "stack-started",
      "stack-planned",
      "stack-finished",
      "run-ended",
    ]);
    const plan = events[2].data.plan as { stack: string; resources: number; violations: unknown[] };
    expect(plan.stack).toBe("eu-central-1");
    expect(plan.resources).toBeGreaterThan(100);
    expect(plan.violations).toEqual([]);
    expect(events[4].data).toMatchObject({ status: "succeeded" });

    const inflight = (await (
      await post(base, { operation: "plan", stacks: ["us-east-1"] })
    ).json()) as RunRecord;
    const overlap = await post(base, { operation: "plan", stacks: ["us-east-1", "global"] });
    expect(overlap.status).toBe(409);
    first.child.kill("SIGKILL");
    await first.exited;

    const second = server({ PORTAL_TOKENS_FILE: tokensFile });
    const base2 = await second.listening;
    const runs = (await (await fetch(`${base2}/api/runs`, { headers: auth })).json()) as {
      runs: RunRecord[];
    };
    expect(runs.runs.map((r) => [r.id, r.status])).toEqual([
      [inflight.id, "interrupted"],
      [planned.id, "succeeded"],
    ]);
    const replay = parseSse(
      await (await fetch(`${base2}/api/runs/${planned.id}/events`, { headers: auth })).text(),
    );
    expect(replay).toEqual(events);
    const again = await post(base2, { operation: "plan", stacks: ["us-east-1"] });
    expect(again.status).toBe(202);
    const run = (await again.json()) as RunRecord;
    const cancel = await fetch(`${base2}/api/runs/${run.id}/cancel`, {
      method: "POST",
      headers: auth,
    });
    expect(cancel.status).toBe(202);
    const end = parseSse(
      await (await fetch(`${base2}/api/runs/${run.id}/events`, { headers: auth })).text(),
    );
    expect(end[end.length - 1].data).toMatchObject({ type: "run-ended", status: "cancelled" });
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  }, 300_000);
});

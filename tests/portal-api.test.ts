import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseTokens, sha256Hex, TokensFileError } from "../portal/auth";
import { portalConfig, PortalConfigError } from "../portal/config";
import { MemoryStackOperations, type StackTarget } from "../automation";
import { automationExecutor } from "../portal/executors";
import type { RunRecord } from "../portal/types";
import { dnsStandIn } from "./dns-stand-in";
import { PROJECT_DIR } from "./fixtures";
import { parseSse, readSse, startPortal, tempDir, type TestPortal } from "./portal-helpers";
import { KEY, step } from "./preview-steps";

let t: TestPortal;
beforeAll(async () => {
  t = await startPortal();
});
afterAll(async () => {
  await t.portal.close();
});

const json = async <T = Record<string, unknown>>(r: Response) => (await r.json()) as T;

async function startRun(body: unknown, role: "viewer" | "operator" | "admin" = "operator") {
  const response = await t.call("/api/runs", { json: body, role });
  return { response, body: await json<RunRecord & { message?: string }>(response) };
}

async function finish(id: string, stacks: readonly string[]) {
  for (const stack of stacks) {
    await t.gate.started(stack);
    t.gate.release(stack);
  }
  await t.portal.runs.settled(id);
}

describe("the tokens file", () => {
  const hash = sha256Hex("secret-token");
  it("accepts a list of { name, role, sha256 }", () => {
    expect(parseTokens(`- { name: ci, role: operator, sha256: ${hash} }`, "t.yaml")).toEqual([
      { name: "ci", role: "operator", sha256: hash },
    ]);
  });
  it.each([
    ["name: ci", "t.yaml: the file: must be a YAML list of { name, role, sha256 }"],
    [
      `- { name: ci, role: root, sha256: ${hash} }`,
      "t.yaml: entry 0, field role: must be one of viewer, operator, admin",
    ],
    [
      "- { name: ci, role: admin, sha256: abc }",
      "t.yaml: entry 0, field sha256: must be the 64 hex digits of the token's SHA-256",
    ],
    [
      `- { name: a, role: admin, sha256: ${hash} }\n- { name: b, role: viewer, sha256: ${hash} }`,
      't.yaml: "b" and "a" have the same sha256',
    ],
    [
      `- { name: ci, role: admin, sha256: ${hash}, token: x }`,
      't.yaml: entry 0: Unrecognized key: "token"',
    ],
    ["[]", "t.yaml: the list of tokens is empty"],
  ])("refuses %j", (text, message) => {
    expect(() => parseTokens(text, "t.yaml")).toThrow(new TokensFileError(message));
  });
});

describe("the server's settings", () => {
  it("refuses to start without a tokens file unless insecure local mode is asked for", () => {
    expect(() => portalConfig({}, PROJECT_DIR)).toThrow(PortalConfigError);
    expect(() => portalConfig({}, PROJECT_DIR)).toThrow(/^PORTAL_TOKENS_FILE is not set/);
    const local = portalConfig({ PORTAL_INSECURE_LOCAL: "1" }, PROJECT_DIR);
    expect(local).toMatchObject({ host: "127.0.0.1", port: 8787 });
    expect(local.tokens).toBeUndefined();
  });
  it.each([
    [
      { PORTAL_INSECURE_LOCAL: "1", PORTAL_HOST: "0.0.0.0" },
      'PORTAL_HOST="0.0.0.0": without PORTAL_TOKENS_FILE the server binds loopback only (127.0.0.1, ::1 or localhost)',
    ],
    [
      { PORTAL_INSECURE_LOCAL: "1", PORTAL_PORT: "http" },
      'PORTAL_PORT="http": expected a whole number from 0 to 65535',
    ],
    [
      { PORTAL_INSECURE_LOCAL: "1", PORTAL_PORT: "70000" },
      'PORTAL_PORT="70000": expected a whole number from 0 to 65535',
    ],
    [{ PORTAL_INSECURE_LOCAL: "yes" }, 'PORTAL_INSECURE_LOCAL="yes": expected 1 or 0'],
  ])("refuses %j", (env, message) => {
    expect(() => portalConfig(env, PROJECT_DIR)).toThrow(new PortalConfigError(message));
  });
  it("reads the tokens file named by PORTAL_TOKENS_FILE and may bind any address then", () => {
    const dir = tempDir("portal-config-");
    const file = path.join(dir, "tokens.yaml");
    fs.writeFileSync(file, `- { name: ci, role: viewer, sha256: ${sha256Hex("x")} }\n`);
    const config = portalConfig({ PORTAL_TOKENS_FILE: file, PORTAL_HOST: "0.0.0.0" }, PROJECT_DIR);
    expect(config.tokens).toEqual([{ name: "ci", role: "viewer", sha256: sha256Hex("x") }]);
    expect(config.host).toBe("0.0.0.0");
  });
});

describe("who may do what", () => {
  it("answers 401 without a token or with a wrong one, naming the header", async () => {
    const cases: Record<string, string>[] = [
      {},
      { Authorization: "Bearer wrong-token" },
      { Authorization: "Basic abc" },
    ];
    for (const headers of cases) {
      const r = await fetch(`${t.base}/api/runs`, { headers });
      expect(r.status).toBe(401);
      expect(r.headers.get("www-authenticate")).toBe('Bearer realm="portal"');
      const body = await json(r);
      expect(body.field).toBe("Authorization");
      expect(body.message).toMatch(/^header Authorization/);
    }
  });

  it.each([
    ["viewer", "up", 403],
    ["viewer", "refresh", 403],
    ["viewer", "destroy", 403],
    ["operator", "destroy", 403],
  ] as const)("%s may not start %s", async (role, operation, status) => {
    const body = {
      operation,
      stacks: ["eu-central-1"],
      ...(operation === "destroy" ? { confirm: ["eu-central-1"] } : {}),
    };
    const { response, body: answer } = await startRun(body, role);
    expect(response.status).toBe(status);
    expect(answer.message).toMatch(
      new RegExp(
        `^operation ${operation} needs the (operator|admin) role; "${role}-user" is ${role}$`,
      ),
    );
  });

  it("lets a viewer preview and an admin destroy with a confirmation listing exactly the stacks", async () => {
    const preview = await startRun({ operation: "preview", stacks: ["eu-central-1"] }, "viewer");
    expect(preview.response.status).toBe(202);
    await finish(preview.body.id, ["eu-central-1"]);

    const unconfirmed = await startRun({ operation: "destroy", stacks: ["eu-central-1"] }, "admin");
    expect(unconfirmed.response.status).toBe(400);
    expect(unconfirmed.body).toMatchObject({
      field: "confirm",
      message: "confirm: must list exactly the stacks destroyed (eu-central-1); got none",
    });
    const wrong = await startRun(
      { operation: "destroy", stacks: ["eu-central-1"], confirm: ["us-east-1"] },
      "admin",
    );
    expect(wrong.response.status).toBe(400);
    const all = await startRun({ operation: "destroy" }, "admin");
    expect(all.body).toMatchObject({ field: "stacks" });
    const ok = await startRun(
      { operation: "destroy", stacks: ["eu-central-1"], confirm: ["eu-central-1"] },
      "admin",
    );
    expect(ok.response.status).toBe(202);
    expect(ok.body.waves).toEqual([["eu-central-1"]]);
    await finish(ok.body.id, ["eu-central-1"]);
    expect(t.portal.runs.get(ok.body.id)?.status).toBe("succeeded");
  });

  it("writes every changing request to the audit log: who, what, when, outcome", async () => {
    const before = t.portal.store.readAudit().length;
    await startRun({ operation: "up", stacks: ["eu-central-1"] }, "viewer");
    await fetch(`${t.base}/api/runs`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{}",
    });
    const entries = t.portal.store.readAudit().slice(before);
    expect(entries.map((e) => [e.who, e.role, e.method, e.path, e.status, e.outcome])).toEqual([
      [
        "viewer-user",
        "viewer",
        "POST",
        "/api/runs",
        403,
        'operation up needs the operator role; "viewer-user" is viewer',
      ],
      [
        "anonymous",
        undefined,
        "POST",
        "/api/runs",
        401,
        "header Authorization is missing: expected `Bearer <token>`",
      ],
    ]);
    expect(entries[0].what).toEqual({ operation: "up", stacks: ["eu-central-1"] });
    expect(Date.parse(entries[0].time)).not.toBeNaN();
    const viewerAudit = await t.call("/api/audit", { role: "viewer" });
    expect(viewerAudit.status).toBe(403);
    const audit = await json<{ entries: unknown[] }>(await t.call("/api/audit", { role: "admin" }));
    expect(audit.entries.length).toBeGreaterThanOrEqual(entries.length);
  });
});

describe("runs", () => {
  it("starts a run: 202 with Location, per-stack results, and the events streamed in order to the end", async () => {
    const { response, body: run } = await startRun({
      operation: "up",
      stacks: ["global", "us-east-1"],
    });
    expect(response.status).toBe(202);
    expect(response.headers.get("location")).toBe(`/api/runs/${run.id}`);
    expect(run).toMatchObject({
      operation: "up",
      status: "queued",
      stacks: ["global", "us-east-1"],
      waves: [["global"], ["us-east-1"]],
      requestedBy: "operator-user",
    });
    const stream = t.call(`/api/runs/${run.id}/events`);
    await finish(run.id, ["global", "us-east-1"]);
    const r = await stream;
    expect(r.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const events = await readSse(r);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events.map((e) => e.data.type)).toEqual([
      "run-started",
      "wave-started",
      "stack-started",
      "resource-step",
      "stack-finished",
      "wave-started",
      "stack-started",
      "resource-step",
      "stack-finished",
      "run-finished",
      "run-ended",
    ]);
    const got = await json<RunRecord>(await t.call(`/api/runs/${run.id}`));
    expect(got.status).toBe("succeeded");
    expect(got.results.map((s) => [s.stack, s.wave, s.status, s.changes])).toEqual([
      ["global", 0, "succeeded", { create: 1 }],
      ["us-east-1", 1, "succeeded", { create: 1 }],
    ]);
    const list = await json<{ runs: RunRecord[] }>(await t.call("/api/runs"));
    expect(list.runs[0].id).toBe(run.id);
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    const stacksResponse = await t.call("/api/stacks");
    expect(stacksResponse.headers.get("x-content-type-options")).toBe("nosniff");
    const stacks = await json<{
      stacks: { stack: string; lastRun: { id: string; stackStatus: string } | null }[];
    }>(stacksResponse);
    expect(stacks.stacks.find((s) => s.stack === "global")?.lastRun).toMatchObject({
      id: run.id,
      stackStatus: "succeeded",
    });
  });

  it("a client reconnecting with Last-Event-ID gets exactly the events it missed", async () => {
    const { body: run } = await startRun({ operation: "up", stacks: ["us-east-1"] });
    await t.gate.started("us-east-1");
    // First connection: read what is there so far, then drop it while the run goes on.
    const controller = new AbortController();
    const first = await t.call(`/api/runs/${run.id}/events`, { signal: controller.signal });
    const reader = (first.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    while (parseSse(text).length < 3) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const seen = parseSse(text);
    expect(seen.map((e) => e.data.type)).toEqual(["run-started", "wave-started", "stack-started"]);
    t.gate.release("us-east-1");
    await t.portal.runs.settled(run.id);
    const again = await readSse(
      await t.call(`/api/runs/${run.id}/events`, { headers: { "Last-Event-ID": "3" } }),
    );
    expect(again.map((e) => [e.id, e.data.type])).toEqual([
      [4, "resource-step"],
      [5, "stack-finished"],
      [6, "run-finished"],
      [7, "run-ended"],
    ]);
    const all = await readSse(await t.call(`/api/runs/${run.id}/events`));
    expect(all.slice(3)).toEqual(again);
    const none = await readSse(
      await t.call(`/api/runs/${run.id}/events`, { headers: { "Last-Event-ID": "7" } }),
    );
    expect(none).toEqual([]);
  });

  it("refuses a run overlapping a running run with 409 naming it; other stacks run concurrently", async () => {
    const { body: first } = await startRun({ operation: "up", stacks: ["us-east-1"] });
    const overlap = await startRun(
      { operation: "preview", stacks: ["global", "us-east-1"] },
      "viewer",
    );
    expect(overlap.response.status).toBe(409);
    expect(overlap.body).toMatchObject({ runningRun: first.id, stacks: ["us-east-1"] });
    expect(overlap.body.message).toContain(first.id);
    const other = await startRun({ operation: "up", stacks: ["eu-central-1"] });
    expect(other.response.status).toBe(202);
    await Promise.all([t.gate.started("us-east-1"), t.gate.started("eu-central-1")]);
    expect([t.portal.runs.get(first.id)?.status, t.portal.runs.get(other.body.id)?.status]).toEqual(
      ["running", "running"],
    );
    t.gate.release("eu-central-1");
    t.gate.release("us-east-1");
    await Promise.all([t.portal.runs.settled(first.id), t.portal.runs.settled(other.body.id)]);
    const later = await startRun({ operation: "preview", stacks: ["us-east-1"] }, "viewer");
    expect(later.response.status).toBe(202);
    await finish(later.body.id, ["us-east-1"]);
  });

  it("returns the first run for a repeated Idempotency-Key, and refuses the key for another request", async () => {
    const send = (body: unknown, key: string, role: "operator" | "admin" = "operator") =>
      t.call("/api/runs", { json: body, role, headers: { "Idempotency-Key": key } });
    const a = await send({ operation: "up", stacks: ["eu-central-1"] }, "key-1");
    const runA = await json<RunRecord>(a);
    const b = await send({ stacks: ["eu-central-1"], operation: "up" }, "key-1");
    expect(b.status).toBe(202);
    expect(b.headers.get("idempotent-replayed")).toBe("true");
    expect((await json<RunRecord>(b)).id).toBe(runA.id);
    expect(t.portal.runs.list().filter((r) => r.idempotencyKey === "key-1")).toHaveLength(1);
    const c = await send({ operation: "up", stacks: ["us-east-1"] }, "key-1");
    expect(c.status).toBe(422);
    expect(await json(c)).toMatchObject({ field: "Idempotency-Key", run: runA.id });
    // Keys belong to their caller: another caller's same key is a new run.
    await finish(runA.id, ["eu-central-1"]);
    const d = await send({ operation: "up", stacks: ["eu-central-1"] }, "key-1", "admin");
    expect((await json<RunRecord>(d)).id).not.toBe(runA.id);
    await finish(t.portal.runs.list()[0].id, ["eu-central-1"]);
  });

  it("cancels a run: the running stack stops, the later waves are cancelled", async () => {
    const { body: run } = await startRun({ operation: "up", stacks: ["global", "us-east-1"] });
    await t.gate.started("global");
    const viewer = await t.call(`/api/runs/${run.id}/cancel`, { method: "POST", role: "viewer" });
    expect(viewer.status).toBe(403);
    const r = await t.call(`/api/runs/${run.id}/cancel`, { method: "POST", role: "operator" });
    expect(r.status).toBe(202);
    await t.portal.runs.settled(run.id);
    const done = t.portal.runs.get(run.id) as RunRecord;
    expect(done.status).toBe("cancelled");
    expect(done.cancelRequestedBy).toBe("operator-user");
    expect(done.results.map((s) => s.status)).toEqual(["cancelled", "cancelled"]);
    const again = await t.call(`/api/runs/${run.id}/cancel`, { method: "POST", role: "operator" });
    expect(again.status).toBe(409);
    expect((await json(again)).message).toBe(`run ${run.id} is already cancelled`);
  });

  it("answers 503 naming what is missing when an operation cannot run here", async () => {
    const other = await startPortal({
      missing: (op) => (op === "plan" ? [] : ["the Pulumi CLI was not found"]),
    });
    try {
      const r = await other.call("/api/runs", { json: { operation: "up" }, role: "operator" });
      expect(r.status).toBe(503);
      expect(await json(r)).toMatchObject({
        message: "cannot run up here: the Pulumi CLI was not found",
        missing: ["the Pulumi CLI was not found"],
      });
    } finally {
      await other.portal.close();
    }
  });

  it("records a run whose executor throws as failed, and keeps serving", async () => {
    const broken = await startPortal({
      executor: () => async () => Promise.reject(new Error("backend unreachable")),
    });
    try {
      const r = await broken.call("/api/runs", {
        json: { operation: "preview", stacks: ["global"] },
      });
      const run = await json<RunRecord>(r);
      await broken.portal.runs.settled(run.id);
      const got = await json<RunRecord>(await broken.call(`/api/runs/${run.id}`));
      expect([got.status, got.error]).toEqual(["failed", "backend unreachable"]);
      expect((await broken.call("/api/stacks")).status).toBe(200);
    } finally {
      await broken.portal.close();
    }
  });

  it("a destroy of stacks holding protected resources fails before deleting anything", async () => {
    const urn = "urn:pulumi:eu-central-1::platform::aws:kms/key:Key::region-key";
    class Protected extends MemoryStackOperations {
      protectedResources(target: StackTarget) {
        return Promise.resolve(
          target.stack === "eu-central-1" ? [{ stack: target.stack, urn }] : [],
        );
      }
    }
    const operations = new Protected();
    const guarded = await startPortal({ operations });
    try {
      const stacks = ["us-east-1", "eu-central-1"];
      const r = await guarded.call("/api/runs", {
        json: { operation: "destroy", stacks, confirm: stacks },
        role: "admin",
      });
      expect(r.status).toBe(202);
      const run = await json<RunRecord>(r);
      await guarded.portal.runs.settled(run.id);
      const got = await json<RunRecord>(await guarded.call(`/api/runs/${run.id}`));
      expect(got.status).toBe("failed");
      expect(got.error).toContain("destroy refused before deleting anything");
      expect(got.error).toContain(`[eu-central-1] ${urn}`);
      expect(got.results.map((s) => s.status)).toEqual(["pending", "pending"]);
      expect(operations.calls).toEqual([]);
    } finally {
      await guarded.portal.close();
    }
  });

  it("an up of region stacks whose zone is not delegated fails before any stack runs", async () => {
    const ns = ["ns-1.awsdns-01.org", "ns-2.awsdns-02.net"];
    const dns = dnsStandIn({ "platform.example.com": ns }, []);
    await new Promise<void>((resolve) => dns.bind(0, "127.0.0.1", resolve));
    const servers = [`127.0.0.1:${dns.address().port}`];
    class Zoned extends MemoryStackOperations {
      constructor(private readonly zoneName: string) {
        super();
      }
      override run(...args: Parameters<MemoryStackOperations["run"]>) {
        const [target, operation] = args;
        if (operation === "outputs" && target.role === "global") {
          return Promise.resolve({
            changes: {},
            outputs: { zoneName: this.zoneName, nameServers: ns },
          });
        }
        return super.run(...args);
      }
    }
    const runUp = async (zoneName: string) => {
      const operations = new Zoned(zoneName);
      const portal = await startPortal({
        executor: () =>
          automationExecutor(() => operations, {
            delegation: { projectDir: PROJECT_DIR, dns: () => ({ servers }) },
          }),
      });
      try {
        const r = await portal.call("/api/runs", {
          json: { operation: "up", stacks: ["us-east-1"] },
          role: "operator",
        });
        const run = await json<RunRecord>(r);
        await portal.portal.runs.settled(run.id);
        const got = await json<RunRecord>(await portal.call(`/api/runs/${run.id}`));
        return { got, calls: operations.calls.map((c) => `${c.operation} ${c.stack}`) };
      } finally {
        await portal.portal.close();
      }
    };
    try {
      const refused = await runUp("new.example.com");
      expect(refused.got.status).toBe("failed");
      expect(refused.got.error).toContain("new.example.com is not delegated: add an NS record");
      expect(refused.calls).toEqual([]);
      const delegated = await runUp("platform.example.com");
      expect(delegated.got.status).toBe("succeeded");
      expect(delegated.calls).toEqual(["up us-east-1"]);
    } finally {
      dns.close();
    }
  });

  it("plans the waves: GET /api/waves", async () => {
    const w = await json<{ waves: { tier: string; stacks: { stack: string }[] }[] }>(
      await t.call("/api/waves?operation=destroy&canary=0"),
    );
    expect(w.waves.map((x) => [x.tier, x.stacks.map((s) => s.stack)])).toEqual([
      ["region", ["us-east-1", "eu-central-1"]],
      ["global", ["global"]],
    ]);
  });
});

describe("bad input: every 4xx names the field or header at fault", () => {
  it.each([
    [{}, 400, "operation", "operation: must have required property 'operation'"],
    [
      { operation: "deploy" },
      400,
      "operation",
      "operation: must be equal to one of the allowed values (plan, preview, up, destroy, refresh)",
    ],
    [{ operation: "plan", stacks: [] }, 400, "stacks", "stacks: must NOT have fewer than 1 items"],
    [
      { operation: "plan", stacks: ["global", "bad name"] },
      400,
      "stacks[1]",
      'stacks[1]: must match pattern "^[A-Za-z0-9._-]+$"',
    ],
    [{ operation: "plan", canary: -1 }, 400, "canary", "canary: must be >= 0"],
    [{ operation: "plan", maxParallel: 1.5 }, 400, "maxParallel", "maxParallel: must be integer"],
    [
      { operation: "plan", stack: ["global"] },
      400,
      "stack",
      "stack: must NOT have additional properties",
    ],
    [
      { operation: "plan", confirm: ["global"] },
      400,
      "confirm",
      "confirm: only destroy takes a confirmation",
    ],
    [
      { operation: "plan", stacks: ["global", "ap-south-9"] },
      404,
      "stacks",
      'stacks: no stack "ap-south-9" in this project; stacks: global, us-east-1, eu-central-1',
    ],
  ])("POST /api/runs %j", async (body, status, field, message) => {
    const { response, body: answer } = await startRun(body, "admin");
    expect(response.status).toBe(status);
    expect(answer).toMatchObject({ statusCode: status, field, message });
  });

  it("names the header for a bad Idempotency-Key or Last-Event-ID, the path for an unknown run", async () => {
    const r1 = await t.call("/api/runs", {
      json: { operation: "plan" },
      headers: { "Idempotency-Key": "a b" },
    });
    expect(await json(r1)).toMatchObject({ field: "header Idempotency-Key" });
    const run = t.portal.runs.list()[0];
    const r2 = await t.call(`/api/runs/${run.id}/events`, { headers: { "Last-Event-ID": "x" } });
    expect(r2.status).toBe(400);
    expect(await json(r2)).toMatchObject({ field: "header Last-Event-ID" });
    const r3 = await t.call("/api/runs/00000000-0000-0000-0000-000000000000");
    expect([r3.status, (await json(r3)).message]).toEqual([
      404,
      "path parameter id: no run 00000000-0000-0000-0000-000000000000",
    ]);
    const r4 = await t.call("/api/runs/not-a-run");
    expect([r4.status, (await json(r4)).field]).toEqual([400, "path parameter id"]);
    const r5 = await t.call("/api/waves?operation=launch");
    expect([r5.status, (await json(r5)).field]).toEqual([400, "query parameter operation"]);
  });

  it("refuses malformed JSON, a wrong content type and a body over the limit", async () => {
    const post = (body: string, type = "application/json") =>
      t.call("/api/runs", { method: "POST", body, headers: { "Content-Type": type } });
    const bad = await post("{ operation: ");
    expect([bad.status, (await json(bad)).field]).toEqual([400, "body"]);
    const text = await post("operation=plan", "application/x-www-form-urlencoded");
    expect([text.status, (await json(text)).field]).toEqual([415, "Content-Type"]);
    const big = await post(JSON.stringify({ operation: "plan", pad: "x".repeat(70_000) }));
    expect(big.status).toBe(413);
    expect(await json(big)).toMatchObject({
      field: "body",
      message: "body: larger than the limit of 65536 bytes",
    });
    expect((await t.call("/api/stacks")).status).toBe(200);
  });
});

describe("POST /api/policy/check", () => {
  const doc = {
    steps: [
      step("update", "aws:sns/topic:Topic", "alerts", {}),
      step("create", "aws:sqs/queue:Queue", "jobs", { kmsMasterKeyId: KEY }),
      step("create", "aws:s3/bucket:Bucket", "use1-alb-logs", { bucket: "use1-alb-logs-1" }),
    ],
  };

  it("answers the policy report exactly as `npm run policy -- check --json` prints it", async () => {
    const r = await t.call("/api/policy/check", { json: doc });
    expect(r.status).toBe(200);
    const report = await json<{ violations: { policy: string }[] }>(r);
    const dir = tempDir("portal-policy-");
    const file = path.join(dir, "preview.json");
    fs.writeFileSync(file, JSON.stringify(doc));
    const cli = spawnSync(
      process.execPath,
      ["--import", "tsx", "tools/policy.ts", "check", "--json", file],
      { cwd: PROJECT_DIR, encoding: "utf8" },
    );
    expect(cli.status).toBe(1);
    expect(report).toEqual(JSON.parse(cli.stdout));
    expect(report.violations.map((v) => v.policy)).toContain("sns-topic-cmk");
  });

  it("names the step at fault in a document that is not a preview", async () => {
    const r = await t.call("/api/policy/check", {
      json: { steps: [{ op: "create", newState: { inputs: {} } }] },
    });
    expect(r.status).toBe(400);
    expect(await json(r)).toMatchObject({
      field: "steps[0].newState",
      message: "body: steps[0].newState has no urn or type",
    });
    const r2 = await t.call("/api/policy/check", { json: { resources: [] } });
    expect(await json(r2)).toMatchObject({ field: "steps" });
  });
});

describe("the OpenAPI document", () => {
  it("describes every route with its request schema", async () => {
    const doc = await json<{
      openapi: string;
      paths: Record<
        string,
        Record<string, { requestBody?: unknown; parameters?: { name: string; in: string }[] }>
      >;
    }>(await fetch(`${t.base}/openapi.json`));
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/api/audit",
      "/api/policy/check",
      "/api/runs",
      "/api/runs/{id}",
      "/api/runs/{id}/cancel",
      "/api/runs/{id}/events",
      "/api/stacks",
      "/api/waves",
      "/api/whoami",
    ]);
    expect(doc.paths["/api/runs"].post.requestBody).toBeDefined();
    expect(doc.paths["/api/runs"].post.parameters).toEqual([
      expect.objectContaining({ name: "idempotency-key", in: "header" }),
    ]);
    expect(doc.paths["/api/runs/{id}/events"].get.parameters?.map((p) => p.name).sort()).toEqual([
      "id",
      "last-event-id",
    ]);
  });
});

describe("a restart", () => {
  it("keeps the runs, replays their events, marks the run in flight interrupted and only then frees its stacks", async () => {
    const dataDir = tempDir("portal-restart-");
    const first = await startPortal({ dataDir });
    const { body: done } = await (async () => {
      const r = await first.call("/api/runs", {
        json: { operation: "preview", stacks: ["global"] },
      });
      return { body: await json<RunRecord>(r) };
    })();
    await first.gate.started("global");
    first.gate.release("global");
    await first.portal.runs.settled(done.id);
    const inflight = await json<RunRecord>(
      await first.call("/api/runs", {
        json: { operation: "up", stacks: ["us-east-1", "eu-central-1"], canary: 0 },
        role: "operator",
      }),
    );
    await Promise.all([first.gate.started("us-east-1"), first.gate.started("eu-central-1")]);
    first.gate.release("eu-central-1");
    await new Promise((resolve) => setImmediate(resolve));
    const doneEvents = first.portal.runs.eventsOf(done.id);
    // The server dies: no shutdown, the run never ends in this process.
    await first.portal.app.close();

    const second = await startPortal({
      dataDir,
      executor: () => automationExecutor(() => second.gate),
    });
    try {
      const list = await json<{ runs: RunRecord[] }>(await second.call("/api/runs"));
      expect(list.runs.map((r) => [r.id, r.status])).toEqual([
        [inflight.id, "interrupted"],
        [done.id, "succeeded"],
      ]);
      const interrupted = list.runs[0];
      expect(interrupted.results.map((r) => [r.stack, r.status])).toEqual([
        ["us-east-1", "interrupted"],
        ["eu-central-1", "succeeded"],
      ]);
      expect(interrupted.error).toMatch(/^the portal server stopped while this run was in flight/);
      const replay = await readSse(await second.call(`/api/runs/${done.id}/events`));
      expect(replay.map((e) => e.id)).toEqual(doneEvents.map((e) => e.id));
      expect(replay.map((e) => e.data.type)).toEqual(doneEvents.map((e) => e.event.type));
      const tail = await readSse(await second.call(`/api/runs/${inflight.id}/events`));
      expect(tail[tail.length - 1].data).toMatchObject({
        type: "run-ended",
        status: "interrupted",
      });
      expect(tail.map((e) => e.id)).toEqual(tail.map((_, i) => i + 1));
      const again = await second.call("/api/runs", {
        json: { operation: "up", stacks: ["us-east-1"] },
        role: "operator",
      });
      expect(again.status).toBe(202);
      const run = await json<RunRecord>(again);
      await second.gate.started("us-east-1");
      second.gate.release("us-east-1");
      await second.portal.runs.settled(run.id);
    } finally {
      await second.portal.close();
    }
  });
});

/**
 * The orchestration against the in-memory stand-in: order, waves, parallelism (from the
 * stand-in's own timestamps and concurrency count, never wall-clock thresholds), failure
 * handling, reverse destroy, cancellation and events.
 */
import { describe, expect, it } from "vitest";
import { syntheticTargets, orchestrationFigure } from "../automation/bench";
import { MemoryStackOperations } from "../automation/memory";
import { runWaves } from "../automation/orchestrator";
import { formatChanges, formatSummary, ProgressReporter } from "../automation/progress";
import type { Operation, PlatformEvent, StackResult, StackTarget } from "../automation/types";
import {
  parseStackList,
  planWaves,
  SelectionError,
  type ProjectTargets,
} from "../automation/waves";

const targets: ProjectTargets = {
  global: { stack: "global", role: "global", region: "us-east-1" },
  regions: [
    { stack: "us-east-1", role: "region", region: "us-east-1" },
    { stack: "eu-central-1", role: "region", region: "eu-central-1" },
    { stack: "ap-southeast-2", role: "region", region: "ap-southeast-2" },
    { stack: "sa-east-1", role: "region", region: "sa-east-1" },
  ],
};

const names = (waves: ReturnType<typeof planWaves>) =>
  waves.map((w) => w.stacks.map((t) => t.stack));

describe("planWaves", () => {
  it.each<
    [
      string,
      Operation,
      Parameters<typeof planWaves>[2],
      Parameters<typeof planWaves>[3],
      string[][],
    ]
  >([
    [
      "default: global, one canary, the rest",
      "up",
      undefined,
      {},
      [["global"], ["us-east-1"], ["eu-central-1", "ap-southeast-2", "sa-east-1"]],
    ],
    [
      "canary off",
      "up",
      undefined,
      { canary: 0 },
      [["global"], ["us-east-1", "eu-central-1", "ap-southeast-2", "sa-east-1"]],
    ],
    [
      "two canaries",
      "preview",
      undefined,
      { canary: 2 },
      [["global"], ["us-east-1", "eu-central-1"], ["ap-southeast-2", "sa-east-1"]],
    ],
    [
      "max parallel 2",
      "up",
      undefined,
      { maxParallel: 2 },
      [["global"], ["us-east-1"], ["eu-central-1", "ap-southeast-2"], ["sa-east-1"]],
    ],
    [
      "custom order picks the canary",
      "up",
      undefined,
      { order: ["sa-east-1"] },
      [["global"], ["sa-east-1"], ["us-east-1", "eu-central-1", "ap-southeast-2"]],
    ],
    [
      "destroy reverses",
      "destroy",
      undefined,
      {},
      [["eu-central-1", "ap-southeast-2", "sa-east-1"], ["us-east-1"], ["global"]],
    ],
    [
      "selection without global",
      "up",
      ["eu-central-1", "us-east-1"],
      {},
      [["us-east-1"], ["eu-central-1"]],
    ],
    ["global alone", "refresh", ["global"], {}, [["global"]]],
    [
      "canary larger than the selection",
      "up",
      ["global", "eu-central-1"],
      { canary: 3 },
      [["global"], ["eu-central-1"]],
    ],
  ])("%s", (_, operation, selection, options, expected) => {
    expect(names(planWaves(targets, operation, selection, options))).toEqual(expected);
  });

  it.each<[string, Parameters<typeof planWaves>[2], Parameters<typeof planWaves>[3], string]>([
    [
      "unknown stack",
      ["global", "mars-1"],
      {},
      'unknown stack "mars-1"; stacks of this project: global, us-east-1, eu-central-1, ap-southeast-2, sa-east-1',
    ],
    [
      "order with a non-region",
      undefined,
      { order: ["global"] },
      'region order names "global", which is not a region stack; region stacks: us-east-1, eu-central-1, ap-southeast-2, sa-east-1',
    ],
    ["negative canary", undefined, { canary: -1 }, "canary = -1: expected a whole number >= 0"],
    [
      "zero parallelism",
      undefined,
      { maxParallel: 0 },
      "maxParallel = 0: expected a whole number >= 1",
    ],
  ])("rejects %s", (_, selection, options, message) => {
    expect(() => planWaves(targets, "up", selection, options)).toThrow(new SelectionError(message));
  });

  it("parses stack lists with commas and spaces, dropping duplicates", () => {
    expect(parseStackList("global, us-east-1,,us-east-1 eu-central-1")).toEqual([
      "global",
      "us-east-1",
      "eu-central-1",
    ]);
    expect(parseStackList(" , ")).toBeUndefined();
    expect(parseStackList(undefined)).toBeUndefined();
  });
});

/** A logical clock: each reading is one tick later, so order is exact and independent of load. */
function ticks(): () => number {
  let t = 0;
  return () => ++t;
}

describe("runWaves", () => {
  it("runs global before every region and the regions of a wave in parallel", async () => {
    const ops = new MemoryStackOperations({ durationMs: 5, clock: ticks() });
    const result = await runWaves(ops, "up", planWaves(targets, "up"));
    expect(result.ok).toBe(true);
    expect(result.stacks.map((s) => [s.stack, s.status, s.wave])).toEqual([
      ["global", "succeeded", 0],
      ["us-east-1", "succeeded", 1],
      ["eu-central-1", "succeeded", 2],
      ["ap-southeast-2", "succeeded", 2],
      ["sa-east-1", "succeeded", 2],
    ]);
    const call = (s: string) => ops.call(s) ?? expect.fail(`no call for ${s}`);
    // Waves are sequential: each starts after the previous one ended.
    expect(call("global").end).toBeLessThan(call("us-east-1").start);
    for (const s of ["eu-central-1", "ap-southeast-2", "sa-east-1"]) {
      expect(call("us-east-1").end).toBeLessThan(call(s).start);
    }
    // The last wave overlaps: every member started before any member ended.
    const last = ["eu-central-1", "ap-southeast-2", "sa-east-1"].map(call);
    expect(Math.max(...last.map((c) => c.start))).toBeLessThan(Math.min(...last.map((c) => c.end)));
    expect(ops.peakConcurrency).toBe(3);
    expect(ops.calls).toHaveLength(5);
  });

  it("honours maxParallel", async () => {
    const ops = new MemoryStackOperations({ durationMs: 1 });
    await runWaves(ops, "up", planWaves(targets, "up", undefined, { canary: 0, maxParallel: 2 }));
    expect(ops.peakConcurrency).toBe(2);
  });

  it("destroys in reverse order: regions first, global last", async () => {
    const ops = new MemoryStackOperations({ clock: ticks() });
    const result = await runWaves(
      ops,
      "destroy",
      planWaves(targets, "destroy", undefined, { canary: 0 }),
    );
    expect(result.ok).toBe(true);
    const global = ops.call("global") ?? expect.fail("global not destroyed");
    for (const r of targets.regions) {
      expect((ops.call(r.stack) ?? expect.fail(r.stack)).end).toBeLessThan(global.start);
    }
    expect(result.stacks.map((s) => s.changes)).toEqual([
      { delete: 1 },
      { delete: 1 },
      { delete: 1 },
      { delete: 1 },
      { delete: 1 },
    ]);
  });

  it("a failed canary stops the later waves and keeps what succeeded", async () => {
    const ops = new MemoryStackOperations({ failures: { "us-east-1": "quota exceeded" } });
    const result = await runWaves(ops, "up", planWaves(targets, "up"));
    expect(result.ok).toBe(false);
    expect(result.stacks.map((s) => [s.stack, s.status, s.error])).toEqual([
      ["global", "succeeded", undefined],
      ["us-east-1", "failed", "quota exceeded"],
      ["eu-central-1", "skipped", 'not started: stack "us-east-1" failed in wave 1'],
      ["ap-southeast-2", "skipped", 'not started: stack "us-east-1" failed in wave 1'],
      ["sa-east-1", "skipped", 'not started: stack "us-east-1" failed in wave 1'],
    ]);
    expect(ops.calls.map((c) => c.stack)).toEqual(["global", "us-east-1"]);
    expect(ops.calls.every((c) => c.operation === "up")).toBe(true);
    expect(result.stacks[0].outputs).toEqual({ stack: "global", region: "us-east-1" });
  });

  it("lets the other stacks of a failing wave finish", async () => {
    const ops = new MemoryStackOperations({ durationMs: 2, failures: { "eu-central-1": "boom" } });
    const result = await runWaves(ops, "up", planWaves(targets, "up", undefined, { canary: 0 }));
    expect(result.stacks.map((s) => [s.stack, s.status])).toEqual([
      ["global", "succeeded"],
      ["us-east-1", "succeeded"],
      ["eu-central-1", "failed"],
      ["ap-southeast-2", "succeeded"],
      ["sa-east-1", "succeeded"],
    ]);
    expect(ops.peakConcurrency).toBe(4);
  });

  it("with onFailure continue, later region waves still run", async () => {
    const ops = new MemoryStackOperations({ failures: { "us-east-1": "boom" } });
    const result = await runWaves(
      ops,
      "up",
      planWaves(targets, "up", undefined, { maxParallel: 1 }),
      {
        onFailure: "continue",
      },
    );
    expect(result.stacks.map((s) => s.status)).toEqual([
      "succeeded",
      "failed",
      "succeeded",
      "succeeded",
      "succeeded",
    ]);
  });

  it("never crosses the global/region boundary after a failure, even with continue", async () => {
    const up = new MemoryStackOperations({ failures: { global: "boom" } });
    const upResult = await runWaves(up, "up", planWaves(targets, "up"), { onFailure: "continue" });
    expect(upResult.stacks.map((s) => s.status)).toEqual([
      "failed",
      "skipped",
      "skipped",
      "skipped",
      "skipped",
    ]);

    const down = new MemoryStackOperations({ failures: { "sa-east-1": "boom" } });
    const downResult = await runWaves(down, "destroy", planWaves(targets, "destroy"), {
      onFailure: "continue",
    });
    expect(downResult.stacks.map((s) => [s.stack, s.status])).toEqual([
      ["eu-central-1", "succeeded"],
      ["ap-southeast-2", "succeeded"],
      ["sa-east-1", "failed"],
      ["us-east-1", "succeeded"],
      ["global", "skipped"],
    ]);
  });

  it("a mandatory policy violation fails the stack; an advisory one does not", async () => {
    const events: PlatformEvent[] = [];
    const ops = new MemoryStackOperations({
      violations: {
        global: [
          { policy: "kms-key-rotation", enforcement: "advisory", message: "turn rotation on" },
        ],
        "us-east-1": [
          { policy: "no-iam-wildcard", enforcement: "mandatory", message: "scope the action" },
        ],
      },
    });
    const result = await runWaves(ops, "preview", planWaves(targets, "preview"), {
      onEvent: (e) => events.push(e),
    });
    expect(result.stacks.map((s) => s.status)).toEqual([
      "succeeded",
      "failed",
      "skipped",
      "skipped",
      "skipped",
    ]);
    expect(result.stacks[1].error).toBe("mandatory policy violations: no-iam-wildcard");
    expect(events.filter((e) => e.type === "policy-violation")).toEqual([
      {
        type: "policy-violation",
        stack: "global",
        policyPack: "platform-policies",
        policy: "kms-key-rotation",
        enforcement: "advisory",
        message: "turn rotation on",
        urn: "urn:pulumi:global::platform::platform:memory:Thing::global-thing",
      },
      {
        type: "policy-violation",
        stack: "us-east-1",
        policyPack: "platform-policies",
        policy: "no-iam-wildcard",
        enforcement: "mandatory",
        message: "scope the action",
        urn: "urn:pulumi:us-east-1::platform::platform:memory:Thing::us-east-1-thing",
      },
    ]);
  });

  it("cancels the running stack and the waves not started when the signal aborts", async () => {
    const controller = new AbortController();
    const ops = new MemoryStackOperations({
      durationMs: (t) => (t.role === "global" ? 0 : 60_000),
    });
    const result = await runWaves(ops, "up", planWaves(targets, "up"), {
      signal: controller.signal,
      // Abort while the canary is in the middle of its operation.
      onEvent: (e) => {
        if (e.type === "resource-step" && e.stack === "us-east-1") controller.abort();
      },
    });
    expect(result.ok).toBe(false);
    expect(result.stacks.map((s) => [s.stack, s.status, s.error])).toEqual([
      ["global", "succeeded", undefined],
      ["us-east-1", "cancelled", 'stack "us-east-1": cancelled'],
      ["eu-central-1", "cancelled", "cancelled before it started"],
      ["ap-southeast-2", "cancelled", "cancelled before it started"],
      ["sa-east-1", "cancelled", "cancelled before it started"],
    ]);
    expect(ops.calls.map((c) => [c.stack, c.outcome])).toEqual([
      ["global", "succeeded"],
      ["us-east-1", "cancelled"],
    ]);
  });

  it("starts nothing when the signal is already aborted", async () => {
    const ops = new MemoryStackOperations();
    const result = await runWaves(ops, "destroy", planWaves(targets, "destroy"), {
      signal: AbortSignal.abort(),
    });
    expect(result.stacks.map((s) => s.status)).toEqual(Array(5).fill("cancelled"));
    expect(ops.calls).toEqual([]);
  });

  it("streams typed events in order, one stack-finished per stack", async () => {
    const events: PlatformEvent[] = [];
    const two: ProjectTargets = { global: targets.global, regions: targets.regions.slice(0, 2) };
    const ops = new MemoryStackOperations();
    await runWaves(ops, "up", planWaves(two, "up"), {
      onEvent: (e) => events.push(e),
      now: ticks(),
    });
    const compact = events.map((e) => ("stack" in e ? `${e.type}:${e.stack}` : e.type));
    expect(compact).toEqual([
      "run-started",
      "wave-started",
      "stack-started:global",
      "resource-step:global",
      "resource-step:global",
      "stack-finished:global",
      "wave-started",
      "stack-started:us-east-1",
      "resource-step:us-east-1",
      "resource-step:us-east-1",
      "stack-finished:us-east-1",
      "wave-started",
      "stack-started:eu-central-1",
      "resource-step:eu-central-1",
      "resource-step:eu-central-1",
      "stack-finished:eu-central-1",
      "run-finished",
    ]);
    expect(events[0]).toEqual({
      type: "run-started",
      operation: "up",
      waves: [["global"], ["us-east-1"], ["eu-central-1"]],
    });
    const finished = events.find((e) => e.type === "stack-finished" && e.stack === "global");
    expect(finished).toEqual({
      type: "stack-finished",
      stack: "global",
      result: {
        stack: "global",
        role: "global",
        operation: "up",
        status: "succeeded",
        wave: 0,
        changes: { create: 1 },
        outputs: { stack: "global", region: "us-east-1" },
        durationMs: 1,
      },
    });
    const last = events[events.length - 1];
    expect(last.type === "run-finished" && last.result.stacks).toHaveLength(3);
  });

  it("outputs runs every selected stack and returns their outputs", async () => {
    const ops = new MemoryStackOperations();
    const result = await runWaves(
      ops,
      "outputs",
      planWaves(targets, "outputs", ["global", "sa-east-1"]),
    );
    expect(result.stacks.map((s) => [s.stack, s.outputs, s.changes])).toEqual([
      ["global", { stack: "global", region: "us-east-1" }, {}],
      ["sa-east-1", { stack: "sa-east-1", region: "sa-east-1" }, {}],
    ]);
  });
});

describe("orchestrationFigure", () => {
  it("runs one global and N regions with the regions in one parallel wave", async () => {
    const figure = await orchestrationFigure(4, 1);
    expect(figure.regions).toBe(4);
    expect(figure.ratio).toBe(figure.totalMs / 2);
    const waves = planWaves(syntheticTargets(4), "up", undefined, { canary: 0 });
    expect(names(waves)).toEqual([["global"], ["region-1", "region-2", "region-3", "region-4"]]);
  });

  it("builds distinct synthetic stacks", () => {
    const t = syntheticTargets(3);
    expect(t.regions.map((r: StackTarget) => r.stack)).toEqual([
      "region-1",
      "region-2",
      "region-3",
    ]);
  });
});

describe("ProgressReporter (log mode)", () => {
  it("prints one line per notable event and a summary", async () => {
    const lines: string[] = [];
    const reporter = new ProgressReporter(
      (t) => lines.push(t),
      false,
      () => 0,
    );
    const two: ProjectTargets = { global: targets.global, regions: targets.regions.slice(0, 1) };
    const ops = new MemoryStackOperations({ failures: { "us-east-1": "quota exceeded" } });
    await runWaves(ops, "up", planWaves(two, "up"), {
      onEvent: (e) => reporter.handle(e),
      now: () => 0,
    });
    expect(lines.join("")).toBe(
      [
        "up: [global] -> [us-east-1]",
        "wave 0: global",
        "[global] up started",
        "[global] + platform:memory:Thing global-thing",
        "[global] succeeded in 0.0s: 1 create",
        "wave 1: us-east-1",
        "[us-east-1] up started",
        "[us-east-1] failed: + platform:memory:Thing us-east-1-thing",
        "[us-east-1] error: quota exceeded",
        "[us-east-1] failed: quota exceeded",
        "",
        "up did not succeed in 0.0s",
        "  global     succeeded     0.0s  1 create",
        "  us-east-1  failed        0.0s  quota exceeded",
        "outputs of global:",
        '  stack: "global"',
        '  region: "us-east-1"',
        "",
      ].join("\n"),
    );
    expect(formatChanges({ same: 3, update: 1 })).toBe("1 update, 3 unchanged");
    expect(formatChanges({})).toBe("no changes");
  });
});

describe("formatSummary", () => {
  it("after an up that exports a zone, says which NS record its parent needs", () => {
    const ns = ["ns-1.awsdns-01.org", "ns-2.awsdns-02.net"];
    const global: StackResult = {
      stack: "global",
      role: "global",
      operation: "up",
      status: "succeeded",
      wave: 0,
      changes: { create: 1 },
      outputs: { zoneName: "platform.example.com", nameServers: ns },
      durationMs: 0,
    };
    const lines = formatSummary({
      operation: "up",
      ok: true,
      waves: [["global"]],
      stacks: [global],
      durationMs: 0,
    });
    expect(lines.at(-1)).toBe(
      "delegate platform.example.com (stack global): NS in its parent zone -> " + ns.join(" "),
    );
    const refreshed = formatSummary({
      operation: "refresh",
      ok: true,
      waves: [["global"]],
      stacks: [{ ...global, operation: "refresh" }],
      durationMs: 0,
    });
    expect(refreshed.filter((l) => l.startsWith("delegate"))).toEqual([]);
  });

  it("keeps every line of a failed stack's error under its row", () => {
    const failed: StackResult = {
      stack: "global",
      role: "global",
      operation: "destroy",
      status: "failed",
      wave: 0,
      changes: {},
      outputs: {},
      durationMs: 0,
      error:
        "error: unable to delete resource \"urn:x\"\nas it is currently marked for protection.\n`pulumi state unprotect 'urn:x'`",
    };
    expect(
      formatSummary({
        operation: "destroy",
        ok: false,
        waves: [["global"]],
        stacks: [failed],
        durationMs: 0,
      }),
    ).toEqual([
      "destroy did not succeed in 0.0s",
      '  global  failed        0.0s  error: unable to delete resource "urn:x"',
      "      as it is currently marked for protection.",
      "      `pulumi state unprotect 'urn:x'`",
    ]);
  });
});

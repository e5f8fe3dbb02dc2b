/**
 * The offline plan over the project's real stack files: the global stack first, each region
 * stack with its StackReference answered by the global stack's recorded outputs.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { checkGlobalOutputs, GLOBAL_OUTPUT_KEYS } from "../lib/contract";
import { runPlan, type PlanResult } from "../plan/plan";
import { UNKNOWN } from "../plan/record";
import { runProgram } from "../programs";
import { copyProject, editStack, PROJECT_DIR } from "./fixtures";

const strings = (v: unknown, out: string[] = []): string[] => {
  if (typeof v === "string") out.push(v);
  else if (v && typeof v === "object") Object.values(v).forEach((x) => strings(x, out));
  return out;
};

describe("the plan of the project's stacks", () => {
  let result: PlanResult;
  beforeAll(async () => {
    result = await runPlan({ dir: PROJECT_DIR, program: runProgram });
  });

  it("evaluates the global stack first, then every region stack", () => {
    expect(result.stacks.map((s) => [s.stack, s.kind])).toEqual([
      ["global", "global"],
      ["eu-central-1", "region"],
      ["us-east-1", "region"],
    ]);
  });

  it("exports every key of the global contract", () => {
    const global = result.stacks[0].document.outputs;
    expect(Object.keys(global).sort()).toEqual([...GLOBAL_OUTPUT_KEYS].sort());
    const parsed = checkGlobalOutputs("global", "eu-central-1", global);
    expect(Object.keys(parsed.fabric).sort()).toEqual(["eu-central-1", "us-east-1"]);
  });

  it.each(["eu-central-1", "us-east-1"])(
    "%s reads the global stack through one StackReference and uses its values",
    (stack) => {
      const plan = result.stacks.find((s) => s.stack === stack)!;
      const refs = plan.records.filter((r) => r.type === "pulumi:pulumi:StackReference");
      expect(refs.map((r) => r.inputs.name)).toEqual(["organization/platform/global"]);
      const fabric = (
        result.stacks[0].document.outputs.fabric as Record<string, Record<string, string>>
      )[stack];
      const inputs = new Set(strings(plan.records.map((r) => r.inputs)));
      expect(inputs.has(fabric.kmsKeyArn)).toBe(true);
      expect(inputs.has(fabric.busName)).toBe(true);
      // Nothing of another region's fabric leaks into this region's resources.
      const other = (
        result.stacks[0].document.outputs.fabric as Record<string, Record<string, string>>
      )[stack === "us-east-1" ? "eu-central-1" : "us-east-1"];
      expect(inputs.has(other.kmsKeyArn)).toBe(false);
    },
  );

  it("leaves no unknown value in any document", () => {
    for (const s of result.stacks) expect(JSON.stringify(s.document)).not.toContain(UNKNOWN);
  });

  it("records parents, providers and dependencies as the engine would", () => {
    for (const s of result.stacks) {
      const urns = new Set(s.records.map((r) => r.urn));
      for (const r of s.records) {
        if (r.type !== "pulumi:pulumi:Stack") expect(urns.has(r.parent)).toBe(true);
        for (const d of r.dependencies) expect(urns.has(d)).toBe(true);
      }
    }
  });
});

describe("the contract check", () => {
  it("names what is missing from a stale global stack", () => {
    expect(() =>
      checkGlobalOutputs("organization/platform/global", "us-east-1", { homeRegion: "us-east-1" }),
    ).toThrow(
      /^the outputs of stack "organization\/platform\/global" do not match the global contract \(regions: .*run `pulumi up` on the global stack first$/,
    );
  });
});

describe("the plan command", () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", "tools/plan.ts", ...args], {
      cwd: PROJECT_DIR,
      encoding: "utf8",
    });

  it("exits 2 on bad config, names the stack and key, and writes nothing", () => {
    const dir = copyProject();
    editStack(dir, "eu-central-1", (c) => {
      (c["platform:network"] as Record<string, unknown>).vpcCidr = "10.10.0.0/16";
    });
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "plan-out-"));
    const child = run(["--project-dir", dir, "--out", out, "--quiet"]);
    expect(child.status).toBe(2);
    expect(child.stderr).toContain(
      'config key platform:network.vpcCidr = "10.10.0.0/16": overlaps 10.10.0.0/16',
    );
    expect(fs.readdirSync(out)).toEqual([]);
  });

  it("exits 2 on an unknown region in --regions", () => {
    const child = run(["--regions", "us-east-1,mars-north-1", "--quiet"]);
    expect(child.status).toBe(2);
    expect(child.stderr).toContain("mars-north-1: not AWS regions");
  });

  it("writes one preview-shaped document per stack", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "plan-out-"));
    const child = run(["--out", out, "--quiet"]);
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual([
      "eu-central-1.json",
      "global.json",
      "us-east-1.json",
    ]);
    const doc = JSON.parse(fs.readFileSync(path.join(out, "us-east-1.json"), "utf8"));
    expect(doc.stack).toBe("us-east-1");
    expect(doc.violations).toEqual([]);
    for (const step of doc.steps) {
      expect(["create", "read"]).toContain(step.op);
      expect(step.newState.urn).toBe(step.urn);
      expect(Object.keys(step.newState)).toEqual(
        expect.arrayContaining(["type", "urn", "custom", "inputs"]),
      );
    }
  });
});

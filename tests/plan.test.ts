/**
 * The offline plan over the project's real stack files: the global stack first, each region
 * stack with its StackReference answered by the global stack's recorded outputs.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { checkGlobalOutputs, GLOBAL_OUTPUT_KEYS } from "../lib/contract";
import { runPlan, type PlanResult } from "../plan/plan";
import { ADVISORY_BY_DEFAULT } from "../policy/config";
import { evaluateResources } from "../policy/offline";
import { UNKNOWN } from "../plan/record";
import { runProgram } from "../programs";
import { copyProject, editStack, planCommand, PROJECT_DIR } from "./fixtures";

const strings = (v: unknown, out: string[] = []): string[] => {
  if (typeof v === "string") out.push(v);
  else if (v && typeof v === "object") Object.values(v).forEach((x) => strings(x, out));
  return out;
};

// Every plan evaluates all the stacks' programs: minutes on a loaded machine.
const PLAN_TIMEOUT = 600_000;

describe("the plan of the project's stacks", () => {
  let result: PlanResult;
  beforeAll(async () => {
    result = await runPlan({ dir: PROJECT_DIR, program: runProgram });
  }, PLAN_TIMEOUT);

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

describe("the plan command", { timeout: PLAN_TIMEOUT }, () => {
  it("exits 2 on bad config, names the stack and key, and writes nothing", () => {
    const dir = copyProject();
    editStack(dir, "eu-central-1", (c) => {
      (c["platform:network"] as Record<string, unknown>).vpcCidr = "10.10.0.0/16";
    });
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "plan-out-"));
    const child = planCommand(["--project-dir", dir, "--out", out, "--quiet"]);
    expect(child.status).toBe(2);
    expect(child.stderr).toContain(
      'config key platform:network.vpcCidr = "10.10.0.0/16": overlaps 10.10.0.0/16',
    );
    expect(fs.readdirSync(out)).toEqual([]);
  });

  it("exits 2 on an unknown region in --regions", () => {
    const child = planCommand(["--regions", "us-east-1,mars-north-1", "--quiet"]);
    expect(child.status).toBe(2);
    expect(child.stderr).toContain("mars-north-1: not AWS regions");
  });

  it("writes one preview-shaped document per stack", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "plan-out-"));
    const child = planCommand(["--out", out, "--quiet"]);
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    // --quiet keeps the last line: the totals and the policy result.
    const lines = child.stdout.trim().split("\n");
    expect(lines.at(-1)).toMatch(
      /^plan: 3 stacks, \+ \d+ to create, 2 read; policies passed: 0 mandatory, 0 other violations, \d+ exemptions$/,
    );
    expect(child.stdout).not.toContain("Previewing stack");
    expect(fs.readdirSync(out).sort()).toEqual([
      "eu-central-1.json",
      "global.json",
      "us-east-1.json",
    ]);
    const doc = JSON.parse(fs.readFileSync(path.join(out, "us-east-1.json"), "utf8"));
    expect(doc.stack).toBe("us-east-1");
    // Only the operational flags (policy-queues.test.ts), nothing else.
    expect(
      doc.violations.filter((v: { policy: string }) => !ADVISORY_BY_DEFAULT.includes(v.policy)),
    ).toEqual([]);
    // The ALB access-log bucket's exemption from the CMK rule, listed with its reason.
    expect(
      doc.exemptions.map((e: { policy: string; urn: string }) => [
        e.policy,
        e.urn.split("::").pop(),
      ]),
    ).toEqual([["s3-bucket-cmk", "platform-ingress-alb-logs"]]);
    expect(doc.exemptions[0].reason).toMatch(/SSE-S3/);
    // The figures, under one key, with the failover time the stack output also gives.
    expect(Object.keys(doc.figures)).toEqual(["stack"]);
    expect(doc.figures.stack.failover[0]).toMatchObject({ id: "failover.route53", value: 90 });
    expect(doc.outputs.failoverBudgetSeconds).toBe(90);
    const global = JSON.parse(fs.readFileSync(path.join(out, "global.json"), "utf8"));
    expect(Object.keys(global.figures)).toEqual(["stack", "platform"]);
    for (const step of doc.steps) {
      expect(["create", "read"]).toContain(step.op);
      expect(step.newState.urn).toBe(step.urn);
      expect(Object.keys(step.newState)).toEqual(
        expect.arrayContaining(["type", "urn", "custom", "inputs"]),
      );
    }
  });
});

describe("the plan command's text and diagram", { timeout: PLAN_TIMEOUT }, () => {
  it("prints the preview tree of every stack in rollout order, the figures and the last line", () => {
    const diagram = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "plan-diagram-")), "a.svg");
    const child = planCommand(["--diagram", diagram]);
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    const text = child.stdout;
    const headings = [...text.matchAll(/^Previewing stack .*$/gm)].map((m) => m[0]);
    expect(headings).toEqual([
      "Previewing stack global (1/3, global stack)",
      "Previewing stack us-east-1 (2/3, home region, the canary)",
      "Previewing stack eu-central-1 (3/3, region)",
    ]);
    expect(text).toMatch(/^ \+ {3}pulumi:pulumi:Stack +platform-global +create$/m);
    expect(text).toMatch(/^ \+ {3}├─ platform:region:Platform +platform +create$/m);
    expect(text).toMatch(/^ > {3}[├└]─ pulumi:pulumi:StackReference +global +read$/m);
    const summaries = [...text.matchAll(/^Resources:\n {4}\+ (\d+) to create$/gm)];
    expect(summaries).toHaveLength(3);
    expect(text).toContain("(shortened: `npm run plan -- --out DIR` writes every value in full)");
    expect(text).toMatch(
      /^ {4}failover {2}users leave a failed region \(Route 53\): 90 s = 10 s x 3 failed checks \+ 60 s alias \(ELB\) TTL$/m,
    );
    expect(text).toContain("Platform figures:");
    expect(text.trim().split("\n").at(-1)).toMatch(/^plan: 3 stacks, .* policies passed:/);
    const svg = fs.readFileSync(diagram, "utf8");
    // Graphviz writes "-" in an id as a character reference.
    expect(svg).toContain('id="region:eu&#45;central&#45;1"');
    expect(text).toContain(`drew ${path.relative(PROJECT_DIR, diagram)}`);
  });

  it("refuses a diagram file that is not SVG, writing nothing", () => {
    const child = planCommand(["--diagram", "out.png"]);
    expect(child.status).toBe(2);
    expect(child.stderr).toBe("plan failed: --diagram out.png: expected a file ending in .svg\n");
    expect(fs.existsSync(path.join(PROJECT_DIR, "out.png"))).toBe(false);
  });
});

describe("the plan with Aurora enabled (a copy of the project)", () => {
  let result: PlanResult;
  const AURORA = { enabled: true, engineVersion: "16.4", databaseName: "platform" };
  beforeAll(async () => {
    const dir = copyProject();
    editStack(dir, "global", (c) => (c["platform:aurora"] = AURORA));
    for (const stack of ["us-east-1", "eu-central-1"])
      editStack(dir, stack, (c) => (c["platform:aurora"] = { enabled: true }));
    result = await runPlan({
      dir,
      program: runProgram,
      policies: (resources) => evaluateResources(resources),
    });
  }, PLAN_TIMEOUT);

  it("adds the global database's replication lag to the data figures", () => {
    const figures = result.stacks[0].document.figures?.stack.data ?? [];
    expect(figures.find((f) => f.id === "data.aurora")).toMatchObject({
      value: 1,
      text: "typically under 1 s of replication lag to the secondary regions",
    });
  });

  const cluster = (stack: string) => {
    const clusters = result.stacks
      .find((s) => s.stack === stack)!
      .records.filter((r) => r.type === "aws:rds/cluster:Cluster");
    expect(clusters).toHaveLength(1);
    return clusters[0];
  };

  it("has no policy violation in any stack (operational flags apart)", () => {
    const violations = (s: PlanResult["stacks"][number]) =>
      s.document.violations.filter((v) => !ADVISORY_BY_DEFAULT.includes(v.policy));
    expect(result.stacks.map((s) => [s.stack, violations(s)])).toEqual([
      ["global", []],
      ["eu-central-1", []],
      ["us-east-1", []],
    ]);
  });

  it("creates the global database in the global stack and exports its identifier", () => {
    const global = result.stacks[0];
    const gc = global.records.filter((r) => r.type === "aws:rds/globalCluster:GlobalCluster");
    expect(gc.map((r) => [r.inputs.globalClusterIdentifier, r.protect])).toEqual([
      ["platform-aurora", true],
    ]);
    expect(global.document.outputs.auroraGlobalClusterId).toBe("platform-aurora");
  });

  it("makes the home region's cluster the primary and the other region's a secondary", () => {
    const fabric = result.stacks[0].document.outputs.fabric as Record<
      string,
      Record<string, string>
    >;
    const primary = cluster("us-east-1");
    const secondary = cluster("eu-central-1");
    for (const [c, region] of [
      [primary, "us-east-1"],
      [secondary, "eu-central-1"],
    ] as const) {
      expect(c.inputs).toMatchObject({
        globalClusterIdentifier: "platform-aurora",
        // The version is set once, in the global stack, and read through the contract.
        engineVersion: "16.4",
        storageEncrypted: true,
        kmsKeyId: fabric[region].kmsKeyArn,
        deletionProtection: true,
      });
      expect(c.protect).toBe(true);
    }
    // RDS-managed passwords are not supported on global database members: the primary is created
    // with the password the global stack generated (and keeps in Secrets Manager).
    const password = result.stacks[0].records.find(
      (r) => r.type === "random:index/randomPassword:RandomPassword",
    )!;
    expect(primary.inputs).toMatchObject({
      masterUsername: "platform",
      masterPassword: password.outputs.result,
    });
    expect(primary.inputs.manageMasterUserPassword).toBeUndefined();
    const credentials = ["masterUsername", "manageMasterUserPassword", "masterUserSecretKmsKeyId"];
    expect(credentials.filter((k) => k in secondary.inputs)).toEqual([]);
    expect(secondary.inputs.masterPassword ?? null).toBeNull();
  });
});

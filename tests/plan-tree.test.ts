/**
 * The preview tree as `pulumi preview` draws it, over hand-made records: markers, indentation,
 * the closing summary, shortened values, rollout order and the plan's last line.
 */
import { describe, expect, it } from "vitest";
import { loadProject } from "../lib/config/project";
import type { PlanDocument } from "../plan/document";
import type { PlanResult, StackPlan } from "../plan/plan";
import type { PolicyViolation, RecordedResource } from "../plan/record";
import {
  compactSummary,
  FULL_VALUES_HINT,
  outputLines,
  resultLine,
  rollout,
  shortValue,
  stackCounts,
  stackPreview,
  summaryLines,
  treeLines,
} from "../plan/tree";
import { PROJECT_DIR } from "./fixtures";

const STACK = "urn:pulumi:s::platform::pulumi:pulumi:Stack::platform-s";

function rec(
  type: string,
  name: string,
  parent: string,
  extra: Partial<RecordedResource> = {},
): RecordedResource {
  return {
    op: "create",
    urn: `urn:pulumi:s::platform::${type}::${name}`,
    type,
    name,
    custom: !type.startsWith("platform:") && type !== "pulumi:pulumi:Stack",
    remote: false,
    id: "",
    parent,
    provider: "",
    dependencies: [],
    protect: false,
    retainOnDelete: false,
    inputs: {},
    outputs: {},
    ...extra,
  };
}

const stack = rec("pulumi:pulumi:Stack", "platform-s", "", { urn: STACK });
const comp = rec("platform:region:Network", "net", STACK);
const vpc = rec("awsx:ec2:Vpc", "net-vpc", comp.urn, { custom: false, remote: true });
const sg = rec("aws:ec2/securityGroup:SecurityGroup", "net-sg", comp.urn);
const provider = rec("pulumi:providers:aws", "use1", STACK, { custom: true });
const ref = rec("pulumi:pulumi:StackReference", "global", STACK, { op: "read", custom: true });
const records = [stack, comp, vpc, sg, provider, ref];

describe("the tree of one stack", () => {
  it("draws every resource under its parent with the engine's markers", () => {
    const lines = treeLines(records);
    expect(lines[0]).toMatch(/^\s+Type\s+Name\s+Plan$/);
    const rows = lines.slice(1).map((l) => l.replace(/\s+/g, " ").trim());
    expect(rows).toEqual([
      "+ pulumi:pulumi:Stack platform-s create",
      "+ ├─ platform:region:Network net create",
      "+ │ ├─ awsx:ec2:Vpc net-vpc create",
      "+ │ └─ aws:ec2/securityGroup:SecurityGroup net-sg create",
      "+ ├─ pulumi:providers:aws use1 create",
      "> └─ pulumi:pulumi:StackReference global read",
    ]);
  });

  it("lines the columns up", () => {
    const lines = treeLines(records);
    const planColumn = lines.map((l) => l.search(/(create|read|Plan)$/));
    expect(new Set(planColumn).size).toBe(1);
  });

  it("counts cloud resources apart from components, providers and the stack; reads apart", () => {
    const counts = stackCounts(records);
    expect(counts).toEqual({
      create: 5,
      read: 1,
      byKind: { cloud: 1, component: 2, provider: 1, stack: 1 },
      remote: 1,
    });
    expect(summaryLines(counts)).toEqual([
      "Resources:",
      "    + 5 to create",
      "    1 cloud resources, 2 components (1 remote, expanded by their plugins), 1 providers, 1 stack",
      "    1 read (not a change)",
    ]);
  });
});

describe("values in the text", () => {
  it.each([
    [{ a: 1 }, false],
    ["x".repeat(200), true],
  ])("shortens %j past the limit: %s", (value, shortened) => {
    const out = shortValue(value, 40);
    expect(out.shortened).toBe(shortened);
    expect(out.text.length).toBeLessThanOrEqual(40);
  });

  it("hints at --out once when an output was shortened", () => {
    const lines = outputLines({ short: 1, long: "y".repeat(500) });
    expect(lines[0]).toBe("Outputs:");
    expect(lines[1]).toBe("    short: 1");
    expect(lines[2]).toMatch(/^ {4}long: {2}"y+…$/);
    expect(lines.filter((l) => l.includes(FULL_VALUES_HINT))).toHaveLength(1);
    expect(outputLines({ short: 1 })).toEqual(["Outputs:", "    short: 1"]);
  });
});

function fakePlan(
  name: string,
  kind: StackPlan["kind"],
  region: string,
  violations: PolicyViolation[] = [],
): StackPlan {
  const document: PlanDocument = {
    stack: name,
    steps: [],
    outputs: { region },
    violations,
    exemptions: [],
    changeSummary: {},
  };
  return { stack: name, kind, region, records, analyzed: records, document };
}

describe("the whole plan", () => {
  const project = loadProject(PROJECT_DIR);
  // Planned in file order (eu-central-1 before us-east-1), shown in rollout order.
  const result: PlanResult = {
    project,
    stacks: [
      fakePlan("global", "global", "us-east-1"),
      fakePlan("eu-central-1", "region", "eu-central-1"),
      fakePlan("us-east-1", "region", "us-east-1"),
    ],
  };

  it("shows the global stack, then the home region, then the others", () => {
    expect(rollout(result).map(({ plan, heading }) => [plan.stack, heading])).toEqual([
      ["global", { position: 1, of: 3, role: "global stack" }],
      ["us-east-1", { position: 2, of: 3, role: "home region, the canary" }],
      ["eu-central-1", { position: 3, of: 3, role: "region" }],
    ]);
  });

  it("heads each stack and closes it with its summary", () => {
    const [first] = rollout(result);
    const text = stackPreview(first.plan, first.heading);
    expect(text.split("\n")[0]).toBe("Previewing stack global (1/3, global stack)");
    expect(text).toContain("\nResources:\n    + 5 to create\n");
  });

  it("ends with one line for the plan and the policy result", () => {
    expect(resultLine(result)).toBe(
      "plan: 3 stacks, + 15 to create, 3 read; policies passed: 0 mandatory, 0 other violations, 0 exemptions",
    );
    const failing: PlanResult = {
      project,
      stacks: [
        fakePlan("global", "global", "us-east-1", [
          { policy: "p", urn: STACK, enforcementLevel: "mandatory", message: "m" },
          { policy: "q", urn: STACK, enforcementLevel: "advisory", message: "m" },
        ]),
      ],
    };
    expect(resultLine(failing)).toBe(
      "plan: 1 stacks, + 5 to create, 1 read; policies FAILED: 1 mandatory, 1 other violations, 0 exemptions",
    );
  });

  it("keeps the compact form for --summary: resources by type per stack", () => {
    const text = compactSummary(result);
    expect(text).toContain("=== stack global (global): 6 resources");
    expect(text).toContain("     1  awsx:ec2:Vpc");
    expect(text).toContain("  policy violations: 0");
    expect(text).not.toContain("├─");
  });
});

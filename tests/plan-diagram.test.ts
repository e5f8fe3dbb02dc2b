/**
 * The architecture diagram drawn from the plan documents, for 2 and 4 regions: every region,
 * service and replication edge of the plan is in the SVG. And the what-if plan for 4 regions:
 * the settings it assumed and its difference from the current stacks.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { orderedPairs } from "../components/global/replication-plan";
import { loadProject, whatIfProject } from "../lib/config/project";
import type { AwsRegion } from "../lib/regions";
import { diagramDot, diagramSvg } from "../plan/diagram";
import { runPlan, type PlanResult } from "../plan/plan";
import { assumptionLines, checkHome, diffLines } from "../plan/whatif";
import { runProgram } from "../programs";
import { planCommand, PROJECT_DIR } from "./fixtures";

const PLAN_TIMEOUT = 900_000;
const FOUR: AwsRegion[] = ["us-east-1", "eu-central-1", "ap-southeast-2", "sa-east-1"];

/** Graphviz writes `-` and `>` as XML character references. */
const unescape = (text: string) =>
  text.replace(/&#45;/g, "-").replace(/&gt;/g, ">").replace(/&lt;/g, "<").replace(/&amp;/g, "&");
/** Every element id in the SVG (Graphviz keeps the DOT `id` attribute). */
const svgIds = (svg: string) =>
  new Set([...svg.matchAll(/\bid="([^"]+)"/g)].map((m) => unescape(m[1])));
/** Every text the SVG shows. */
const svgTexts = (svg: string) =>
  [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => unescape(m[1]));

/** What the program's own plans say the fabric replicates, independently of the documents. */
function expectedReplication(regions: readonly AwsRegion[], home: AwsRegion): string[] {
  const others = regions.filter((r) => r !== home);
  return [
    ...others.map((r) => `replication:table:${home}:${r}`),
    ...orderedPairs(regions).map((p) => `replication:objects:${p.source}:${p.destination}`),
    ...orderedPairs(regions).map((p) => `replication:events:${p.source}:${p.destination}`),
    ...others.map((r) => `replication:images:${home}:${r}`),
    ...others.map((r) => `replication:key:${home}:${r}`),
  ].sort();
}

function checkDiagram(result: PlanResult, svg: string, regions: readonly AwsRegion[]) {
  const ids = svgIds(svg);
  const texts = svgTexts(svg);
  expect(svg.startsWith("<?xml")).toBe(true);
  for (const region of regions) {
    expect(ids.has(`region:${region}`), region).toBe(true);
    expect(ids.has(`fabric:${region}`), region).toBe(true);
    expect(ids.has(`route:${region}`), region).toBe(true);
    expect(texts.some((t) => t.includes(region))).toBe(true);
  }
  // The services each region stack says it runs (its `services` output).
  for (const s of result.stacks.filter((s) => s.kind === "region")) {
    const services = s.document.outputs.services as string[];
    expect(services.length).toBeGreaterThan(0);
    for (const name of services) {
      expect(ids.has(`service:${s.region}:${name}`), `${s.region} ${name}`).toBe(true);
      expect(texts).toContain(name);
    }
    // The calls the AuthorizationPolicies allow (Pulumi.yaml: allowFrom).
    for (const call of ["istio-ingressgateway:svc-a", "istio-ingressgateway:svc-b", "svc-a:svc-c"])
      expect(ids.has(`call:${s.region}:${call}`), call).toBe(true);
    for (const call of ["istio-ingressgateway:svc-c", "svc-a:svc-b", "svc-b:svc-c"])
      expect(ids.has(`call:${s.region}:${call}`), call).toBe(false);
  }
  const replication = [...ids].filter((i) => i.startsWith("replication:")).sort();
  expect(replication).toEqual(expectedReplication(regions, "us-east-1"));
}

// The plan of the project's stack files: two regions, and the "current" side of the what-if.
let result: PlanResult;
beforeAll(async () => {
  result = await runPlan({ dir: PROJECT_DIR, program: runProgram });
}, PLAN_TIMEOUT);

describe("the diagram of the project's two regions", () => {
  let svg: string;
  beforeAll(async () => {
    svg = await diagramSvg(result.stacks.map((s) => s.document));
  }, PLAN_TIMEOUT);

  it("holds every region, service and replication edge", () => {
    checkDiagram(result, svg, ["us-east-1", "eu-central-1"]);
  });

  it("labels the entry, the VPC tiers and the home region from the documents", () => {
    const texts = svgTexts(svg);
    expect(texts).toContain("platform.example.com");
    expect(texts).toContain("api.platform.example.com");
    expect(texts).toContain("VPC 10.10.0.0/16");
    expect(texts).toContain("VPC 10.20.0.0/16");
    expect(texts).toContain("fabric in us-east-1 (home: primaries)");
    expect(texts.filter((t) => t.startsWith("public tier"))).toHaveLength(2);
  });

  it("is valid DOT that names nothing the plan does not have", () => {
    const dot = diagramDot(result.stacks.map((s) => s.document));
    expect(dot).not.toContain("ap-southeast-2");
    expect(dot).not.toContain("undefined");
  });
});

describe("the what-if plan for four regions", () => {
  let current: PlanResult;
  let next: PlanResult;
  beforeAll(async () => {
    current = result;
    next = await runPlan({ dir: PROJECT_DIR, program: runProgram, regions: FOUR });
  }, PLAN_TIMEOUT);

  it("draws all four regions with the full replication mesh", async () => {
    const svg = await diagramSvg(next.stacks.map((s) => s.document));
    checkDiagram(next, svg, FOUR);
    expect([...svgIds(svg)].filter((i) => i.startsWith("replication:objects:"))).toHaveLength(12);
  });

  it("prints the settings it assumed for the regions without stack files", () => {
    const lines = assumptionLines(current.project, next.project);
    expect(lines[0]).toBe("What-if assumptions:");
    expect(lines[1]).toBe("    home region: us-east-1 (unchanged)");
    const made = lines.slice(2);
    expect(made.map((l) => l.trim().split(":")[0])).toEqual(["ap-southeast-2", "sa-east-1"]);
    for (const [line, region] of made.map((l, i) => [l, FOUR[i + 2]] as const)) {
      const stack = next.project.regions.find((r) => r.stack === region)!;
      expect(line).toContain(`vpcCidr ${stack.config.network.vpcCidr}`);
      expect(line).toContain(`regionalName ${region}.api.platform.example.com`);
      expect(line).toContain("settings of Pulumi.eu-central-1.yaml");
    }
  });

  it("diffs against the current stacks: stacks, the global stack's types, the figures", () => {
    const lines = diffLines(current, next);
    expect(lines).toContain("    stacks added: ap-southeast-2, sa-east-1");
    expect(lines).toContain("    stacks removed: none");
    const types = lines.map((l) => l.trim());
    expect(types).toContain("+2  aws:s3/bucket:Bucket (3 -> 5)");
    expect(types).toContain("+2  aws:cloudwatch/eventBus:EventBus (2 -> 4)");
    expect(types).toContain("+2  aws:kms/replicaKey:ReplicaKey (1 -> 3)");
    expect(types.some((l) => l.endsWith("pulumi:pulumi:Stack (1 -> 1)"))).toBe(false);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^ {6}platform cluster nodes \(min \/ desired \/ max\): 6 \/ 6 \/ 24 nodes over 2 regions -> 12 \/ 12 \/ 48 nodes over 4 regions$/,
      ),
    );
    // A region whose settings did not change has no figure line.
    expect(lines.some((l) => l.startsWith("      us-east-1 "))).toBe(false);
    expect(lines.some((l) => l.startsWith("      sa-east-1 users leave a failed region"))).toBe(
      true,
    );
  });
});

describe("leaving out the home region", () => {
  const project = loadProject(PROJECT_DIR);

  it("is refused unless --home names the new one", () => {
    expect(() => checkHome(project, ["eu-central-1", "ap-southeast-2"], undefined)).toThrow(
      /^--regions eu-central-1,ap-southeast-2 leaves out the home region us-east-1 \(aws:region of the global stack\).*--home <region>$/,
    );
    expect(() => checkHome(project, ["eu-central-1", "ap-southeast-2"], "sa-east-1")).toThrow(
      "--home sa-east-1: not one of --regions (eu-central-1, ap-southeast-2)",
    );
    expect(() =>
      checkHome(project, ["eu-central-1", "ap-southeast-2"], "eu-central-1"),
    ).not.toThrow();
    expect(
      whatIfProject(project, ["eu-central-1", "ap-southeast-2"], "eu-central-1").global.config
        .region,
    ).toBe("eu-central-1");
  });

  it("exits 2 from the command, naming the home region", () => {
    const child = planCommand(["--regions", "eu-central-1,ap-southeast-2"]);
    expect(child.status).toBe(2);
    expect(child.stderr).toContain("leaves out the home region us-east-1");
    expect(child.stdout).toBe("");
  });
});

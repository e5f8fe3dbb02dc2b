/**
 * AWS end-of-support dates: the table, the runtime and version the program deploys, the chart
 * that matches the cluster, and the plan's findings for anything past or near its date.
 */
import { describe, expect, it } from "vitest";
import { CHARTS, CLUSTER_AUTOSCALER_CHARTS } from "../components/region/charts";
import {
  DEFAULT_EKS_VERSION,
  EKS_VERSIONS,
  NODE_RELEASES,
  LAMBDA_NODE_RUNTIME,
  LAMBDA_RUNTIMES,
  SUPPORT_WARNING_DAYS,
  daysUntil,
  istioKubernetesProblem,
  supportFindings,
  supportedKeys,
} from "../lib/support-dates";
import { loadProject } from "../lib/config/project";
import * as path from "node:path";

/** The day this table was last checked against AWS's pages. */
const CHECKED = new Date("2026-12-01T12:00:00Z");
const PROJECT_DIR = path.resolve(__dirname, "..");

describe("the dated table", () => {
  it("gives every row a date, its publisher's source and the day it was checked", () => {
    for (const row of [...Object.values(LAMBDA_RUNTIMES), ...Object.values(EKS_VERSIONS)]) {
      expect(row.ends).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(row.source).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
      expect(row.checked).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    for (const row of Object.values(NODE_RELEASES)) {
      expect(row.ends).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(row.source).toBe("https://github.com/nodejs/Release#release-schedule");
      expect(row.checked).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it("counts whole UTC days", () => {
    expect(daysUntil("2026-12-02", CHECKED)).toBe(1);
    expect(daysUntil("2026-11-30", CHECKED)).toBe(-1);
  });

  it("deploys a Lambda runtime and an EKS version that stay supported past the window", () => {
    expect(supportedKeys(LAMBDA_RUNTIMES, CHECKED)).toContain(LAMBDA_NODE_RUNTIME);
    expect(supportedKeys(LAMBDA_RUNTIMES, CHECKED)).not.toContain("nodejs20.x");
    expect(supportedKeys(EKS_VERSIONS, CHECKED)).toEqual(["1.35"]);
    expect(DEFAULT_EKS_VERSION).toBe("1.35");
  });

  it("sets every stack's cluster to a version in standard support beyond the window", () => {
    for (const r of loadProject(PROJECT_DIR).regions) {
      const version = r.config.cluster.kubernetesVersion as keyof typeof EKS_VERSIONS;
      expect([r.stack, daysUntil(EKS_VERSIONS[version].ends, CHECKED)]).toEqual([
        r.stack,
        expect.any(Number),
      ]);
      expect(daysUntil(EKS_VERSIONS[version].ends, CHECKED)).toBeGreaterThan(SUPPORT_WARNING_DAYS);
      expect(istioKubernetesProblem(r.config.mesh.istioVersion, version)).toBeUndefined();
    }
  });

  it("runs a cluster-autoscaler whose minor matches each EKS version", () => {
    for (const [version, chart] of Object.entries(CLUSTER_AUTOSCALER_CHARTS)) {
      expect(chart.appVersion.split(".").slice(0, 2).join(".")).toBe(version);
    }
    expect(CHARTS.clusterAutoscaler.version).toBe("9.59.0");
    expect(Object.keys(CLUSTER_AUTOSCALER_CHARTS).sort()).toEqual(Object.keys(EKS_VERSIONS).sort());
  });

  it("refuses an Istio release that does not support the cluster's Kubernetes", () => {
    expect(istioKubernetesProblem("1.28.1", "1.35")).toBe(
      "Istio 1.28 does not support Kubernetes 1.35 (it supports 1.30, 1.31, 1.32, 1.33, 1.34); move mesh.istioVersion or cluster.kubernetesVersion",
    );
    expect(istioKubernetesProblem("1.30.3", "1.35")).toBeUndefined();
  });
});

describe("supportFindings", () => {
  const lambda = (runtime: string) => ({
    urn: `urn:fn-${runtime}`,
    type: "aws:lambda/function:Function",
    inputs: { runtime },
  });
  const cluster = (version: string, type = "eks:index:Cluster") => ({
    urn: `urn:${type}-${version}`,
    type,
    inputs: { version },
  });

  it("flags what main deployed: nodejs20.x and EKS 1.33, both past their dates", () => {
    const findings = supportFindings([lambda("nodejs20.x"), cluster("1.33")], CHECKED);
    expect(findings.map((f) => [f.urn, f.enforcementLevel])).toEqual([
      ["urn:fn-nodejs20.x", "mandatory"],
      ["urn:eks:index:Cluster-1.33", "mandatory"],
    ]);
    expect(findings[0].message).toBe(
      "Lambda runtime nodejs20.x: AWS support ended 2026-04-30 (215 days ago); then blockCreate 2026-08-31, blockUpdate 2026-09-30 (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html, checked 2026-12-01). Move to one of: nodejs22.x, nodejs24.x",
    );
  });

  it("warns within the window and says nothing beyond it", () => {
    const findings = supportFindings(
      [cluster("1.34", "aws:eks/cluster:Cluster"), cluster("1.35"), lambda("nodejs24.x")],
      CHECKED,
    );
    expect(findings.map((f) => [f.urn, f.enforcementLevel, f.message.split(";")[0]])).toEqual([
      [
        "urn:aws:eks/cluster:Cluster-1.34",
        "advisory",
        "EKS Kubernetes version 1.34: AWS support ends 2026-12-02 (in 1 days)",
      ],
    ]);
    // 90 days before 1.35's end of standard support it is flagged too.
    expect(supportFindings([cluster("1.35")], new Date("2026-12-27T00:00:00Z"))).toHaveLength(1);
    expect(supportFindings([cluster("1.35")], new Date("2026-12-26T00:00:00Z"))).toHaveLength(0);
  });

  it("refuses a value the table does not know", () => {
    expect(supportFindings([lambda("nodejs18.x")], CHECKED)).toEqual([
      {
        policy: "aws-end-of-support",
        urn: "urn:fn-nodejs18.x",
        enforcementLevel: "mandatory",
        message:
          "Lambda runtime nodejs18.x has no row in lib/support-dates.ts (known: nodejs20.x, nodejs22.x, nodejs24.x); add its AWS end-of-support date and source, or use a known one",
      },
    ]);
  });

  it("ignores other types and properties", () => {
    expect(
      supportFindings(
        [{ urn: "u", type: "aws:s3/bucket:Bucket", inputs: { runtime: "nodejs20.x" } }],
        CHECKED,
      ),
    ).toEqual([]);
  });
});

/**
 * The region's health path end to end through the region program: the one setting
 * (`platform:ingress.healthCheckPath`) is what Route 53 requests and what the gateway answers.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- recorded inputs are untyped JSON */
import * as fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPlan, type StackPlan } from "../plan/plan";
import { runProgram } from "../programs";
import { copyProject, editStack } from "./fixtures";

describe("a region stack with its own health path", () => {
  const dir = copyProject();
  let plan: StackPlan;
  beforeAll(async () => {
    editStack(dir, "us-east-1", (config) => {
      (config["platform:ingress"] as Record<string, unknown>).healthCheckPath = "/status";
    });
    const result = await runPlan({ dir, program: runProgram, stack: "us-east-1" });
    plan = result.stacks.find((s) => s.stack === "us-east-1")!;
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("is what Route 53 requests and what the gateway routes to svc-a's deep health", () => {
    const of = (type: string) => plan.records.filter((r) => r.type === type);
    const checks = of("aws:route53/healthCheck:HealthCheck");
    expect(checks.map((c) => [c.inputs.fqdn, c.inputs.resourcePath])).toEqual([
      ["us-east-1.api.platform.example.com", "/status"],
    ]);
    const health = of("kubernetes:networking.istio.io/v1beta1:VirtualService").filter(
      (r) => (r.inputs.metadata as { name: string }).name === "regional-health",
    );
    expect(health).toHaveLength(1);
    const [route] = (health[0].inputs.spec as any).http;
    expect([route.match, route.rewrite, route.route[0].destination.host]).toEqual([
      [{ uri: { exact: "/status" } }],
      { uri: "/healthz" },
      "svc-a.svc-a.svc.cluster.local",
    ]);
    expect((health[0].inputs.spec as any).hosts).toContain(checks[0].inputs.fqdn);
  });
});

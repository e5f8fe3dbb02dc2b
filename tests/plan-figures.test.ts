/**
 * The figures that matter, read from the planned resources: their values for the project's
 * settings, that they follow a changed setting, their sources, and the region stacks'
 * `failoverBudgetSeconds` output agreeing with them.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ELB_ALIAS_TTL_SECONDS, failoverBudget } from "../lib/failover";
import { instanceSize, stackFigures, type Figure, type Figures } from "../plan/figures";
import type { RecordedResource } from "../plan/record";
import { runPlan, type PlanResult } from "../plan/plan";
import { runProgram } from "../programs";
import { copyProject, editStack, PROJECT_DIR } from "./fixtures";

// A plan evaluates every stack's program: minutes on a loaded machine.
const PLAN_TIMEOUT = 600_000;

const figure = (figures: Figures | undefined, id: string): Figure => {
  const all = [
    ...(figures?.failover ?? []),
    ...(figures?.data ?? []),
    ...(figures?.capacity ?? []),
  ];
  const found = all.filter((f) => f.id === id);
  expect(found, id).toHaveLength(1);
  return found[0];
};
const doc = (result: PlanResult, stack: string) =>
  result.stacks.find((s) => s.stack === stack)!.document;

describe("instance sizes", () => {
  it.each([
    ["m7i.large", { vcpu: 2, memoryGiB: 8 }],
    ["m6g.xlarge", { vcpu: 4, memoryGiB: 16 }],
    ["c7i.2xlarge", { vcpu: 8, memoryGiB: 16 }],
    ["r6i.4xlarge", { vcpu: 16, memoryGiB: 128 }],
    ["m7g.medium", { vcpu: 1, memoryGiB: 4 }],
  ])("%s has %j", (type, size) => expect(instanceSize(type)).toEqual(size));

  it.each(["t3.medium", "m4.large", "p5.48xlarge", "m7i.metal-24xl"])("%s is not guessed", (type) =>
    expect(instanceSize(type)).toBeUndefined(),
  );
});

describe("the failover budget", () => {
  it("is detection plus the cached answer", () => {
    expect(failoverBudget({ intervalSeconds: 30, failureThreshold: 2, cacheSeconds: 60 })).toEqual({
      intervalSeconds: 30,
      failureThreshold: 2,
      cacheSeconds: 60,
      detectionSeconds: 60,
      totalSeconds: 120,
    });
  });

  it("refuses a negative input, naming it", () => {
    expect(() =>
      failoverBudget({ intervalSeconds: 10, failureThreshold: -1, cacheSeconds: 0 }),
    ).toThrow("failover failureThreshold = -1: expected a number of seconds >= 0");
  });
});

function rec(type: string, name: string, inputs: Record<string, unknown>): RecordedResource {
  return {
    op: "create",
    urn: `urn:pulumi:r::platform::${type}::${name}`,
    type,
    name,
    custom: true,
    remote: false,
    id: "",
    parent: "",
    provider: "",
    dependencies: [],
    protect: false,
    retainOnDelete: false,
    inputs,
    outputs: {},
  };
}

describe("failover figures from hand-made records", () => {
  const check = rec("aws:route53/healthCheck:HealthCheck", "hc", {
    requestInterval: 30,
    failureThreshold: 2,
  });
  const latency = (inputs: Record<string, unknown>) =>
    rec("aws:route53/record:Record", "global", {
      latencyRoutingPolicies: [{ region: "us-east-1" }],
      ...inputs,
    });

  it("takes a plain record's own TTL", () => {
    const f = figure(stackFigures([check, latency({ ttl: 15 })], "us-east-1"), "failover.route53");
    expect(f.value).toBe(75);
    expect(f.text).toBe("75 s = 30 s x 2 failed checks + 15 s record TTL");
  });

  it("says an evacuated region has no failover time: it is not answered", () => {
    const f = figure(stackFigures([check], "us-east-1"), "failover.route53");
    expect(f.value).toBeNull();
    expect(f.sources).toEqual([{ setting: "platform:dns.evacuate", value: true }]);
  });

  it("adds Global Accelerator's detection time, with no DNS cache", () => {
    const group = rec("aws:globalaccelerator/endpointGroup:EndpointGroup", "ga", {
      healthCheckIntervalSeconds: 10,
      thresholdCount: 3,
    });
    const figures = stackFigures([check, latency({ aliases: [{ name: "x" }] }), group], "r");
    expect(figure(figures, "failover.route53").value).toBe(120);
    expect(figure(figures, "failover.globalAccelerator").value).toBe(30);
  });
});

describe("the figures of the project's stacks", () => {
  let result: PlanResult;
  beforeAll(async () => {
    result = await runPlan({ dir: PROJECT_DIR, program: runProgram });
  }, PLAN_TIMEOUT);

  it("gives each region its failover time from the health check and the alias TTL", () => {
    for (const stack of ["us-east-1", "eu-central-1"]) {
      const f = figure(doc(result, stack).figures?.stack, "failover.route53");
      expect(f.value).toBe(10 * 3 + ELB_ALIAS_TTL_SECONDS);
      expect(f.text).toBe("90 s = 10 s x 3 failed checks + 60 s alias (ELB) TTL");
      expect(f.sources).toContainEqual({
        setting: "platform:ingress.healthCheckIntervalSeconds",
        value: 10,
        resource: "platform-ingress-health.requestInterval",
      });
      expect(f.sources.filter((s) => "url" in s).map((s) => ("url" in s ? s.url : ""))).toEqual([
        "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html",
        "https://aws.amazon.com/route53/faqs/",
      ]);
      // The Pulumi-native output says the same.
      expect(doc(result, stack).outputs.failoverBudgetSeconds).toBe(f.value);
      expect(doc(result, stack).outputs).not.toHaveProperty("acceleratorFailoverSeconds");
    }
  });

  it("gives the global stack's data figures: eventual table, RTC objects, forwarded events", () => {
    const g = doc(result, "global").figures?.stack;
    expect(figure(g, "data.table")).toMatchObject({ value: 1, unit: "seconds" });
    expect(figure(g, "data.table").text).toMatch(/^typically under 1 s, no SLA/);
    expect(figure(g, "data.objects")).toMatchObject({ value: 15, unit: "minutes" });
    const events = figure(g, "data.events");
    expect(events.value).toBe(86400);
    // Only the platform's buses: the findings sent to the home region's default bus are not data.
    expect(events.text).toBe(
      "2 paths retried for up to 24 h (185 attempts), then dead-lettered: eu-central-1 -> us-east-1 (platform-events), us-east-1 -> eu-central-1 (platform-events)",
    );
    expect(g?.data.map((f) => f.id)).not.toContain("data.aurora");
  });

  it("gives each region's capacity: nodes, vCPU, memory, NAT gateways, replicas", () => {
    const r = doc(result, "us-east-1").figures?.stack;
    expect(figure(r, "capacity.nodes").value).toEqual({ min: 3, desired: 3, max: 12 });
    expect(figure(r, "capacity.vcpu").value).toEqual({ min: 6, desired: 6, max: 24 });
    expect(figure(r, "capacity.memory").value).toEqual({ min: 24, desired: 24, max: 96 });
    expect(figure(r, "capacity.natGateways").value).toBe(3);
    // svc-a 3-20 with its canary 1-2, svc-b 2-10, svc-c 2-10 (Pulumi.yaml).
    expect(figure(r, "capacity.serviceReplicas").value).toEqual({ min: 8, max: 42 });
  });

  it("sums the platform on the global stack's document, worst failover first", () => {
    const p = doc(result, "global").figures?.platform;
    expect(figure(p, "failover.route53").value).toBe(90);
    expect(figure(p, "capacity.nodes").value).toEqual({ min: 6, desired: 6, max: 24 });
    expect(figure(p, "capacity.natGateways").value).toBe(6);
    expect(figure(p, "capacity.serviceReplicas").value).toEqual({ min: 16, max: 84 });
    expect(p?.data.map((f) => f.id)).toEqual(["data.table", "data.objects", "data.events"]);
    expect(doc(result, "us-east-1").figures?.platform).toBeUndefined();
  });
});

describe("the figures after changing settings (a copy of the project)", () => {
  let result: PlanResult;
  beforeAll(async () => {
    const dir = copyProject();
    editStack(dir, "eu-central-1", (c) => {
      c["platform:ingress"] = {
        ...(c["platform:ingress"] as object),
        healthCheckIntervalSeconds: 30,
        healthCheckFailureThreshold: 5,
      };
      c["platform:network"] = { ...(c["platform:network"] as object), natGateways: "single" };
      c["platform:cluster"] = {
        ...(c["platform:cluster"] as object),
        instanceTypes: ["c7i.xlarge"],
        minSize: 3,
        desiredSize: 6,
        maxSize: 9,
      };
    });
    editStack(dir, "global", (c) => {
      c["platform:replication"] = { replicationTimeControl: false };
    });
    result = await runPlan({ dir, program: runProgram });
  }, PLAN_TIMEOUT);

  it("follows the health check settings, in the figure and in the stack output", () => {
    const f = figure(doc(result, "eu-central-1").figures?.stack, "failover.route53");
    expect(f.value).toBe(30 * 5 + 60);
    expect(doc(result, "eu-central-1").outputs.failoverBudgetSeconds).toBe(210);
    // The other region keeps its own settings; the platform takes the worst.
    expect(figure(doc(result, "us-east-1").figures?.stack, "failover.route53").value).toBe(90);
    const worst = figure(doc(result, "global").figures?.platform, "failover.route53");
    expect(worst.value).toBe(210);
    expect(worst.text).toMatch(/\(eu-central-1\)$/);
  });

  it("follows the NAT gateways and the node groups", () => {
    const r = doc(result, "eu-central-1").figures?.stack;
    expect(figure(r, "capacity.natGateways").value).toBe(1);
    expect(figure(r, "capacity.nodes").value).toEqual({ min: 3, desired: 6, max: 9 });
    expect(figure(r, "capacity.vcpu").value).toEqual({ min: 12, desired: 24, max: 36 });
    expect(figure(r, "capacity.memory").value).toEqual({ min: 24, desired: 48, max: 72 });
    const p = doc(result, "global").figures?.platform;
    expect(figure(p, "capacity.natGateways").value).toBe(4);
  });

  it("says there is no time objective for objects without Replication Time Control", () => {
    const f = figure(doc(result, "global").figures?.stack, "data.objects");
    expect(f.value).toBeNull();
    expect(f.text).toBe("no time objective: Replication Time Control is off on 2 of 2 rules");
  });
});

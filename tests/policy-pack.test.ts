import { describe, expect, it } from "vitest";
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import * as proxyModule from "@pulumi/policy/proxy";
import { policyThroughput, syntheticPlan } from "../policy/bench";
import { ADVISORY_BY_DEFAULT, DEFAULT_POLICY_CONFIG } from "../policy/config";
import { evaluateResources } from "../policy/offline";
import { crossGuardPolicies } from "../policy/pack";
import { ALL_POLICIES } from "../policy/policies";

const { unknownCheckingProxy } = proxyModule as unknown as {
  unknownCheckingProxy<T extends object>(value: T): T;
};

describe("the pack", () => {
  it("has one kebab-case, uniquely named policy per constant, mandatory by default but the operational flags", () => {
    const policies = crossGuardPolicies(DEFAULT_POLICY_CONFIG);
    expect(policies.map((p) => p.name)).toEqual(ALL_POLICIES.map((p) => p.name));
    expect(new Set(policies.map((p) => p.name)).size).toBe(ALL_POLICIES.length);
    for (const p of policies) {
      expect(p.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect([p.name, p.enforcementLevel]).toEqual([
        p.name,
        ADVISORY_BY_DEFAULT.includes(p.name) ? "advisory" : "mandatory",
      ]);
    }
    expect(ADVISORY_BY_DEFAULT).toEqual(["sqs-queue-has-consumer"]);
  });

  it("reports through the engine's reportViolation with props behind unknownCheckingProxy", () => {
    const policy = crossGuardPolicies(DEFAULT_POLICY_CONFIG).find(
      (p) => p.name === "sqs-queue-cmk",
    ) as ResourceValidationPolicy;
    const reported: Array<[string, string | undefined]> = [];
    const args = {
      type: "aws:sqs/queue:Queue",
      urn: "urn:pulumi:dev::platform::aws:sqs/queue:Queue::jobs",
      name: "jobs",
      props: unknownCheckingProxy({
        kmsMasterKeyId: "alias/aws/sqs",
        policy: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
      }),
    } as unknown as ResourceValidationArgs;
    const validate = policy.validateResource as (
      a: ResourceValidationArgs,
      r: (m: string, u?: string) => void,
    ) => void;
    validate(args, (message, urn) => reported.push([message, urn]));
    expect(reported).toEqual([
      [
        'kmsMasterKeyId is the AWS-managed key "alias/aws/sqs". Set kmsMasterKeyId to a customer-managed key (not alias/aws/sqs, not SSE-SQS)',
        "urn:pulumi:dev::platform::aws:sqs/queue:Queue::jobs",
      ],
    ]);
  });
});

describe("policy throughput", () => {
  it("finds the synthetic plan's known violations", () => {
    const counts = new Map<string, number>();
    for (const v of evaluateResources(syntheticPlan(24)).violations) {
      counts.set(v.policy, (counts.get(v.policy) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual({
      "sqs-queue-cmk": 2,
      "cloudwatch-log-group-cmk": 2,
      "dynamodb-table-cmk": 2,
      "lambda-environment-cmk": 2,
      "iam-no-write-on-wildcard-resource": 2,
      "s3-bucket-cmk": 1,
    });
  });

  it("validates 10,000 resources in a few seconds", async () => {
    const result = await policyThroughput(10_000);
    expect(result.resources).toBe(10_000);
    expect(result.seconds).toBeLessThan(5);
    expect(result.perSecond).toBe(Math.round(10_000 / result.seconds));
  });
});

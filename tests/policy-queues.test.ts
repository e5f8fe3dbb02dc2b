/**
 * sqs-queue-has-consumer: every queue that is not a dead-letter queue has a reader.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { PlanResult } from "../plan/plan";
import { evaluateResources, type OfflineResource } from "../policy/offline";
import { planProjectWithPack } from "./project-plan";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const QUEUE_ARN = "arn:aws:sqs:us-east-1:111122223333:work";
const DLQ_ARN = "arn:aws:sqs:us-east-1:111122223333:work-dlq";

const r = (
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  extra: Partial<OfflineResource> = {},
): OfflineResource => ({
  urn: `urn:pulumi:dev::platform::${type}::${name}`,
  type,
  name,
  inputs,
  ...extra,
});
const queue = (arn: string, inputs: Record<string, unknown> = {}) =>
  r("aws:sqs/queue:Queue", arn.split(":").pop()!, inputs, { outputs: { arn } });
const document = (statement: Record<string, unknown>) =>
  JSON.stringify({ Version: "2012-10-17", Statement: [statement] });

/** The names of the queues flagged, with the level. */
function flagged(resources: OfflineResource[]): string[] {
  return evaluateResources(resources)
    .violations.filter((v) => v.policy === "sqs-queue-has-consumer")
    .map((v) => `${v.urn.split("::").pop()} ${v.enforcementLevel}`);
}

describe("sqs-queue-has-consumer", () => {
  it("flags a queue nothing reads, as advisory by default", () => {
    expect(flagged([queue(QUEUE_ARN)])).toEqual(["work advisory"]);
  });

  it.each([
    [
      "a Lambda event source mapping",
      r("aws:lambda/eventSourceMapping:EventSourceMapping", "m", { eventSourceArn: QUEUE_ARN }),
    ],
    [
      "a role policy allowing sqs:ReceiveMessage on it",
      r("aws:iam/rolePolicy:RolePolicy", "p", {
        role: "worker",
        policy: document({
          Effect: "Allow",
          Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage"],
          Resource: QUEUE_ARN,
        }),
      }),
    ],
    [
      "a role's inline policy allowing sqs:Receive* on a pattern",
      r("aws:iam/role:Role", "worker", {
        assumeRolePolicy: document({ Effect: "Allow", Action: "sts:AssumeRole" }),
        inlinePolicies: [
          {
            name: "read",
            policy: document({
              Effect: "Allow",
              Action: "sqs:Receive*",
              Resource: "arn:aws:sqs:us-east-1:111122223333:wo*",
            }),
          },
        ],
      }),
    ],
    [
      "a queue policy granting a role ReceiveMessage",
      r("aws:sqs/queuePolicy:QueuePolicy", "qp", {
        queueUrl: "https://sqs.us-east-1.amazonaws.com/111122223333/work",
        policy: document({
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::111122223333:role/worker" },
          Action: "sqs:ReceiveMessage",
          Resource: QUEUE_ARN,
        }),
      }),
    ],
  ])("accepts a queue read through %s", (_label, reader) => {
    expect(flagged([queue(QUEUE_ARN), reader])).toEqual([]);
  });

  it.each([
    [
      "a permission on another queue",
      r("aws:iam/rolePolicy:RolePolicy", "p", {
        role: "worker",
        policy: document({ Effect: "Allow", Action: "sqs:ReceiveMessage", Resource: DLQ_ARN }),
      }),
    ],
    [
      "a send-only permission",
      r("aws:iam/rolePolicy:RolePolicy", "p", {
        role: "worker",
        policy: document({ Effect: "Allow", Action: "sqs:SendMessage", Resource: QUEUE_ARN }),
      }),
    ],
    [
      "a denied receive",
      r("aws:iam/rolePolicy:RolePolicy", "p", {
        role: "worker",
        policy: document({ Effect: "Deny", Action: "sqs:ReceiveMessage", Resource: QUEUE_ARN }),
      }),
    ],
    [
      "a mapping on another queue",
      r("aws:lambda/eventSourceMapping:EventSourceMapping", "m", { eventSourceArn: DLQ_ARN }),
    ],
  ])("still flags a queue with only %s", (_label, other) => {
    expect(flagged([queue(QUEUE_ARN), other])).toEqual(["work advisory"]);
  });

  it.each([
    [
      "a redrive policy's target",
      queue(QUEUE_ARN, {
        redrivePolicy: JSON.stringify({ deadLetterTargetArn: DLQ_ARN, maxReceiveCount: 5 }),
      }),
      r("aws:lambda/eventSourceMapping:EventSourceMapping", "m", { eventSourceArn: QUEUE_ARN }),
    ],
    [
      "an EventBridge target's dead-letter queue",
      r("aws:cloudwatch/eventTarget:EventTarget", "t", {
        arn: "arn:aws:lambda:us-east-1:111122223333:function:f",
        deadLetterConfig: { arn: DLQ_ARN },
      }),
    ],
    [
      "a Lambda on-failure destination",
      r("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "c", {
        destinationConfig: { onFailure: { destination: DLQ_ARN } },
      }),
    ],
  ] as Array<[string, ...OfflineResource[]]>)(
    "does not flag a dead-letter queue named as %s",
    (_label, ...naming) => {
      expect(flagged([queue(DLQ_ARN), ...naming])).toEqual([]);
    },
  );

  it("leaves to `pulumi up` a queue whose ARN is unknown during preview", () => {
    const q = r("aws:sqs/queue:Queue", "work", {}, { outputs: { arn: UNKNOWN } });
    expect(flagged([q])).toEqual([]);
    // A mapping whose source is still unknown but depends on the queue reads it.
    const mapping = r(
      "aws:lambda/eventSourceMapping:EventSourceMapping",
      "m",
      { eventSourceArn: UNKNOWN },
      { dependencies: [q.urn] },
    );
    expect(flagged([q, mapping])).toEqual([]);
  });
});

describe("the plan of the project's stacks", () => {
  let result: PlanResult;
  beforeAll(async () => {
    result = await planProjectWithPack();
  });

  it("flags no queue: svc-b's role reads each region's work queue, and dead-letter queues are left alone", () => {
    for (const s of result.stacks) {
      const flags = s.document.violations.filter((v) => v.policy === "sqs-queue-has-consumer");
      const queues = s.analyzed.filter((q) => q.type === "aws:sqs/queue:Queue");
      const work = queues.filter((q) => q.name.endsWith("-work"));
      // The premise: no event source mapping reads the work queue, a role does.
      const mappings = s.analyzed.filter(
        (m) => m.type === "aws:lambda/eventSourceMapping:EventSourceMapping",
      );
      for (const q of work) {
        expect(mappings.map((m) => m.inputs.eventSourceArn)).not.toContain(q.outputs.arn);
        const readers = s.analyzed.filter(
          (r) =>
            r.type.startsWith("aws:iam/") &&
            JSON.stringify(r.inputs).includes("sqs:ReceiveMessage") &&
            JSON.stringify(r.inputs).includes(String(q.outputs.arn)),
        );
        expect(readers.length, `${s.stack} ${q.name}`).toBeGreaterThan(0);
      }
      expect(flags, s.stack).toEqual([]);
      // Every other queue is a dead-letter queue, and is left alone.
      expect(queues.length - work.length, s.stack).toBeGreaterThan(0);
    }
  });
});

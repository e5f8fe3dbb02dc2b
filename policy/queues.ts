/**
 * A queue nobody reads fills up until its retention period drops the messages: every SQS queue
 * needs a consumer, either a Lambda event source mapping (or an EventBridge pipe) reading it, or
 * an identity or queue policy that allows `sqs:ReceiveMessage` on it
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-basic-architecture.html).
 *
 * Dead-letter queues are exempt: they are read on purpose, by a redrive or a person, after an
 * alarm. A queue is one when another resource names it as where failures go (a redrive policy's
 * `deadLetterTargetArn`, a target's `deadLetterConfig`, an `onFailure` destination).
 *
 * During a preview the ARN of a queue created in the same update is unknown; a reader is then
 * recognised by depending on the queue, and a queue whose readers cannot be told yet is judged
 * at `pulumi up`.
 */
import type { PolicyResource } from "@pulumi/policy";
import { documentsOf, isAllow, statementsOf } from "./documents";
import type { StackFinding, StackPolicy } from "./types";
import { Unknown, at, globToRegExp, isUnknownValue, target } from "./values";

const QUEUE = "aws:sqs/queue:Queue";
const MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping";
const PIPE = "aws:pipes/pipe:Pipe";
const READERS = [
  "aws:iam/role:Role",
  "aws:iam/rolePolicy:RolePolicy",
  "aws:iam/policy:Policy",
  "aws:sqs/queuePolicy:QueuePolicy",
] as const;

/** The top-level properties that can hold a failure destination. */
const FAILURE_HOLDERS = /redrive|deadletter|destination|sourceparameters|^target$/i;

/** Property paths under which a queue ARN means "failures go here". */
const FAILURE_PATH = /deadletter|onfailure/i;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Every `path: string` leaf of a value; JSON strings (redrive policies) are looked into. */
function leaves(value: unknown, path: string, out: Array<[string, string]>): void {
  const v = target(value);
  if (typeof v === "string") {
    if (v.startsWith("{")) {
      try {
        leaves(JSON.parse(v) as unknown, path, out);
        return;
      } catch {
        // not JSON: an ordinary string
      }
    }
    out.push([path, v]);
  } else if (Array.isArray(v)) {
    v.forEach((x, i) => leaves(x, `${path}[${i}]`, out));
  } else if (isRecord(v)) {
    for (const [k, x] of Object.entries(v)) leaves(x, path === "" ? k : `${path}.${k}`, out);
  }
}

const receives = (action: string) => globToRegExp(action.toLowerCase()).test("sqs:receivemessage");

/** Types whose properties can name a queue as where failures go. */
const FAILURE_TYPES: ReadonlySet<string> = new Set([
  QUEUE,
  "aws:sns/topicSubscription:TopicSubscription",
  "aws:cloudwatch/eventTarget:EventTarget",
  "aws:lambda/function:Function",
  "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
  MAPPING,
  PIPE,
  "aws:scheduler/schedule:Schedule",
]);

/**
 * The resource patterns a policy-carrying resource allows sqs:ReceiveMessage on: `Unknown` for
 * one not known yet (a queue created in the same update).
 */
function receivePatterns(r: PolicyResource): Array<RegExp | Unknown> {
  const patterns: Array<RegExp | Unknown> = [];
  for (const document of documentsOf(r.type, r.props)) {
    if (document.kind !== "identity" && document.kind !== "resource") continue;
    for (const s of statementsOf(document)) {
      if (!isAllow(s) || s.action === undefined || s.action === Unknown) continue;
      if (!s.action.some((a) => a !== Unknown && receives(a))) continue;
      // A queue policy's statement without Resource applies to its queue.
      const resources = s.resource ?? (document.kind === "resource" ? ["*"] : []);
      if (resources === Unknown) patterns.push(Unknown);
      else
        for (const res of resources) patterns.push(res === Unknown ? Unknown : globToRegExp(res));
    }
  }
  return patterns;
}

export const sqsQueueHasConsumer: StackPolicy = {
  kind: "stack",
  name: "sqs-queue-has-consumer",
  domain: "operations",
  description: "Every SQS queue that is not a dead-letter queue has a consumer.",
  message:
    "Give the queue a reader: a Lambda event source mapping on it, or a role allowed sqs:ReceiveMessage on its ARN (and tell the reader the queue's URL); or remove the queue",
  types: [QUEUE, MAPPING, PIPE, ...READERS],
  check(resources) {
    const findings: StackFinding[] = [];
    const queues = resources.filter((r) => r.type === QUEUE);
    if (queues.length === 0) return findings;
    const dependsOn = (r: PolicyResource, queue: PolicyResource) =>
      r.dependencies.includes(queue) ||
      Object.values(r.propertyDependencies).some((ds) => ds.includes(queue));

    // The ARNs named as where failures go, and the resources that name an unknown one.
    const failures = new Set<string>();
    const namesUnknownFailure: PolicyResource[] = [];
    const sources: Array<{ r: PolicyResource; source: unknown }> = [];
    const readers: Array<{ r: PolicyResource; patterns: Array<RegExp | Unknown> }> = [];
    for (const r of resources) {
      if (FAILURE_TYPES.has(r.type)) {
        const found: Array<[string, string]> = [];
        // Only the properties that can hold a failure destination: reading the others (tags, a
        // masked secret) would tell nothing and count as needed.
        const props = target(r.props) as Record<string, unknown>;
        for (const key of Object.keys(props)) {
          if (FAILURE_HOLDERS.test(key)) leaves(props[key], key, found);
        }
        for (const [path, value] of found) {
          if (!FAILURE_PATH.test(path)) continue;
          if (isUnknownValue(value)) namesUnknownFailure.push(r);
          else failures.add(value);
        }
      }
      if (r.type === MAPPING || r.type === PIPE) {
        sources.push({ r, source: at(r.props, r.type === MAPPING ? "eventSourceArn" : "source") });
      } else if ((READERS as readonly string[]).includes(r.type)) {
        const patterns = receivePatterns(r);
        if (patterns.length > 0) readers.push({ r, patterns });
      }
    }

    for (const queue of queues) {
      const arn = at(queue.props, "arn");
      const known = typeof arn === "string";
      if (known ? failures.has(arn) : namesUnknownFailure.some((r) => dependsOn(r, queue))) {
        continue;
      }
      const mapped = sources.some(({ r, source }) =>
        source === Unknown ? dependsOn(r, queue) : known && source === arn,
      );
      const readable = readers.some(({ r, patterns }) =>
        patterns.some((p) => (p === Unknown ? dependsOn(r, queue) : known && p.test(arn))),
      );
      if (mapped || readable) continue;
      if (!known) continue; // judged at `pulumi up`, when the ARN is known
      findings.push({
        urn: queue.urn,
        detail: `nothing reads queue ${String(at(queue.props, "name") ?? queue.name)}: no event source mapping on it and no role allowed sqs:ReceiveMessage on ${arn}`,
      });
    }
    return findings;
  },
};

export const QUEUE_POLICIES: readonly StackPolicy[] = [sqsQueueHasConsumer];

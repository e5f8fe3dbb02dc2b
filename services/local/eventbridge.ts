/**
 * A local EventBridge for what the platform uses: buses, rules with event patterns, SQS targets
 * (the region's work queue), and PutEvents, which stamps each entry into an event
 * (`version`, `id`, `detail-type`, `source`, `account`, `time`, `region`, `resources`, `detail`:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html) and delivers
 * it to the targets of every rule whose pattern matches. Patterns: exact values, `prefix`,
 * `exists`, nested fields (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html).
 */
import { randomUUID } from "node:crypto";
import { AwsError, startJsonProtocolServer, type JsonProtocolServer } from "./json-protocol";
import { ACCOUNT_ID, type SqsStandIn } from "./sqs";

export interface PlatformEvent {
  readonly version: "0";
  readonly id: string;
  readonly "detail-type": string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: Record<string, unknown>;
}

type Pattern = { [field: string]: unknown };

interface Rule {
  readonly name: string;
  readonly pattern: Pattern;
  readonly targets: Array<{ id: string; arn: string }>;
}

function matchValue(condition: unknown, value: unknown, present: boolean): boolean {
  if (condition !== null && typeof condition === "object") {
    const c = condition as Record<string, unknown>;
    if (typeof c.prefix === "string")
      return typeof value === "string" && value.startsWith(c.prefix);
    if (typeof c.exists === "boolean") return c.exists === present;
    return false;
  }
  return value === condition;
}

/** True when the event (or a part of it) matches the pattern (or the part of it). */
export function matches(pattern: Pattern, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([field, condition]) => {
    const present = Object.prototype.hasOwnProperty.call(event, field);
    const value = event[field];
    if (Array.isArray(condition)) {
      const values = Array.isArray(value) ? value : [value];
      return condition.some((c) => values.some((v) => matchValue(c, v, present)));
    }
    if (condition !== null && typeof condition === "object") {
      return (
        value !== null &&
        typeof value === "object" &&
        matches(condition as Pattern, value as Record<string, unknown>)
      );
    }
    return false;
  });
}

export class EventBridgeStandIn {
  /** Bus name -> its rules. */
  readonly buses = new Map<string, Map<string, Rule>>();
  /** Every event put, per bus, in order. */
  readonly events = new Map<string, PlatformEvent[]>();
  private http?: JsonProtocolServer;

  constructor(
    private readonly region: string,
    private readonly sqs: SqsStandIn,
  ) {}

  get url(): string {
    if (!this.http) throw new Error("the EventBridge stand-in is not started");
    return this.http.url;
  }

  get calls(): string[] {
    return this.http?.calls ?? [];
  }

  async start(port = 0): Promise<this> {
    this.http = await startJsonProtocolServer({
      prefix: "AWSEvents",
      contentType: "application/x-amz-json-1.1",
      errorNamespace: "com.amazonaws.events",
      port,
      operations: {
        CreateEventBus: (i) => ({ EventBusArn: this.createBus(String(i.Name)) }),
        PutRule: (i) => ({
          RuleArn: this.putRule(
            String(i.EventBusName ?? "default"),
            String(i.Name),
            JSON.parse(String(i.EventPattern)) as Pattern,
          ),
        }),
        PutTargets: (i) => {
          const rule = this.rule(String(i.EventBusName ?? "default"), String(i.Rule));
          for (const t of (i.Targets ?? []) as Array<{ Id: string; Arn: string }>) {
            rule.targets.push({ id: t.Id, arn: t.Arn });
          }
          return { FailedEntryCount: 0, FailedEntries: [] };
        },
        PutEvents: (i) => {
          const entries = (i.Entries ?? []) as Array<Record<string, unknown>>;
          const results = entries.map((e) => {
            try {
              return { EventId: this.put(e) };
            } catch (err) {
              const aws =
                err instanceof AwsError ? err : new AwsError("InternalFailure", String(err));
              return { ErrorCode: aws.type, ErrorMessage: aws.message };
            }
          });
          return {
            FailedEntryCount: results.filter((r) => !("EventId" in r)).length,
            Entries: results,
          };
        },
      },
    });
    return this;
  }

  stop(): Promise<void> {
    return this.http?.close() ?? Promise.resolve();
  }

  createBus(name: string): string {
    if (!this.buses.has(name)) this.buses.set(name, new Map());
    return `arn:aws:events:${this.region}:${ACCOUNT_ID}:event-bus/${name}`;
  }

  putRule(bus: string, name: string, pattern: Pattern): string {
    const rules = this.buses.get(bus);
    if (!rules) throw new AwsError("ResourceNotFoundException", `Event bus ${bus} does not exist.`);
    rules.set(name, { name, pattern, targets: rules.get(name)?.targets ?? [] });
    return `arn:aws:events:${this.region}:${ACCOUNT_ID}:rule/${bus}/${name}`;
  }

  private rule(bus: string, name: string): Rule {
    const rule = this.buses.get(bus)?.get(name);
    if (!rule)
      throw new AwsError("ResourceNotFoundException", `Rule ${name} does not exist on ${bus}.`);
    return rule;
  }

  private put(entry: Record<string, unknown>): string {
    const bus = String(entry.EventBusName ?? "default");
    const rules = this.buses.get(bus);
    if (!rules) throw new AwsError("ResourceNotFoundException", `Event bus ${bus} does not exist.`);
    if (typeof entry.Source !== "string" || typeof entry.DetailType !== "string") {
      throw new AwsError("InvalidArgument", "Parameter(s) Source and DetailType are required");
    }
    let detail: Record<string, unknown>;
    try {
      detail = JSON.parse(String(entry.Detail ?? "{}")) as Record<string, unknown>;
    } catch {
      throw new AwsError("MalformedDetail", "Detail is malformed.");
    }
    const event: PlatformEvent = {
      version: "0",
      id: randomUUID(),
      "detail-type": entry.DetailType,
      source: entry.Source,
      account: ACCOUNT_ID,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      region: this.region,
      resources: (entry.Resources ?? []) as string[],
      detail,
    };
    this.events.set(bus, [...(this.events.get(bus) ?? []), event]);
    for (const rule of rules.values()) {
      if (!matches(rule.pattern, event as unknown as Record<string, unknown>)) continue;
      for (const target of rule.targets) {
        if (target.arn.startsWith("arn:aws:sqs:")) {
          this.sqs.send(this.sqs.byArn(target.arn), JSON.stringify(event));
        }
      }
    }
    return event.id;
  }
}

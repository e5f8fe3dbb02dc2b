/**
 * The region's domain-event consumer. EventBridge invokes it asynchronously with one event; it
 * records the event in the platform table with a conditional write keyed on the event id, so a
 * redelivered event (EventBridge and Lambda's async queue are at-least-once) is recognised and
 * acknowledged instead of processed twice.
 *
 * Self-contained on purpose (no imports): the deploy transpiles this one file to `index.js`
 * (components/region/consumer-code.ts), and the AWS SDK v3 comes from the Node.js Lambda runtime.
 * The DynamoDB client is behind a narrow interface so that tests inject a fake.
 */

/** The part of an EventBridge event the consumer reads. */
export interface DomainEvent {
  readonly id: string;
  readonly source: string;
  readonly "detail-type": string;
  readonly region: string;
  readonly time: string;
  readonly detail: unknown;
}

/** The one DynamoDB call the consumer makes (the SDK v3 `DynamoDB.putItem` shape). */
export interface PutItemClient {
  putItem(input: {
    TableName: string;
    Item: Record<string, { S: string } | { N: string }>;
    ConditionExpression: string;
  }): Promise<unknown>;
}

export interface ConsumerDeps {
  readonly client: PutItemClient;
  readonly tableName: string;
  /** The region this consumer runs in: each region processes each event once. */
  readonly region: string;
  /** @default 7 days - how long the idempotency record is kept (the table's TTL attribute) */
  readonly retentionSeconds?: number;
  readonly now?: () => Date;
}

export type Outcome = { readonly status: "processed" | "duplicate"; readonly eventId: string };

export const DEFAULT_RETENTION_SECONDS = 7 * 24 * 3600;

/** The idempotency key: one record per event and consuming region. */
export function idempotencyKey(eventId: string, region: string): { pk: string; sk: string } {
  return { pk: `event#${eventId}`, sk: `consumer#${region}` };
}

function isConditionalCheckFailed(e: unknown): boolean {
  return (
    typeof e === "object" &&
    e !== null &&
    (e as { name?: unknown }).name === "ConditionalCheckFailedException"
  );
}

export function createHandler(deps: ConsumerDeps): (event: DomainEvent) => Promise<Outcome> {
  return async (event) => {
    if (typeof event?.id !== "string" || event.id.length === 0) {
      // Thrown, not swallowed: the on-failure destination keeps the malformed event.
      throw new Error("event.id is missing: not an EventBridge event");
    }
    const now = (deps.now ?? (() => new Date()))();
    const { pk, sk } = idempotencyKey(event.id, deps.region);
    const expiresAt =
      Math.floor(now.getTime() / 1000) + (deps.retentionSeconds ?? DEFAULT_RETENTION_SECONDS);
    try {
      await deps.client.putItem({
        TableName: deps.tableName,
        Item: {
          pk: { S: pk },
          sk: { S: sk },
          source: { S: event.source },
          detailType: { S: event["detail-type"] },
          originRegion: { S: event.region },
          processedAt: { S: now.toISOString() },
          expiresAt: { N: String(expiresAt) },
        },
        ConditionExpression: "attribute_not_exists(pk)",
      });
    } catch (e) {
      if (isConditionalCheckFailed(e)) return { status: "duplicate", eventId: event.id };
      throw e;
    }
    return { status: "processed", eventId: event.id };
  };
}

let cached: ((event: DomainEvent) => Promise<Outcome>) | undefined;

/** The Lambda entry point (`index.handler`): the real client, built once per container. */
export async function handler(event: DomainEvent): Promise<Outcome> {
  if (!cached) {
    // A variable module name keeps the compiler from resolving the SDK, which is not a dependency
    // of this repository: the Lambda runtime provides it.
    const sdkModule = "@aws-sdk/client-dynamodb";
    const sdk = (await import(sdkModule)) as { DynamoDB: new () => PutItemClient };
    cached = createHandler({
      client: new sdk.DynamoDB(),
      tableName: requireEnv("TABLE_NAME"),
      region: requireEnv("AWS_REGION"),
    });
  }
  return cached(event);
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

/**
 * svc-b's consumer of the region's work queue (the domain events the region's rule routes there):
 * - long polling (WaitTimeSeconds up to 20 s: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-short-and-long-polling.html);
 * - batches of up to 10, processed concurrently, deleted in one DeleteMessageBatch; a message that
 *   fails stays and comes back after its visibility timeout (partial batch failure);
 * - a heartbeat extends the visibility of messages still in progress, so a slow message is not
 *   handed to another consumer (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html);
 * - idempotent by message id: the effect is one conditional write keyed on the message id, so a
 *   redelivered message (SQS is at least once) is recognised and only deleted;
 * - poison messages: never deleted, they return until the queue's redrive policy moves them to
 *   the DLQ after maxReceiveCount receives (components/region/async.ts).
 */
import {
  ConditionalCheckFailedException,
  PutItemCommand,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { errorFields, type Logger } from "../../lib/log";

export interface WorkerConfig {
  readonly queueUrl: string;
  readonly tableName: string;
  readonly region: string;
  /** @default 20 - long-poll wait */
  readonly waitTimeSeconds: number;
  /** The queue's visibility timeout, which the heartbeat renews for messages in progress. */
  readonly visibilityTimeoutSeconds: number;
  /** @default 10 - the most SQS returns per receive */
  readonly batchSize: number;
  /** @default 7 days - how long the record of a processed message is kept (table TTL) */
  readonly retentionSeconds: number;
}

export type Outcome = "processed" | "duplicate" | "failed";

export interface WorkerStats {
  processed: number;
  duplicates: number;
  failed: number;
  receives: number;
}

/** The record of a processed message: the effect and the idempotency key in one item. */
export const workKey = (messageId: string) => ({
  pk: { S: `work#${messageId}` },
  sk: { S: "svc-b" },
});

/** What a message says, as EventBridge delivers an event to SQS (the whole event as the body). */
export function parseEvent(body: string | undefined): {
  id: string;
  source: string;
  detailType: string;
  originRegion: string;
  itemId?: string;
} {
  const event = JSON.parse(body ?? "") as Record<string, unknown>;
  const detail = (event.detail ?? {}) as Record<string, unknown>;
  if (typeof event.id !== "string" || typeof event.source !== "string") {
    throw new Error("not an EventBridge event (id and source are required)");
  }
  return {
    id: event.id,
    source: event.source,
    detailType: String(event["detail-type"] ?? ""),
    originRegion: typeof detail.originRegion === "string" ? detail.originRegion : "",
    ...(typeof detail.id === "string" ? { itemId: detail.id } : {}),
  };
}

export class QueueWorker {
  readonly stats: WorkerStats = { processed: 0, duplicates: 0, failed: 0, receives: 0 };
  private running = false;
  private loop?: Promise<void>;
  private poll?: AbortController;

  constructor(
    private readonly sqs: SQSClient,
    private readonly dynamodb: DynamoDBClient,
    private readonly config: WorkerConfig,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops polling; the batch in progress finishes (and is deleted) first. */
  async stop(): Promise<void> {
    this.running = false;
    this.poll?.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    let backoff = 100;
    while (this.running) {
      try {
        const messages = await this.receive();
        backoff = 100;
        if (messages.length > 0) await this.processBatch(messages);
      } catch (e) {
        if (!this.running) break;
        this.log.log("error", "receive failed", errorFields(e));
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }

  private async receive(): Promise<Message[]> {
    this.poll = new AbortController();
    const out = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.config.queueUrl,
        MaxNumberOfMessages: this.config.batchSize,
        WaitTimeSeconds: this.config.waitTimeSeconds,
        MessageSystemAttributeNames: ["ApproximateReceiveCount"],
      }),
      { abortSignal: this.poll.signal },
    );
    this.stats.receives++;
    return out.Messages ?? [];
  }

  /** One batch: concurrent processing under a visibility heartbeat, then one batch delete. */
  async processBatch(messages: Message[]): Promise<Outcome[]> {
    const pending = new Set(messages);
    const heartbeatMs = Math.max(200, (this.config.visibilityTimeoutSeconds * 1000) / 3);
    const heartbeat = setInterval(() => void this.extend([...pending]), heartbeatMs);
    let outcomes: Outcome[];
    try {
      outcomes = await Promise.all(
        messages.map((m) => this.processOne(m).finally(() => pending.delete(m))),
      );
    } finally {
      clearInterval(heartbeat);
    }
    const done = messages.filter((_, i) => outcomes[i] !== "failed");
    if (done.length > 0) await this.delete(done);
    return outcomes;
  }

  private async processOne(message: Message): Promise<Outcome> {
    const messageId = message.MessageId ?? "";
    const receives = Number(message.Attributes?.ApproximateReceiveCount ?? "1");
    try {
      const event = parseEvent(message.Body);
      const now = new Date();
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.config.tableName,
          Item: {
            ...workKey(messageId),
            eventId: { S: event.id },
            source: { S: event.source },
            detailType: { S: event.detailType },
            originRegion: { S: event.originRegion },
            ...(event.itemId ? { itemId: { S: event.itemId } } : {}),
            processedIn: { S: this.config.region },
            processedAt: { S: now.toISOString() },
            receives: { N: String(receives) },
            expiresAt: {
              N: String(Math.floor(now.getTime() / 1000) + this.config.retentionSeconds),
            },
          },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      this.stats.processed++;
      this.log.log("info", "message processed", { messageId, eventId: event.id, receives });
      return "processed";
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) {
        this.stats.duplicates++;
        this.log.log("info", "duplicate message", { messageId, receives });
        return "duplicate";
      }
      this.stats.failed++;
      this.log.log("warn", "message failed; it returns after its visibility timeout", {
        messageId,
        receives,
        ...errorFields(e),
      });
      return "failed";
    }
  }

  private async extend(messages: Message[]): Promise<void> {
    if (messages.length === 0) return;
    try {
      const out = await this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.config.queueUrl,
          Entries: messages.map((m, i) => ({
            Id: String(i),
            ReceiptHandle: m.ReceiptHandle,
            VisibilityTimeout: this.config.visibilityTimeoutSeconds,
          })),
        }),
      );
      if (out.Failed?.length) {
        this.log.log("warn", "visibility not extended", { failed: out.Failed.length });
      }
    } catch (e) {
      this.log.log("warn", "visibility not extended", errorFields(e));
    }
  }

  private async delete(messages: Message[]): Promise<void> {
    try {
      const out = await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.config.queueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      // A message not deleted comes back, and is then recognised as a duplicate.
      for (const f of out.Failed ?? []) {
        this.log.log("warn", "message not deleted", {
          messageId: messages[Number(f.Id)]?.MessageId,
          code: f.Code,
        });
      }
    } catch (e) {
      this.log.log("warn", "delete failed; the batch returns and is deduplicated", errorFields(e));
    }
  }
}

/**
 * A local SQS for the operations the platform's code calls, with the semantics it relies on
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/): messages are
 * invisible for the visibility timeout after a receive and return unless deleted; a receipt
 * handle is per receive; ReceiveMessage long-polls up to WaitTimeSeconds; ApproximateReceiveCount
 * counts receives; the redrive policy moves a message to the dead-letter queue when a receive
 * would exceed maxReceiveCount; MD5OfBody is the MD5 of the body, which the SDK verifies.
 */
import { createHash, randomUUID } from "node:crypto";
import { AwsError, startJsonProtocolServer, type JsonProtocolServer } from "./json-protocol";

export const ACCOUNT_ID = "000000000000";

interface StoredMessage {
  readonly id: string;
  readonly body: string;
  readonly md5: string;
  readonly sentAt: number;
  receiveCount: number;
  visibleAt: number;
  receipt?: string;
}

interface Queue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  visibilityTimeout: number;
  redrive?: { deadLetterTargetArn: string; maxReceiveCount: number };
  messages: StoredMessage[];
  waiters: Set<() => void>;
}

export interface SqsFaults {
  /** The next N DeleteMessageBatch entries fail (partial batch failure), as SQS may answer. */
  failDeletes: number;
}

const md5 = (s: string) => createHash("md5").update(s, "utf8").digest("hex");

export class SqsStandIn {
  readonly queues = new Map<string, Queue>();
  readonly faults: SqsFaults = { failDeletes: 0 };
  private http?: JsonProtocolServer;

  constructor(private readonly region: string) {}

  get url(): string {
    if (!this.http) throw new Error("the SQS stand-in is not started");
    return this.http.url;
  }

  get calls(): string[] {
    return this.http?.calls ?? [];
  }

  async start(port = 0): Promise<this> {
    this.http = await startJsonProtocolServer({
      prefix: "AmazonSQS",
      contentType: "application/x-amz-json-1.0",
      errorNamespace: "com.amazonaws.sqs",
      port,
      operations: {
        CreateQueue: (i) => ({
          QueueUrl: this.createQueue(String(i.QueueName), i.Attributes as Record<string, string>)
            .url,
        }),
        GetQueueUrl: (i) => ({ QueueUrl: this.byName(String(i.QueueName)).url }),
        GetQueueAttributes: (i) => ({ Attributes: this.attributes(this.byUrl(i.QueueUrl)) }),
        SendMessage: (i) => this.send(this.byUrl(i.QueueUrl), String(i.MessageBody ?? "")),
        SendMessageBatch: (i) => {
          const q = this.byUrl(i.QueueUrl);
          const entries = (i.Entries ?? []) as Array<{ Id: string; MessageBody: string }>;
          return {
            Successful: entries.map((e) => ({ Id: e.Id, ...this.send(q, e.MessageBody) })),
            Failed: [],
          };
        },
        ReceiveMessage: (i) => this.receive(i),
        DeleteMessage: (i) => {
          this.remove(this.byUrl(i.QueueUrl), String(i.ReceiptHandle));
          return {};
        },
        DeleteMessageBatch: (i) => {
          const q = this.byUrl(i.QueueUrl);
          return this.batch(i.Entries, (e) => {
            if (this.faults.failDeletes > 0) {
              this.faults.failDeletes--;
              throw new AwsError("InternalError", "injected delete failure", 500);
            }
            this.remove(q, String(e.ReceiptHandle));
          });
        },
        ChangeMessageVisibility: (i) => {
          this.changeVisibility(
            this.byUrl(i.QueueUrl),
            String(i.ReceiptHandle),
            Number(i.VisibilityTimeout),
          );
          return {};
        },
        ChangeMessageVisibilityBatch: (i) => {
          const q = this.byUrl(i.QueueUrl);
          return this.batch(i.Entries, (e) =>
            this.changeVisibility(q, String(e.ReceiptHandle), Number(e.VisibilityTimeout)),
          );
        },
        PurgeQueue: (i) => {
          this.byUrl(i.QueueUrl).messages = [];
          return {};
        },
      },
    });
    return this;
  }

  async stop(): Promise<void> {
    for (const q of this.queues.values()) for (const wake of q.waiters) wake();
    await this.http?.close();
  }

  createQueue(name: string, attributes: Record<string, string> = {}): Queue {
    const existing = this.queues.get(name);
    if (existing) return existing;
    const queue: Queue = {
      name,
      url: `${this.url}/${ACCOUNT_ID}/${name}`,
      arn: `arn:aws:sqs:${this.region}:${ACCOUNT_ID}:${name}`,
      visibilityTimeout: Number(attributes.VisibilityTimeout ?? 30),
      ...(attributes.RedrivePolicy
        ? { redrive: JSON.parse(attributes.RedrivePolicy) as Queue["redrive"] }
        : {}),
      messages: [],
      waiters: new Set(),
    };
    this.queues.set(name, queue);
    return queue;
  }

  byName(name: string): Queue {
    const q = this.queues.get(name);
    if (!q)
      throw new AwsError(
        "QueueDoesNotExist",
        `no queue ${name}`,
        400,
        "AWS.SimpleQueueService.NonExistentQueue",
      );
    return q;
  }

  byUrl(url: unknown): Queue {
    return this.byName(
      String(url ?? "")
        .split("/")
        .pop() ?? "",
    );
  }

  byArn(arn: string): Queue {
    return this.byName(arn.split(":").pop() ?? "");
  }

  /** Puts a message on a queue directly (what an EventBridge rule's SQS target does). */
  send(queue: Queue, body: string): { MessageId: string; MD5OfMessageBody: string } {
    const message: StoredMessage = {
      id: randomUUID(),
      body,
      md5: md5(body),
      sentAt: Date.now(),
      receiveCount: 0,
      visibleAt: 0,
    };
    queue.messages.push(message);
    for (const wake of queue.waiters) wake();
    return { MessageId: message.id, MD5OfMessageBody: message.md5 };
  }

  attributes(q: Queue): Record<string, string> {
    const now = Date.now();
    return {
      QueueArn: q.arn,
      VisibilityTimeout: String(q.visibilityTimeout),
      ApproximateNumberOfMessages: String(q.messages.filter((m) => m.visibleAt <= now).length),
      ApproximateNumberOfMessagesNotVisible: String(
        q.messages.filter((m) => m.visibleAt > now).length,
      ),
      ...(q.redrive ? { RedrivePolicy: JSON.stringify(q.redrive) } : {}),
    };
  }

  private take(q: Queue, max: number, visibility: number) {
    const now = Date.now();
    const out = [];
    for (const m of [...q.messages]) {
      if (out.length >= max) break;
      if (m.visibleAt > now) continue;
      if (q.redrive && m.receiveCount >= q.redrive.maxReceiveCount) {
        // The redrive: this receive would exceed maxReceiveCount, so the message moves instead.
        q.messages = q.messages.filter((x) => x !== m);
        const dlq = this.byArn(q.redrive.deadLetterTargetArn);
        dlq.messages.push({ ...m, receiveCount: 0, visibleAt: 0, receipt: undefined });
        continue;
      }
      m.receiveCount++;
      m.visibleAt = now + visibility * 1000;
      m.receipt = randomUUID();
      out.push({
        MessageId: m.id,
        ReceiptHandle: m.receipt,
        MD5OfBody: m.md5,
        Body: m.body,
        Attributes: {
          ApproximateReceiveCount: String(m.receiveCount),
          SentTimestamp: String(m.sentAt),
        },
      });
    }
    return out;
  }

  private async receive(i: Record<string, unknown>) {
    const q = this.byUrl(i.QueueUrl);
    const max = Number(i.MaxNumberOfMessages ?? 1);
    const visibility = Number(i.VisibilityTimeout ?? q.visibilityTimeout);
    const deadline = Date.now() + Number(i.WaitTimeSeconds ?? 0) * 1000;
    for (;;) {
      const got = this.take(q, max, visibility);
      const left = deadline - Date.now();
      if (got.length > 0 || left <= 0) return got.length > 0 ? { Messages: got } : {};
      // Long poll: wait for a send, a message becoming visible again, or the deadline.
      await new Promise<void>((resolve) => {
        const wake = () => {
          q.waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 100));
        q.waiters.add(wake);
      });
    }
  }

  private find(q: Queue, receipt: string): StoredMessage {
    const m = q.messages.find((x) => x.receipt === receipt);
    if (!m)
      throw new AwsError(
        "ReceiptHandleIsInvalid",
        `receipt handle ${receipt} is not current`,
        400,
        "ReceiptHandleIsInvalid",
      );
    return m;
  }

  private remove(q: Queue, receipt: string): void {
    const m = this.find(q, receipt);
    q.messages = q.messages.filter((x) => x !== m);
  }

  private changeVisibility(q: Queue, receipt: string, seconds: number): void {
    const m = this.find(q, receipt);
    m.visibleAt = Date.now() + seconds * 1000;
  }

  private batch(entries: unknown, each: (e: Record<string, unknown>) => void) {
    const Successful: Array<{ Id: string }> = [];
    const Failed: Array<{ Id: string; SenderFault: boolean; Code: string; Message: string }> = [];
    for (const e of (entries ?? []) as Array<Record<string, unknown>>) {
      try {
        each(e);
        Successful.push({ Id: String(e.Id) });
      } catch (err) {
        const aws = err instanceof AwsError ? err : new AwsError("InternalError", String(err), 500);
        Failed.push({
          Id: String(e.Id),
          SenderFault: aws.status < 500,
          Code: aws.type,
          Message: aws.message,
        });
      }
    }
    return { Successful, Failed };
  }

  /** Messages on a queue by name, visible or not (for checks). */
  depth(name: string): number {
    return this.byName(name).messages.length;
  }

  bodies(name: string): string[] {
    return this.byName(name).messages.map((m) => m.body);
  }

  queueUrl(name: string): string {
    return this.byName(name).url;
  }
}

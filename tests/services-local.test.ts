/**
 * The data path end to end on a local region: real dynalite and s3rver, the SQS and EventBridge
 * stand-ins at the wire, the three services in-process, and the router in front as the ingress
 * gateway.
 */
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRegion } from "../services/local/region";
import { REGION, startTestRegion, until } from "./services-helpers";

let local: LocalRegion;
let router: string;

beforeAll(async () => {
  local = await startTestRegion();
  router = local.routerUrl!;
  // svc-c writes the region's sentinel when it starts; health reads it.
  await until("the region is healthy", async () =>
    (await fetch(`${router}/healthz`)).status === 200 ? true : undefined,
  );
});
afterAll(async () => {
  await local?.stop();
});

const put = (id: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${router}/a/items/${id}`, {
    method: "PUT",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

describe("svc-a: items", () => {
  it("writes an item stamped with the region, a time and a version, and reads it back", async () => {
    const written = await put("order-1", { qty: 2 });
    expect(written.status).toBe(201);
    const item = (await written.json()) as Record<string, unknown>;
    expect(item).toMatchObject({ id: "order-1", data: { qty: 2 }, version: 1, region: REGION });
    expect(Number.isNaN(Date.parse(String(item.updatedAt)))).toBe(false);

    const read = await fetch(`${router}/a/items/order-1`);
    expect(read.status).toBe(200);
    expect(read.headers.get("etag")).toBe('"1"');
    expect(await read.json()).toEqual(item);
    // svc-b reads the same table.
    expect(await (await fetch(`${router}/b/items/order-1`)).json()).toEqual(item);
  });

  it("bumps the version on every write and refuses a write on a stale version (412)", async () => {
    await put("order-2", { qty: 1 });
    const second = await put("order-2", { qty: 5 }, { "if-match": '"1"' });
    expect(second.status).toBe(200);
    expect(await second.json()).toMatchObject({ version: 2, data: { qty: 5 } });
    const stale = await put("order-2", { qty: 9 }, { "if-match": '"1"' });
    expect(stale.status).toBe(412);
    expect(await stale.json()).toEqual({ error: "item order-2 is at version 2", version: 2 });
    expect(await (await fetch(`${router}/a/items/order-2`)).json()).toMatchObject({
      version: 2,
      data: { qty: 5 },
    });
  });

  it("lets exactly one of two concurrent writers on one version win", async () => {
    await put("order-3", { n: 0 });
    const answers = await Promise.all(
      [1, 2, 3, 4].map((n) => put("order-3", { n }, { "if-match": '"1"' })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 412, 412, 412]);
    expect(await (await fetch(`${router}/a/items/order-3`)).json()).toMatchObject({ version: 2 });
  });

  it("serialises concurrent writers without If-Match: every write gets its own version", async () => {
    const answers = await Promise.all([1, 2, 3].map((n) => put("order-4", { n })));
    const versions = await Promise.all(
      answers.map(async (a) => (await a.json()) as { version: number }),
    );
    expect(answers.map((a) => a.status).filter((s) => s >= 400)).toEqual([]);
    expect(versions.map((v) => v.version).sort()).toEqual([1, 2, 3]);
  });

  it.each([
    ["a bad id", "/a/items/bad%20id", "PUT", 400],
    ["a missing item", "/a/items/nope", "GET", 404],
    ["an unrouted path", "/c/objects/x", "GET", 404],
  ])("answers %s with the right status", async (_, p, method, status) => {
    const res = await fetch(`${router}${p}`, { method, body: method === "PUT" ? "{}" : undefined });
    expect(res.status).toBe(status);
  });

  it("answers a body that is not JSON with 400", async () => {
    const res = await fetch(`${router}/a/items/x1`, { method: "PUT", body: "{nope" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "body is not JSON" });
  });

  it("publishes item.written on the region's bus with detail.originRegion", async () => {
    await put("order-5", { qty: 3 });
    const published = (local.events.events.get(local.names.busName) ?? []).filter(
      (e) => e["detail-type"] === "item.written" && e.detail.id === "order-5",
    );
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      source: "platform.svc-a",
      region: REGION,
      detail: { originRegion: REGION, id: "order-5", version: 1, region: REGION },
    });
  });

  it("stores a snapshot of the item through svc-c", async () => {
    const res = await put("order-6", { qty: 4 });
    const item = await res.json();
    const snapshot = await fetch(`${local.services.c!.url}/c/objects/items/order-6.json`);
    expect(snapshot.status).toBe(200);
    expect(await snapshot.json()).toEqual(item);
  });
});

describe("svc-c: objects", () => {
  it("round-trips bytes under a nested key", async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const url = `${local.services.c!.url}/c/objects/docs/2026/report.bin`;
    const stored = await fetch(url, { method: "PUT", body: bytes });
    expect(stored.status).toBe(200);
    expect(await stored.json()).toMatchObject({ key: "docs/2026/report.bin", region: REGION });
    const read = await fetch(url);
    expect(Buffer.from(await read.arrayBuffer())).toEqual(bytes);
  });

  it.each([
    ["a missing object", "GET", "/c/objects/none/here", 404],
    ["the reserved sentinel prefix", "PUT", "/c/objects/health/us-east-1", 400],
    ["a key with a space", "GET", "/c/objects/a%20b", 400],
  ])("refuses %s", async (_, method, p, status) => {
    const res = await fetch(`${local.services.c!.url}${p}`, {
      method,
      body: method === "PUT" ? "x" : undefined,
    });
    expect(res.status).toBe(status);
  });
});

describe("svc-b: the work queue", () => {
  const sqs = () =>
    new SQSClient({
      region: REGION,
      endpoint: local.sqs.url,
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
    });
  const event = (n: number) =>
    JSON.stringify({
      version: "0",
      id: `evt-${n}`,
      "detail-type": "item.written",
      source: "platform.svc-a",
      region: "eu-central-1",
      time: new Date().toISOString(),
      detail: { originRegion: "eu-central-1", id: `item-${n}` },
    });

  it("processes every message exactly once when deletes fail and messages come back", async () => {
    const worker = local.services.b!.worker;
    await until("the queue is empty", () =>
      local.sqs.depth(local.names.workQueueName) === 0 ? true : undefined,
    );
    const before = { ...worker.stats };
    // The next 3 deletes fail: those messages return after their visibility timeout (1 s).
    local.sqs.faults.failDeletes = 3;
    const client = sqs();
    const ids: string[] = [];
    for (let n = 0; n < 6; n++) {
      const out = await client.send(
        new SendMessageCommand({ QueueUrl: local.workQueueUrl, MessageBody: event(n) }),
      );
      ids.push(out.MessageId!);
    }
    await until("the queue is drained", () =>
      local.sqs.depth(local.names.workQueueName) === 0 && local.sqs.faults.failDeletes === 0
        ? true
        : undefined,
    );
    expect(worker.stats.processed - before.processed).toBe(6);
    expect(worker.stats.duplicates - before.duplicates).toBe(3);
    for (const [n, id] of ids.entries()) {
      const record = await fetch(`${router}/b/work/${id}`);
      expect(record.status).toBe(200);
      expect(await record.json()).toMatchObject({
        messageId: id,
        eventId: `evt-${n}`,
        originRegion: "eu-central-1",
        itemId: `item-${n}`,
        processedIn: REGION,
        receives: 1,
      });
    }
  });

  it("consumes the events the region's rule routes from the bus", async () => {
    const worker = local.services.b!.worker;
    const before = worker.stats.processed;
    await put("order-7", { qty: 7 });
    await until("svc-b processed the event", () =>
      worker.stats.processed > before ? true : undefined,
    );
    expect(local.sqs.depth(local.names.workQueueName)).toBe(0);
  });

  it("leaves a poison message to the redrive: it reaches the DLQ after maxReceiveCount receives", async () => {
    const before = local.services.b!.worker.stats.failed;
    await sqs().send(
      new SendMessageCommand({ QueueUrl: local.workQueueUrl, MessageBody: "not an event" }),
    );
    await until("the poison message is in the DLQ", () =>
      local.sqs.bodies(local.names.dlqName).includes("not an event") ? true : undefined,
    );
    expect(local.services.b!.worker.stats.failed - before).toBe(local.names.maxReceiveCount);
    expect(local.sqs.bodies(local.names.workQueueName)).not.toContain("not an event");
  });
});

describe("deep health", () => {
  it("names every dependency of the region's data path", async () => {
    const res = await fetch(`${router}/healthz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      status: string;
      failing: string[];
      checks: Record<string, unknown>;
    };
    expect(body.status).toBe("ok");
    expect(body.failing).toEqual([]);
    expect(Object.keys(body.checks).sort()).toEqual(["bucket", "bus", "table"]);
  });

  it("turns 503 naming the table while DynamoDB is down, and 200 once it is back", async () => {
    await local.dynamo.stop();
    try {
      const failing = await until("/healthz says the table fails", async () => {
        const res = await fetch(`${router}/healthz`);
        return res.status === 503 ? ((await res.json()) as { failing: string[] }) : undefined;
      });
      expect(failing.failing).toEqual(["table"]);
      // Liveness stays shallow: the pods are not restarted for a data outage.
      expect((await fetch(`${local.services.a!.url}/livez`)).status).toBe(200);
    } finally {
      await local.dynamo.start();
    }
    await until("/healthz recovers", async () =>
      (await fetch(`${router}/healthz`)).status === 200 ? true : undefined,
    );
  });
});

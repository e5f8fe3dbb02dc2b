/**
 * The services as processes, as the image runs them: the drain on SIGTERM (in-flight requests
 * answered, exit 0, traces flushed to the collector over OTLP/HTTP), exit 2 on bad configuration;
 * and the Lambda consumer's idempotency against dynalite.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { DynamoDB } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHandler } from "../functions/consumer/handler";
import { LOCAL_CREDENTIALS, type LocalRegion } from "../services/local/region";
import { REGION, startTestRegion, until } from "./services-helpers";

const ROOT = path.resolve(__dirname, "..");
let local: LocalRegion;
let sink: Server;
const traces: string[] = [];

beforeAll(async () => {
  local = await startTestRegion({ services: false });
  // An OTLP/HTTP collector's receiving end: it keeps what is posted to /v1/traces.
  sink = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url === "/v1/traces") traces.push(Buffer.concat(chunks).toString("utf8"));
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((r) => sink.listen(0, "127.0.0.1", () => r()));
});
afterAll(async () => {
  await local?.stop();
  sink?.close();
});

function startProcess(service: string, env: Record<string, string | undefined>) {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(ROOT, "services", service, "src", "main.ts")],
    { env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"], cwd: ROOT },
  );
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

const listeningPort = (stdout: string): number | undefined => {
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    const entry = JSON.parse(line) as { msg?: string; port?: number };
    if (entry.msg === "listening") return entry.port;
  }
  return undefined;
};

describe("svc-c as a process", () => {
  let proc: ReturnType<typeof startProcess>;
  afterAll(() => {
    if (proc?.child.exitCode === null) (proc.child as ChildProcess).kill("SIGKILL");
  });

  it("answers the request in flight when SIGTERM arrives, fails readiness, exits 0, flushes traces", async () => {
    const sinkPort = (sink.address() as AddressInfo).port;
    proc = startProcess("svc-c", {
      ...local.envFor("svc-c"),
      LOG_LEVEL: "info",
      DRAIN_DELAY_MS: "1500",
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sinkPort}`,
    });
    const port = await until("svc-c listens", () => listeningPort(proc.out()), 30_000);
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/ready`)).status).toBe(200);

    // A PUT whose body is only half sent: in flight when the signal comes.
    const body = Buffer.from("0123456789");
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        `${base}/c/objects/drain/inflight.txt`,
        { method: "PUT", headers: { "content-length": String(body.length) } },
        (res) => {
          let text = "";
          res.on("data", (c: Buffer) => (text += c.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on("error", reject);
      req.write(body.subarray(0, 5));
      setTimeout(() => {
        proc.child.kill("SIGTERM");
        void until("readiness fails", async () =>
          (await fetch(`${base}/ready`)).status === 503 ? true : undefined,
        ).then(() => req.end(body.subarray(5)), reject);
      }, 300);
    });
    const done = await answer;
    expect(done.status).toBe(200);
    expect(JSON.parse(done.text)).toMatchObject({ key: "drain/inflight.txt", region: REGION });
    expect(await proc.exited).toBe(0);

    const s3 = new S3Client({
      region: REGION,
      endpoint: local.s3Url,
      forcePathStyle: true,
      credentials: {
        accessKeyId: LOCAL_CREDENTIALS.AWS_ACCESS_KEY_ID,
        secretAccessKey: LOCAL_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
      },
    });
    const stored = await s3.send(
      new GetObjectCommand({ Bucket: local.names.bucketName, Key: "drain/inflight.txt" }),
    );
    expect(await stored.Body!.transformToString()).toBe("0123456789");
    // The span of the PUT reached the collector, named for the service.
    expect(
      traces.some((t) => t.includes('"svc-c"') && t.includes("PUT /c/objects/drain/inflight.txt")),
    ).toBe(true);
    const logs = proc
      .out()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l));
    expect(logs.map((l) => l.msg)).toEqual(expect.arrayContaining(["draining", "drained"]));
    const put = logs.find((l) => l.msg === "request" && l.method === "PUT");
    expect(put).toMatchObject({ service: "svc-c", region: REGION, status: 200 });
    expect(typeof put.requestId).toBe("string");
  });

  it.each([
    ["TABLE_NAME", { TABLE_NAME: undefined }, "environment variable TABLE_NAME is not set"],
    [
      "AWS_REGION",
      { AWS_REGION: "eu-central-1" },
      'PLATFORM_REGION="us-east-1" and AWS_REGION="eu-central-1" differ',
    ],
  ])("exits 2 naming %s when it is wrong", async (_, change, message) => {
    const bad = startProcess("svc-a", {
      ...local.envFor("svc-a"),
      SVC_C_URL: "http://127.0.0.1:1",
      ...change,
    });
    expect(await bad.exited).toBe(2);
    const line = bad
      .err()
      .split("\n")
      .find((l) => l.startsWith("{"));
    expect(JSON.parse(line ?? "{}")).toMatchObject({ msg: "bad configuration" });
    expect(JSON.parse(line ?? "{}").error).toContain(message);
  });
});

describe("the Lambda consumer against dynalite", () => {
  it("records an event once and recognises its redelivery", async () => {
    const client = new DynamoDB({
      region: REGION,
      endpoint: local.dynamo.url,
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
    });
    const handle = createHandler({
      client,
      tableName: local.names.tableName,
      region: REGION,
      now: () => new Date("2026-01-01T00:00:00Z"),
    });
    const event = {
      id: "evt-lambda-1",
      source: "platform.svc-a",
      "detail-type": "item.written",
      region: "eu-central-1",
      time: "2026-01-01T00:00:00Z",
      detail: { originRegion: "eu-central-1" },
    };
    expect(await handle(event)).toEqual({ status: "processed", eventId: "evt-lambda-1" });
    expect(await handle(event)).toEqual({ status: "duplicate", eventId: "evt-lambda-1" });
    const stored = await client.getItem({
      TableName: local.names.tableName,
      Key: { pk: { S: "event#evt-lambda-1" }, sk: { S: `consumer#${REGION}` } },
    });
    expect(stored.Item).toMatchObject({
      originRegion: { S: "eu-central-1" },
      expiresAt: { N: String(Date.parse("2026-01-01T00:00:00Z") / 1000 + 7 * 24 * 3600) },
    });
    // Another region's consumer processes the same event once too.
    const other = createHandler({
      client,
      tableName: local.names.tableName,
      region: "eu-central-1",
    });
    expect(await other(event)).toEqual({ status: "processed", eventId: "evt-lambda-1" });
  });
});

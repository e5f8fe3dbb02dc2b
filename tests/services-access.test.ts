/**
 * Every call the services make is allowed, and nothing more: the calls are observed at the wire
 * (a recording proxy between each service and each local server, and between services) while the
 * services do all they do, then checked against the region's plan (the ServiceMesh under the mock
 * monitor, with the project's services): each service's IAM role, the AuthorizationPolicies and
 * the NetworkPolicies. The other way round, every grant of an `access` block and every `allowFrom`
 * entry is used by some call. A scan of the services' source makes sure no SDK command went
 * unobserved, and the Deployment's environment must satisfy each service's configuration.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordedResource } from "../plan/record";
import type { Env } from "../services/lib/env";
import type { RunningService } from "../services/lib/http";
import type { LocalRegion } from "../services/local/region";
import { loadConfig as svcAConfig } from "../services/svc-a/src/config";
import { startSvcA } from "../services/svc-a/src/app";
import { loadConfig as svcBConfig, startSvcB, type SvcB } from "../services/svc-b/src/app";
import { loadConfig as svcCConfig, startSvcC } from "../services/svc-c/src/app";
import { FABRIC, WORK_QUEUE_ARN, regionConfig, runMesh, type MeshRun } from "./mesh-fixtures";
import { REGION, startTestRegion, until } from "./services-helpers";

const SERVICES = ["svc-a", "svc-b", "svc-c"] as const;
type Service = (typeof SERVICES)[number];
const AWS = ["dynamodb", "s3", "sqs", "eventbridge"] as const;
type AwsService = (typeof AWS)[number];
const ENDPOINT_VAR: Record<AwsService, string> = {
  dynamodb: "AWS_ENDPOINT_URL_DYNAMODB",
  s3: "AWS_ENDPOINT_URL_S3",
  sqs: "AWS_ENDPOINT_URL_SQS",
  eventbridge: "AWS_ENDPOINT_URL_EVENTBRIDGE",
};

/** An operation as seen on the wire: the JSON protocols' X-Amz-Target, S3's method and path. */
function operationOf(aws: AwsService, method: string, url: string, target?: string): string {
  if (target) return target.split(".")[1];
  const hasKey = url.split("?")[0].split("/").filter(Boolean).length > 1;
  if (aws === "s3" && hasKey) {
    return (
      { HEAD: "HeadObject", GET: "GetObject", PUT: "PutObject", DELETE: "DeleteObject" } as const
    )[method as "HEAD"];
  }
  return `${method} ${url}`;
}

/**
 * The IAM action that authorises an operation. Batch forms use the single action
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html),
 * HeadObject is authorised by s3:GetObject
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
 */
export function iamAction(
  aws: AwsService,
  operation: string,
): { action: string; resource: string } {
  switch (aws) {
    case "dynamodb":
      return { action: `dynamodb:${operation}`, resource: FABRIC.tableArn };
    case "s3":
      return {
        action: operation === "HeadObject" ? "s3:GetObject" : `s3:${operation}`,
        resource: `${FABRIC.bucketArn}/*`,
      };
    case "sqs":
      return { action: `sqs:${operation.replace(/Batch$/, "")}`, resource: WORK_QUEUE_ARN };
    case "eventbridge":
      return { action: `events:${operation}`, resource: FABRIC.busArn };
  }
}

interface Observed {
  aws: Array<{ service: Service; aws: AwsService; operation: string }>;
  mesh: Array<{ from: Service; to: Service; method: string; path: string }>;
}
const observed: Observed = { aws: [], mesh: [] };
const proxies: Server[] = [];
/** svc-b's DynamoDB writes are slowed to this while `slowWrites` is set: a slow message. */
let slowWritesMs = 0;

function recordingProxy(
  target: string,
  record: (method: string, url: string, targetHeader?: string) => void,
  delayFor?: (target?: string) => number,
): Promise<string> {
  const server = createServer((req, res) => {
    const t = req.headers["x-amz-target"] as string | undefined;
    record(req.method ?? "GET", req.url ?? "/", t);
    const forward = () => {
      const up = request(
        `${target}${req.url}`,
        { method: req.method, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on("error", () => res.destroy());
      req.pipe(up);
    };
    const delay = delayFor?.(t) ?? 0;
    if (delay > 0) setTimeout(forward, delay);
    else forward();
  });
  proxies.push(server);
  return new Promise((r) =>
    server.listen(0, "127.0.0.1", () =>
      r(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

let local: LocalRegion;
let mesh: MeshRun;
const running: Partial<Record<Service, RunningService>> = {};

beforeAll(async () => {
  mesh = await runMesh({ preview: true });
  local = await startTestRegion({ services: false });
  const realEndpoints: Record<AwsService, string> = {
    dynamodb: local.dynamo.url,
    s3: local.s3Url,
    sqs: local.sqs.url,
    eventbridge: local.events.url,
  };
  const envWithProxies = async (service: Service, extra: Env = {}): Promise<Env> => {
    const env: Record<string, string | undefined> = { ...local.envFor(service), ...extra };
    for (const aws of AWS) {
      env[ENDPOINT_VAR[aws]] = await recordingProxy(
        realEndpoints[aws],
        (method, url, t) =>
          observed.aws.push({ service, aws, operation: operationOf(aws, method, url, t) }),
        service === "svc-b" && aws === "dynamodb"
          ? (t) => (t?.endsWith(".PutItem") ? slowWritesMs : 0)
          : undefined,
      );
    }
    return env;
  };
  running["svc-c"] = await startSvcC(await envWithProxies("svc-c"));
  const svcCFromA = await recordingProxy(running["svc-c"].url, (method, url) =>
    observed.mesh.push({ from: "svc-a", to: "svc-c", method, path: url }),
  );
  running["svc-b"] = await startSvcB(await envWithProxies("svc-b"));
  running["svc-a"] = await startSvcA(await envWithProxies("svc-a", { SVC_C_URL: svcCFromA }));
  const a = running["svc-a"].url;
  const b = running["svc-b"].url;
  const c = running["svc-c"].url;

  // Everything the services do: health, writes and reads, objects, the queue (with a message
  // slow enough that its visibility must be extended).
  await until("the region is healthy", async () =>
    (await fetch(`${a}/healthz`)).status === 200 ? true : undefined,
  );
  for (const url of [b, c]) expect((await fetch(`${url}/healthz`)).status).toBe(200);
  expect((await fetch(`${a}/a/items/access-1`, { method: "PUT", body: '{"n":1}' })).status).toBe(
    201,
  );
  expect((await fetch(`${a}/a/items/access-1`)).status).toBe(200);
  expect((await fetch(`${b}/b/items/access-1`)).status).toBe(200);
  expect((await fetch(`${c}/c/objects/items/access-1.json`)).status).toBe(200);
  const worker = (running["svc-b"] as SvcB).worker;
  await until("svc-b consumed item.written", () =>
    worker.stats.processed >= 1 ? true : undefined,
  );
  slowWritesMs = 1500;
  const before = { ...worker.stats };
  const sent = await new SQSClient({
    region: REGION,
    endpoint: local.sqs.url,
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
  }).send(
    new SendMessageCommand({
      QueueUrl: local.workQueueUrl,
      MessageBody: JSON.stringify({ id: "evt-slow", source: "platform.svc-a", detail: {} }),
    }),
  );
  await until("svc-b processed the slow message", () =>
    worker.stats.processed > before.processed ? true : undefined,
  );
  slowWritesMs = 0;
  expect(worker.stats.duplicates).toBe(before.duplicates);
  const record = (await (await fetch(`${b}/b/work/${sent.MessageId}`)).json()) as {
    receives: number;
  };
  // Its visibility (1 s) was extended while it took 1.5 s: nobody else received it.
  expect(record.receives).toBe(1);
}, 120_000);

afterAll(async () => {
  for (const s of SERVICES) await running[s]?.drain();
  for (const p of proxies) {
    p.closeAllConnections();
    p.close();
  }
  await local?.stop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- recorded inputs are untyped JSON
const spec = (r: RecordedResource) => r.inputs.spec as Record<string, any>;
const named = (name: string): RecordedResource => {
  const found = mesh.records.filter((r) => r.name === name);
  expect(found.map((r) => r.name)).toEqual([name]);
  return found[0];
};
const statementsOf = (service: Service) =>
  JSON.parse(named(`platform-${service}-access`).inputs.policy as string).Statement as Array<{
    Sid: string;
    Action: string[];
    Resource: string[];
  }>;

describe("IAM: the roles in the plan", () => {
  it.each(SERVICES)("allow every AWS call %s makes, on the resource it makes it on", (service) => {
    const calls = observed.aws.filter((c) => c.service === service);
    expect(calls.length).toBeGreaterThan(0);
    const statements = statementsOf(service);
    for (const call of calls) {
      const { action, resource } = iamAction(call.aws, call.operation);
      const allowed = statements.some(
        (s) => s.Action.includes(action) && s.Resource.includes(resource),
      );
      expect(allowed, `${service}: ${action} on ${resource}`).toBe(true);
    }
    // Every resource is encrypted with the region's key: the role can use it.
    const key = statements.find((s) => s.Sid === "Key");
    expect(key).toMatchObject({
      Sid: "Key",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: [FABRIC.kmsKeyArn],
    });
    // ...and only through the services it uses it with (kms:ViaService).
    expect(JSON.stringify(key)).toContain("kms:ViaService");
  });

  it.each(SERVICES)(
    "grant %s nothing its code does not use (its access block, key by key)",
    (service) => {
      const access = regionConfig().services.find((s) => s.name === service)!.access;
      const actions = new Set(
        observed.aws
          .filter((c) => c.service === service)
          .map((c) => iamAction(c.aws, c.operation).action),
      );
      const uses = (prefix: string, writes?: boolean) =>
        [...actions].some(
          (a) =>
            a.startsWith(prefix) &&
            (writes === undefined || writes === /Put|Update|Delete|Write/.test(a)),
        );
      expect({
        table: uses("dynamodb:", true) ? "readwrite" : uses("dynamodb:") ? "read" : "none",
        bucket: uses("s3:", true) ? "readwrite" : uses("s3:") ? "read" : "none",
        publishEvents: actions.has("events:PutEvents"),
        sendToQueue: actions.has("sqs:SendMessage"),
        consumeQueue: actions.has("sqs:ReceiveMessage"),
      }).toEqual(access);
    },
  );
});

describe("the mesh: AuthorizationPolicies and NetworkPolicies in the plan", () => {
  it("allow every call between services the code makes, and every allowFrom is used", () => {
    expect(observed.mesh.length).toBeGreaterThan(0);
    const pairs = new Set(observed.mesh.map((c) => `${c.from}->${c.to}`));
    for (const pair of pairs) {
      const [from, to] = pair.split("->");
      const rules = spec(named(`platform-${to}-allow`)).rules as Array<{
        from: Array<{ source: { principals: string[] } }>;
      }>;
      expect(
        rules.some((r) =>
          r.from.some((f) => f.source.principals.includes(`cluster.local/ns/${from}/sa/${from}`)),
        ),
        `${pair}: AuthorizationPolicy`,
      ).toBe(true);
      const peer = {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": to } },
        podSelector: { matchLabels: { app: to } },
      };
      expect(spec(named(`platform-${from}-np-allow-egress`)).egress).toContainEqual({
        to: [peer],
        ports: [{ protocol: "TCP", port: 8080 }],
      });
      expect(
        spec(named(`platform-${to}-np-allow-ingress`)).ingress[0].from.some(
          (p: { podSelector?: { matchLabels: { app: string } } }) =>
            p.podSelector?.matchLabels.app === from,
        ),
        `${pair}: NetworkPolicy ingress`,
      ).toBe(true);
    }
    const declared = regionConfig().services.flatMap((s) =>
      s.allowFrom.filter((c) => c !== "istio-ingressgateway").map((c) => `${c}->${s.name}`),
    );
    expect(declared.sort()).toEqual([...pairs].sort());
  });

  it.each(SERVICES)("let %s reach the AWS endpoints it calls and the collector", (service) => {
    const egress = spec(named(`platform-${service}-np-allow-egress`)).egress as unknown[];
    const used = new Set(observed.aws.filter((c) => c.service === service).map((c) => c.aws));
    // DynamoDB and S3 through gateway endpoints (public addresses); SQS and EventBridge through
    // interface endpoints in the VPC.
    if (used.has("dynamodb") || used.has("s3")) {
      expect(egress).toContainEqual({
        to: [{ ipBlock: { cidr: "0.0.0.0/0" } }],
        ports: [{ protocol: "TCP", port: 443 }],
      });
    }
    if (used.has("sqs") || used.has("eventbridge")) {
      expect(egress).toContainEqual({
        to: [{ ipBlock: { cidr: "10.10.0.0/16" } }],
        ports: [{ protocol: "TCP", port: 443 }],
      });
    }
    const tracing = spec(named(`platform-${service}-np-allow-tracing`)).egress[0];
    expect(tracing.ports).toContainEqual({ protocol: "TCP", port: 4318 });
  });
});

describe("the services' code", () => {
  const sources = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => {
      const p = path.join(dir, f);
      return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
    });

  it("makes no SDK call that went unobserved above", () => {
    const root = path.join(__dirname, "..", "services");
    const files = [
      ...sources(path.join(root, "lib")),
      ...SERVICES.flatMap((s) => sources(path.join(root, s))),
    ];
    const commands = new Set<string>();
    for (const f of files) {
      for (const m of readFileSync(f, "utf8").matchAll(/new (\w+)Command\(/g)) commands.add(m[1]);
    }
    expect(commands.size).toBeGreaterThan(5);
    const seen = new Set(observed.aws.map((c) => c.operation));
    expect([...commands].filter((c) => !seen.has(c))).toEqual([]);
  });

  it.each<[Service, (env: Env) => unknown]>([
    ["svc-a", svcAConfig],
    ["svc-b", svcBConfig],
    ["svc-c", svcCConfig],
  ])("of %s is configured by the environment its Deployment sets", (service, load) => {
    const deployment = named(`platform-${service}-stable`);
    const env = Object.fromEntries(
      (
        spec(deployment).template.spec.containers[0].env as Array<{ name: string; value: string }>
      ).map((e) => [e.name, e.value]),
    );
    expect(() => load(env)).not.toThrow();
  });
});

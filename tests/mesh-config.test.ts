/** Pure logic of the mesh: the service config's rules, weights, IAM documents, endpoints. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  accessPolicy,
  issuerHostPath,
  needsKey,
  trustPolicy,
  type FabricArns,
} from "../components/mesh/iam";
import { forwardingPattern } from "../components/global/forwarding-plan";
import { healthCheckService } from "../components/mesh/health";
import { parseTracingEndpoint } from "../components/mesh/istio";
import { EVENT_SOURCE_PREFIX } from "../components/mesh/names";
import { routeMatches, routeWeights } from "../components/mesh/traffic";
import {
  repositoryUrlOf,
  validateHealthCheckPath,
  validateServices,
} from "../components/mesh/validate";
import { platformEnv } from "../components/mesh/workload";
import { DOMAIN_EVENT_PATTERN } from "../components/region/async";
import { ConfigError } from "../lib/config/errors";
import { parseStackConfig } from "../lib/config/parse";
import type { ServiceConfig } from "../lib/config/schema";
import type { AwsRegion } from "../lib/regions";
import { regionConfig, regionRaw } from "./mesh-fixtures";

type RawService = Record<string, unknown>;
const rawServices = (): RawService[] => structuredClone(regionRaw().services as RawService[]);
const withServices = (mutate: (services: RawService[]) => void) => {
  const services = rawServices();
  mutate(services);
  return { ...regionRaw(), services };
};
function thrownBy(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error, none was thrown");
}
const problem = (key: string, value: unknown, message: string) =>
  `stack "us-east-1": config key ${key} = ${JSON.stringify(value)}: ${message}`;

describe("the project's services", () => {
  it("parse, svc-c internal only", () => {
    const services = regionConfig().services;
    expect(services.map((s) => [s.name, s.routes, s.canaryWeight])).toEqual([
      ["svc-a", ["/a"], 10],
      ["svc-b", ["/b"], 0],
      ["svc-c", [], 0],
    ]);
  });
  it("name release versions, never moving tags", () => {
    const services = regionConfig().services;
    expect(services.map((s) => [s.name, s.imageTag, s.canaryImageTag])).toEqual([
      ["svc-a", "1.4.2", "1.5.0-rc.1"],
      ["svc-b", "2.3.0", undefined],
      ["svc-c", "1.1.0", undefined],
    ]);
  });
});

const MOVING =
  "a moving tag (latest, stable, canary) cannot be used: tags are immutable, so it would never move; name a release version, e.g. 1.4.2";

describe.each<[string, (services: RawService[]) => void, string]>([
  [
    "a duplicate name",
    (s) => s.push({ ...s[1], routes: ["/b2"] }),
    problem("platform:services[3].name", "svc-b", 'duplicate service name "svc-b"'),
  ],
  [
    "an unknown caller in allowFrom",
    (s) => (s[2].allowFrom = ["svc-a", "svc-x"]),
    problem(
      "platform:services[2].allowFrom[1]",
      "svc-x",
      "not a service of platform:services (allowed: istio-ingressgateway, svc-a, svc-b, svc-c)",
    ),
  ],
  [
    "a canary weight above 100 (stable would be negative)",
    (s) => (s[0].canaryWeight = 120),
    problem(
      "platform:services[0].canaryWeight",
      120,
      "the canary's share of 100 (stable gets the rest): allowed 0-100",
    ),
  ],
  [
    "a negative canary weight (stable above 100)",
    (s) => (s[0].canaryWeight = -10),
    problem(
      "platform:services[0].canaryWeight",
      -10,
      "the canary's share of 100 (stable gets the rest): allowed 0-100",
    ),
  ],
  [
    "a canary weight without a canary image",
    (s) => (s[1].canaryWeight = 20),
    problem(
      "platform:services[1].canaryWeight",
      20,
      "a canary weight needs canaryImageTag (the image the canary subset runs)",
    ),
  ],
  [
    "access to a resource the platform does not have",
    (s) => (s[0].access = { table: "read", cache: "readwrite" }),
    problem(
      "platform:services[0].access.cache",
      "readwrite",
      "unknown setting (check its spelling against lib/config/schema.ts)",
    ),
  ],
  [
    "an access level that does not exist",
    (s) => (s[1].access = { table: "write" }),
    problem(
      "platform:services[1].access.table",
      "write",
      'Invalid option: expected one of "none"|"read"|"readwrite"',
    ),
  ],
  [
    "routes the gateway may not call",
    (s) => (s[2].routes = ["/c"]),
    problem(
      "platform:services[2].routes",
      ["/c"],
      'routes need "istio-ingressgateway" in allowFrom (its AuthorizationPolicy would deny the gateway)',
    ),
  ],
  [
    "a path prefix claimed twice",
    (s) => (s[1].routes = ["/b", "/a"]),
    problem("platform:services[1].routes[1]", "/a", "already routed to svc-a"),
  ],
  [
    "a platform namespace as a service name",
    (s) => (s[2].name = "istio-system"),
    problem(
      "platform:services[2].name",
      "istio-system",
      "reserved (the service's namespace would clash with default, kube-system, kube-public, kube-node-lease, istio-system, istio-ingress, istio-ingressgateway)",
    ),
  ],
  [
    "no imageTag",
    (s) => delete s[1].imageTag,
    'stack "us-east-1": config key platform:services[1].imageTag is missing: required: the release version of the service\'s image, e.g. 1.4.2 (tags are immutable: each version is pushed once)',
  ],
  [
    "imageTag stable",
    (s) => (s[1].imageTag = "stable"),
    problem("platform:services[1].imageTag", "stable", MOVING),
  ],
  [
    "imageTag latest",
    (s) => (s[2].imageTag = "latest"),
    problem("platform:services[2].imageTag", "latest", MOVING),
  ],
  [
    "imageTag Latest",
    (s) => (s[2].imageTag = "Latest"),
    problem("platform:services[2].imageTag", "Latest", MOVING),
  ],
  [
    "canaryImageTag canary",
    (s) => (s[0].canaryImageTag = "canary"),
    problem("platform:services[0].canaryImageTag", "canary", MOVING),
  ],
  [
    "an imageTag that is not a tag",
    (s) => (s[0].imageTag = "1.4.2 && echo"),
    problem(
      "platform:services[0].imageTag",
      "1.4.2 && echo",
      "not an image tag (letters, digits, _ . and -, up to 128 characters, not starting with . or -)",
    ),
  ],
  [
    "an imageTag given as a number",
    (s) => (s[0].imageTag = 1.4),
    problem(
      "platform:services[0].imageTag",
      1.4,
      "Invalid input: expected string, received number",
    ),
  ],
])("platform:services with %s", (_case, mutate, message) => {
  it("is rejected with exactly one problem, naming the key", () => {
    const error = thrownBy(() => parseStackConfig("us-east-1", withServices(mutate)));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(message);
  });
});

describe("validateServices (the component's own check)", () => {
  it("names the argument, the value and the rule", () => {
    const services = regionConfig().services.map((s) =>
      s.name === "svc-c" ? { ...s, allowFrom: ["svc-z"] } : s,
    );
    expect(() => validateServices(services)).toThrow(
      'ServiceMesh: invalid services[2].allowFrom[0] = "svc-z": not a service of platform:services (allowed: istio-ingressgateway, svc-a, svc-b, svc-c)',
    );
  });
  it("accepts the project's services", () => {
    expect(validateServices(regionConfig().services)).toBeUndefined();
  });
});

describe("routeWeights", () => {
  it("stable and canary always sum to 100, canary gets its weight", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), (canary) => {
        const weights = routeWeights(canary);
        expect(weights.reduce((sum, w) => sum + w.weight, 0)).toBe(100);
        expect(weights.find((w) => w.subset === "canary")?.weight ?? 0).toBe(canary);
        expect(weights.every((w) => w.weight > 0)).toBe(true);
      }),
    );
  });
  it.each([[-1], [101], [2.5]])("rejects %d", (w) => {
    expect(() => routeWeights(w)).toThrow(
      `canaryWeight ${w}: the canary's share of 100, allowed 0-100`,
    );
  });
  it.each<[string, unknown]>([
    ["/a", [{ exact: "/a" }, { prefix: "/a/" }]],
    ["/", [{ prefix: "/" }]],
  ])("matches %s", (route, expected) => {
    expect(routeMatches(route)).toEqual(expected);
  });
});

const ARNS: FabricArns = {
  tableArn: "arn:aws:dynamodb:us-east-1:123456789012:table/t",
  bucketArn: "arn:aws:s3:::b",
  busArn: "arn:aws:events:us-east-1:123456789012:event-bus/bus",
  kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/mrk-1",
  workQueueArn: "arn:aws:sqs:us-east-1:123456789012:q",
};
/** The key statement: only through the services the role is granted, in the key's region. */
const key = (...services: string[]) => ({
  Sid: "Key",
  Effect: "Allow",
  Action: ["kms:Decrypt", "kms:GenerateDataKey"],
  Resource: [ARNS.kmsKeyArn],
  Condition: {
    StringEquals: { "kms:ViaService": services.map((svc) => `${svc}.us-east-1.amazonaws.com`) },
  },
});
type Access = ServiceConfig["access"];
const access = (a: Partial<Access>): Access => ({
  table: "none",
  bucket: "none",
  publishEvents: false,
  sendToQueue: false,
  consumeQueue: false,
  ...a,
});

describe.each<[string, Access, unknown[] | undefined]>([
  ["nothing", access({}), undefined],
  [
    "table read",
    access({ table: "read" }),
    [
      {
        Sid: "Table",
        Effect: "Allow",
        Action: ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"],
        Resource: [ARNS.tableArn, `${ARNS.tableArn}/index/*`],
      },
      key("dynamodb"),
    ],
  ],
  [
    "table readwrite",
    access({ table: "readwrite" }),
    [
      {
        Sid: "Table",
        Effect: "Allow",
        Action: [
          "dynamodb:BatchGetItem",
          "dynamodb:GetItem",
          "dynamodb:Query",
          "dynamodb:BatchWriteItem",
          "dynamodb:DeleteItem",
          "dynamodb:PutItem",
          "dynamodb:UpdateItem",
        ],
        Resource: [ARNS.tableArn, `${ARNS.tableArn}/index/*`],
      },
      key("dynamodb"),
    ],
  ],
  [
    "bucket read",
    access({ bucket: "read" }),
    [
      { Sid: "Bucket", Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::b/*"] },
      key("s3"),
    ],
  ],
  [
    "bucket readwrite",
    access({ bucket: "readwrite" }),
    [
      {
        Sid: "Bucket",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:DeleteObject", "s3:PutObject"],
        Resource: ["arn:aws:s3:::b/*"],
      },
      key("s3"),
    ],
  ],
  [
    "events",
    access({ publishEvents: true }),
    [
      { Sid: "Events", Effect: "Allow", Action: ["events:PutEvents"], Resource: [ARNS.busArn] },
      key("events"),
    ],
  ],
  [
    "queue",
    access({ sendToQueue: true }),
    [
      { Sid: "Queue", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [ARNS.workQueueArn] },
      key("sqs"),
    ],
  ],
  [
    "table, bucket and queue",
    access({ table: "read", bucket: "read", sendToQueue: true }),
    [
      {
        Sid: "Table",
        Effect: "Allow",
        Action: ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"],
        Resource: [ARNS.tableArn, `${ARNS.tableArn}/index/*`],
      },
      { Sid: "Bucket", Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::b/*"] },
      { Sid: "Queue", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [ARNS.workQueueArn] },
      key("dynamodb", "s3", "sqs"),
    ],
  ],
])("accessPolicy for %s", (_case, declared, statements) => {
  it("grants exactly what is declared", () => {
    const doc = accessPolicy(declared, ARNS);
    expect(doc).toEqual(statements && { Version: "2012-10-17", Statement: statements });
    expect(needsKey(declared)).toBe(statements !== undefined);
  });
});

describe("trustPolicy", () => {
  it("admits only the service's ServiceAccount, with an STS audience", () => {
    const arn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC";
    expect(
      trustPolicy(arn, "https://oidc.eks.us-east-1.amazonaws.com/id/ABC", "svc-a", "svc-a"),
    ).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: arn },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: {
              "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
              "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:svc-a:svc-a",
            },
          },
        },
      ],
    });
    expect(issuerHostPath("oidc.eks.us-east-1.amazonaws.com/id/ABC/")).toBe(
      "oidc.eks.us-east-1.amazonaws.com/id/ABC",
    );
  });
});

describe("parseTracingEndpoint", () => {
  it.each<[string, { service: string; port: number }]>([
    [
      "http://adot-collector.observability.svc.cluster.local:4317",
      { service: "adot-collector.observability.svc.cluster.local", port: 4317 },
    ],
    ["otel.observability:4318", { service: "otel.observability", port: 4318 }],
    ["https://collector.example.com", { service: "collector.example.com", port: 4317 }],
  ])("reads %s", (endpoint, expected) => {
    expect(parseTracingEndpoint(endpoint)).toEqual(expected);
  });
  it.each([["collector:99999"], ["http://"], ["a b:1"]])("rejects %s", (endpoint) => {
    expect(() => parseTracingEndpoint(endpoint)).toThrow(
      `tracingEndpoint "${endpoint}" is not an OTLP/gRPC address (allowed: host:port or http(s)://host[:port])`,
    );
  });
});

describe("repositoryUrlOf", () => {
  it("names the service, the region and the repositories there", () => {
    expect(() => repositoryUrlOf({ "svc-a": "x", "svc-b": "y" }, "svc-c", "eu-central-1")).toThrow(
      "service svc-c has no ECR repository in eu-central-1 (the global stack's fabric has: svc-a, svc-b); run `pulumi up` on the global stack first",
    );
  });
});

describe.each<[string, string, (services: ServiceConfig[]) => ServiceConfig[], string]>([
  [
    "not a path",
    "healthz",
    (s) => s,
    'ServiceMesh: invalid healthCheckPath = "healthz": not a path (starts with /; letters, digits and . _ ~ / -)',
  ],
  [
    "a path under a service's prefix",
    "/b/health",
    (s) => s,
    "ServiceMesh: invalid healthCheckPath = \"/b/health\": svc-b's route /b covers it; choose a health path outside the services' routes",
  ],
  [
    "a service's exact route",
    "/a",
    (s) => s,
    "ServiceMesh: invalid healthCheckPath = \"/a\": svc-a's route /a covers it; choose a health path outside the services' routes",
  ],
  [
    "a catch-all route",
    "/healthz",
    (s) => s.map((x) => (x.name === "svc-b" ? { ...x, routes: ["/"] } : x)),
    "ServiceMesh: invalid healthCheckPath = \"/healthz\": svc-b's route / covers it; choose a health path outside the services' routes",
  ],
  [
    "no service with routes",
    "/healthz",
    (s) => s.map((x) => ({ ...x, routes: [] })),
    'ServiceMesh: invalid healthCheckPath = "/healthz": no service has routes, so none can answer the region\'s health check (the first service with routes does)',
  ],
])("validateHealthCheckPath with %s", (_case, path, edit, message) => {
  it("is rejected, naming the argument, the value and the rule", () => {
    expect(() => validateHealthCheckPath(path, edit(regionConfig().services))).toThrow(message);
  });
});

describe("the region's health check", () => {
  it("accepts the project's path beside routes that share its first letters", () => {
    const services = regionConfig().services;
    expect(validateHealthCheckPath("/healthz", services)).toBeUndefined();
    expect(validateHealthCheckPath("/ab", services)).toBeUndefined();
  });
  it("is answered by the first service with routes", () => {
    const services = regionConfig().services;
    expect(healthCheckService(services)?.name).toBe("svc-a");
    const [a, b, c] = services;
    expect(healthCheckService([c, b, a])?.name).toBe("svc-b");
    expect(healthCheckService([c])).toBeUndefined();
  });
});

describe("the event conventions every pod is told", () => {
  it("name the source prefix the regional rules match", () => {
    expect(EVENT_SOURCE_PREFIX).toBe(DOMAIN_EVENT_PATTERN.source[0].prefix);
  });
  it.each<AwsRegion>(["us-east-1", "eu-central-1"])(
    "in %s: an event stamped from them is routed locally and forwarded by its bus's rules",
    (region) => {
      for (const service of regionConfig().services) {
        const env = Object.fromEntries(
          platformEnv(service, regionConfig().services, {
            region,
            busName: "platform-bus",
            tableName: "platform-global",
            bucketName: "platform-bucket",
            kmsKeyArn: "arn:aws:kms:key",
            workQueueUrl: "https://sqs/work",
            otlpEndpoint: "http://collector:4318",
          }).map((e) => [e.name, e.value]),
        );
        expect(env).toMatchObject({
          EVENT_BUS_NAME: "platform-bus",
          EVENT_SOURCE: `platform.${service.name}`,
          PLATFORM_REGION: region,
          AWS_REGION: region,
          PORT: String(service.port),
        });
        // The regional rules' source prefix, and the forwarding rules' originRegion.
        expect(String(env.EVENT_SOURCE).startsWith(DOMAIN_EVENT_PATTERN.source[0].prefix)).toBe(
          true,
        );
        expect(forwardingPattern(region)).toEqual({
          detail: { originRegion: [env.PLATFORM_REGION] },
        });
      }
    },
  );
});

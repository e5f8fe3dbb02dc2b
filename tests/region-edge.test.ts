/**
 * A region's edge protection, evacuation and canaries under the mock monitor, and the canary
 * script itself against a local HTTP server.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as vm from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { strFromU8, unzipSync } from "fflate";
import {
  CANARY_HANDLER,
  CANARY_RUNTIME,
  CANARY_SOURCE,
  CANARY_ZIP_PATH,
  canaryCodeZip,
  canaryRolePolicy,
} from "../components/region/canaries";
import { MANAGED_RULE_GROUPS, webAclRules } from "../components/region/waf";
import { ConfigError } from "../lib/config/errors";
import { parseRegionConfig } from "../lib/config/parse";
import { ADVISORY_BY_DEFAULT } from "../policy/config";
import { evaluateResources } from "../policy/offline";
import { KEY_ARN, evaluatePlatform, globalView, ofType, one, regionConfig } from "./region-helpers";

describe("the ALB's web ACL", () => {
  it("is off by default", async () => {
    const ev = await evaluatePlatform(regionConfig());
    expect(ofType(ev.records, "aws:wafv2/webAcl:WebAcl")).toEqual([]);
  });

  it("blocks per-IP floods and the managed rule groups, logs on the region key, guards the ALB", async () => {
    const ev = await evaluatePlatform(
      regionConfig((raw) => (raw.waf = { enabled: true, rateLimit: 500, rateWindowSeconds: 60 })),
    );
    const acl = one(ev.records, "aws:wafv2/webAcl:WebAcl");
    expect(acl.inputs.scope).toBe("REGIONAL");
    const rules = acl.inputs.rules as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(rules[0].statement.rateBasedStatement).toEqual({
      aggregateKeyType: "IP",
      limit: 500,
      evaluationWindowSec: 60,
    });
    expect(rules.slice(1).map((r) => r.statement.managedRuleGroupStatement.name)).toEqual([
      ...MANAGED_RULE_GROUPS,
    ]);
    const alb = one(ev.records, "aws:lb/loadBalancer:LoadBalancer");
    expect(one(ev.records, "aws:wafv2/webAclAssociation:WebAclAssociation").inputs).toEqual({
      resourceArn: alb.outputs.arn,
      webAclArn: acl.outputs.arn,
    });
    const group = ofType(ev.records, "aws:cloudwatch/logGroup:LogGroup").find((g) =>
      String(g.inputs.name).startsWith("aws-waf-logs-"),
    )!;
    expect(group.inputs.kmsKeyId).toBe(KEY_ARN);
    expect(
      one(ev.records, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration").inputs
        .logDestinationConfigs,
    ).toEqual([group.outputs.arn]);
    expect(
      evaluateResources(ev.records).violations.filter((v) => v.policy.startsWith("wafv2")),
    ).toEqual([]);
  });

  it("only counts the managed groups' matches while rules are tuned", () => {
    const rules = webAclRules("x", {
      rateLimit: 2000,
      rateWindowSeconds: 300,
      managedRulesAction: "count",
    });
    expect(rules.slice(1).map((r) => r.overrideAction)).toEqual([
      { count: {} },
      { count: {} },
      { count: {} },
    ]);
    expect(rules[0].action).toEqual({ block: {} });
  });

  it("refuses a log retention CloudWatch Logs would reject, naming the key and the allowed values", () => {
    const rejected = () =>
      parseRegionConfig("eu-central-1", {
        ...regionConfig(),
        waf: { enabled: true, logRetentionDays: 45 },
      });
    expect(rejected).toThrow(ConfigError);
    expect(rejected).toThrow(/platform:waf\.logRetentionDays.*allowed: 1, 3, 5, 7, 14, 30, 60, 90/);
    expect(
      regionConfig((raw) => (raw.waf = { enabled: true, logRetentionDays: 400 })).waf
        .logRetentionDays,
    ).toBe(400);
  });
});

describe("evacuation", () => {
  const latency = (records: Parameters<typeof ofType>[0]) =>
    ofType(records, "aws:route53/record:Record").filter((r) => r.inputs.setIdentifier);

  it("serves the global name by default", async () => {
    const ev = await evaluatePlatform(regionConfig());
    expect(latency(ev.records)).toHaveLength(1);
  });

  it("drops the latency record and keeps the regional name and the health check", async () => {
    const ev = await evaluatePlatform(
      regionConfig((raw) => ((raw.dns as Record<string, unknown>).evacuate = true)),
    );
    expect(latency(ev.records)).toEqual([]);
    const names = ofType(ev.records, "aws:route53/record:Record").map((r) => r.inputs.name);
    expect(names).toContain("eu-central-1.api.platform.example.com");
    expect(names).not.toContain("api.platform.example.com");
    expect(ofType(ev.records, "aws:route53/healthCheck:HealthCheck")).toHaveLength(1);
  });

  it("dials the accelerator's endpoint group to 0 while evacuated, 100 otherwise", async () => {
    const listener = "arn:aws:globalaccelerator::123456789012:accelerator/a/listener/l";
    const dial = async (evacuate: boolean) => {
      const ev = await evaluatePlatform(
        regionConfig((raw) => {
          (raw.dns as Record<string, unknown>).evacuate = evacuate;
          raw.ingress = { globalAccelerator: true };
        }),
        { global: globalView(listener) },
      );
      return one(ev.records, "aws:globalaccelerator/endpointGroup:EndpointGroup").inputs
        .trafficDialPercentage;
    };
    expect(await dial(true)).toBe(0);
    expect(await dial(false)).toBe(100);
  });
});

describe("canaries", () => {
  it("call the regional and the global names every minute, on a supported runtime", async () => {
    const ev = await evaluatePlatform(regionConfig((raw) => (raw.drills = { canaries: true })));
    const canaries = ofType(ev.records, "aws:synthetics/canary:Canary");
    expect(canaries.map((c) => (c.inputs.runConfig as any).environmentVariables.TARGET_URL)) // eslint-disable-line @typescript-eslint/no-explicit-any
      .toEqual([
        "https://eu-central-1.api.platform.example.com/healthz",
        "https://api.platform.example.com/healthz",
      ]);
    for (const c of canaries) {
      expect(c.inputs).toMatchObject({
        runtimeVersion: CANARY_RUNTIME,
        handler: CANARY_HANDLER,
        schedule: { expression: "rate(1 minute)" },
        artifactConfig: { s3Encryption: { encryptionMode: "SSE_KMS", kmsKeyArn: KEY_ARN } },
        startCanary: true,
      });
    }
    const alarms = ofType(ev.records, "aws:cloudwatch/metricAlarm:MetricAlarm").filter(
      (a) => a.inputs.namespace === "CloudWatchSynthetics",
    );
    expect(alarms.map((a) => (a.inputs.dimensions as Record<string, string>).CanaryName)).toEqual(
      canaries.map((c) => c.outputs.name),
    );
    const bucket = ofType(ev.records, "aws:s3/bucket:Bucket").find((b) =>
      b.name.includes("canaries-artifacts"),
    )!;
    expect(bucket.protect).toBe(true);
    const sse = ofType(
      ev.records,
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    ).find((b) => b.name.includes("canaries-artifacts"))!;
    expect(sse.inputs.rules).toEqual([
      {
        applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY_ARN },
        bucketKeyEnabled: true,
      },
    ]);
    // The operational flags (a queue nothing reads yet) are checked in policy-queues.test.ts.
    expect(
      evaluateResources(ev.records).violations.filter(
        (v) => !ADVISORY_BY_DEFAULT.includes(v.policy),
      ),
    ).toEqual([]);
  });

  it("uploads the script as zip bytes where the runtime loads it, never as an archive asset", async () => {
    const ev = await evaluatePlatform(regionConfig((raw) => (raw.drills = { canaries: true })));
    const code = one(ev.records, "aws:s3/bucketObjectv2:BucketObjectv2");
    // The provider takes only a file asset in `source`; an archive there fails a real `up`.
    expect(code.inputs.source).toBeUndefined();
    const zip = new Uint8Array(Buffer.from(String(code.inputs.contentBase64), "base64"));
    const entries = unzipSync(zip);
    expect(Object.keys(entries)).toEqual([CANARY_ZIP_PATH]);
    expect(CANARY_ZIP_PATH).toBe(
      `nodejs/node_modules/${CANARY_HANDLER.replace(/\.handler$/, "")}.js`,
    );
    expect(strFromU8(entries[CANARY_ZIP_PATH])).toBe(CANARY_SOURCE);
    // Same script, same bytes: no update on every run.
    expect(Buffer.from(canaryCodeZip()).equals(Buffer.from(zip))).toBe(true);
    for (const c of ofType(ev.records, "aws:synthetics/canary:Canary")) {
      expect(c.inputs.s3Key).toBe(code.inputs.key);
    }
  });

  it("scopes the execution role to the bucket, the key through S3 and the canaries' logs", () => {
    const policy = canaryRolePolicy({
      partition: "aws",
      region: "eu-central-1",
      accountId: "123456789012",
      bucketArn: "arn:aws:s3:::artifacts",
      kmsKeyArn: KEY_ARN,
    });
    const star = policy.Statement.filter((s) => s.Resource === "*").flatMap((s) => s.Action);
    expect(star.sort()).toEqual(["cloudwatch:PutMetricData", "s3:ListAllMyBuckets"]);
    expect(policy.Statement.find((s) => s.Sid === "WriteArtifacts")).toMatchObject({
      // The documented canary role reads and writes its results folder.
      Action: ["s3:GetObject", "s3:PutObject"],
      Resource: "arn:aws:s3:::artifacts/canary/*",
    });
  });
});

describe("the canary script", () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const status = Number(req.url?.slice(1)) || 200;
      res.writeHead(status).end("ok");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Loads the script as the Synthetics runtime would: a CommonJS module with its handler. */
  function handler(env: Record<string, string>) {
    const module = { exports: {} as { handler?: () => Promise<string> } };
    vm.runInNewContext(CANARY_SOURCE, {
      module,
      exports: module.exports,
      require,
      URL,
      process: { env },
    });
    return module.exports.handler!;
  }

  it("passes on a 2xx answer", async () => {
    await expect(handler({ TARGET_URL: `${base}/204` })()).resolves.toBe(
      `${base}/204 answered 204`,
    );
  });

  it("fails on a 5xx answer, a refused connection and a missing target", async () => {
    await expect(handler({ TARGET_URL: `${base}/503` })()).rejects.toThrow(
      `${base}/503 answered 503`,
    );
    await expect(handler({ TARGET_URL: "http://127.0.0.1:1/" })()).rejects.toThrow(/ECONNREFUSED/);
    await expect(handler({})()).rejects.toThrow("TARGET_URL is not set");
  });
});

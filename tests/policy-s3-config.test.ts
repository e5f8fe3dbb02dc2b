import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY_CONFIG, parsePolicyConfig } from "../policy/config";
import { evaluateResources, type OfflineResource } from "../policy/offline";
import { s3BucketCmk } from "../policy/s3";
import { violationMessage } from "../policy/types";

const KEY = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const BUCKET = "aws:s3/bucket:Bucket";
const SSE =
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration";

function r(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  extra: Partial<OfflineResource> = {},
): OfflineResource {
  return { urn: `urn:pulumi:dev::platform::${type}::${name}`, type, name, inputs, ...extra };
}
const kmsRules = (key: unknown = KEY) => [
  {
    applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key },
    bucketKeyEnabled: true,
  },
];
const s3Line = (name: string, detail: string, type = BUCKET) =>
  `s3-bucket-cmk ${`urn:pulumi:dev::platform::${type}::${name}`}: ${violationMessage(s3BucketCmk, detail)}`;

function lines(resources: OfflineResource[], config = DEFAULT_POLICY_CONFIG): string[] {
  return evaluateResources(resources, config).violations.map(
    (v) => `${v.policy} ${v.urn}: ${v.message}`,
  );
}

describe("s3-bucket-cmk (stack policy)", () => {
  it.each([
    ["the bucket's physical name", (b: OfflineResource) => ({ bucket: b.inputs.bucket })],
    ["the bucket's URN", (b: OfflineResource) => ({ bucket: b.urn })],
    ["its outputs' id", () => ({ bucket: "data-7f3a" })],
  ])("passes a bucket whose sibling configuration names it by %s", (_how, ref) => {
    const bucket = r(BUCKET, "data", { bucket: "data-1234567" }, { outputs: { id: "data-7f3a" } });
    expect(lines([bucket, r(SSE, "data-sse", { ...ref(bucket), rules: kmsRules() })])).toEqual([]);
  });

  it("passes through the engine's property dependency when the bucket input is unknown", () => {
    const bucket = r(BUCKET, "data", {});
    const config = r(
      SSE,
      "encryption",
      { bucket: UNKNOWN, rules: kmsRules(UNKNOWN) },
      { propertyDependencies: { bucket: [bucket.urn] } },
    );
    expect(lines([bucket, config])).toEqual([]);
  });

  it("passes the legacy inline form", () => {
    const inline = {
      rule: {
        applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY },
      },
    };
    expect(lines([r(BUCKET, "data", { serverSideEncryptionConfiguration: inline })])).toEqual([]);
  });

  it("fails a bucket with no encryption configuration anywhere in the stack", () => {
    const other = r(BUCKET, "other", { bucket: "other-1" });
    expect(
      lines([
        r(BUCKET, "data", { bucket: "data-1" }),
        other,
        r(SSE, "other-sse", { bucket: "other-1", rules: kmsRules() }),
      ]),
    ).toEqual([
      s3Line(
        "data",
        "no SSE-KMS configuration for the bucket in the stack (no BucketServerSideEncryptionConfiguration names it, no inline serverSideEncryptionConfiguration)",
      ),
    ]);
  });

  it("fails a sibling configuration with SSE-S3", () => {
    const rules = [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }];
    expect(
      lines([
        r(BUCKET, "data", { bucket: "data-1" }),
        r(SSE, "data-sse", { bucket: "data-1", rules }),
      ]),
    ).toEqual([
      s3Line("data", 'encryption configuration data-sse uses sseAlgorithm "AES256" (SSE-S3)'),
    ]);
  });

  it("fails a sibling configuration with the AWS-managed key", () => {
    const rules = [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }];
    expect(
      lines([
        r(BUCKET, "data", { bucket: "data-1" }),
        r(SSE, "data-sse", { bucket: "data-1", rules }),
      ]),
    ).toEqual([
      s3Line(
        "data",
        "encryption configuration data-sse: kmsMasterKeyId is not set (the AWS-managed aws/s3 key is used)",
      ),
    ]);
  });

  it("fails an inline SSE-S3 configuration", () => {
    const inline = { rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } } };
    expect(lines([r(BUCKET, "data", { serverSideEncryptionConfiguration: inline })])).toEqual([
      s3Line("data", 'serverSideEncryptionConfiguration uses sseAlgorithm "AES256" (SSE-S3)'),
    ]);
  });

  it("judges a configuration whose bucket is not in the stack by itself", () => {
    const rules = [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }];
    expect(lines([r(SSE, "elsewhere-sse", { bucket: "elsewhere", rules })])).toEqual([
      s3Line(
        "elsewhere-sse",
        'the encryption configuration uses sseAlgorithm "AES256" (SSE-S3)',
        SSE,
      ),
    ]);
  });
});

describe("exemptions and enforcement", () => {
  const albBucket = r(BUCKET, "use1-alb-logs", { bucket: "use1-alb-logs-1" });
  const albSse = r(SSE, "use1-alb-logs-sse", {
    bucket: "use1-alb-logs-1",
    rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
  });

  it("exempts the ALB access-log bucket by default, with its reason listed", () => {
    const report = evaluateResources([albBucket, albSse]);
    expect(report.violations).toEqual([]);
    expect(report.exemptions).toEqual([
      {
        policy: "s3-bucket-cmk",
        urn: albBucket.urn,
        reason:
          "ALB access-log delivery supports only SSE-S3 (AES256) on the destination bucket, not SSE-KMS",
      },
    ]);
  });

  it("scopes the ALB exemption to its policy: a public policy on the log bucket still fails", () => {
    const policy = JSON.stringify({
      Statement: [
        {
          Effect: "Allow",
          Principal: "*",
          Action: "s3:GetObject",
          Resource: "arn:aws:s3:::use1-alb-logs-1/*",
        },
      ],
    });
    const bucketPolicy = r("aws:s3/bucketPolicy:BucketPolicy", "use1-alb-logs-policy", {
      bucket: "use1-alb-logs-1",
      policy,
    });
    expect(
      evaluateResources([albBucket, albSse, bucketPolicy]).violations.map((v) => [v.policy, v.urn]),
    ).toEqual([["iam-no-wildcard-principal", bucketPolicy.urn]]);
  });

  it("exempts by URN pattern, with the reason given", () => {
    const queue = r("aws:sqs/queue:Queue", "legacy", {});
    const config = parsePolicyConfig({
      exemptions: [{ policy: "sqs-queue-cmk", urn: "*::legacy", reason: "migrating in PLAT-12" }],
    });
    expect(evaluateResources([queue], config)).toEqual({
      violations: [],
      exemptions: [{ policy: "sqs-queue-cmk", urn: queue.urn, reason: "migrating in PLAT-12" }],
      unreadable: [],
    });
  });

  it.each([
    [
      { exemptions: [{ policy: "sqs-queue-cmk", name: "legacy" }] },
      "exemptions.0.reason: an exemption needs a reason (got nothing)",
    ],
    [
      { exemptions: [{ policy: "sqs-queue-cmk", name: "legacy", reason: "  " }] },
      'exemptions.0.reason: an exemption needs a reason (got "  ")',
    ],
    [
      { exemptions: [{ policy: "sqs-queue-cmk", reason: "r" }] },
      'exemptions.0: an exemption names the resources it covers: urn or name (a pattern, * matches anything) (got {"policy":"sqs-queue-cmk","reason":"r"})',
    ],
    [
      { enforcement: { all: "strict" } },
      'enforcement.all: Invalid option: expected one of "advisory"|"mandatory"|"remediate"|"disabled" (got "strict")',
    ],
  ])("rejects %j", (raw, message) => {
    expect(() => parsePolicyConfig(raw)).toThrow(`invalid policy config:\n  ${message}`);
  });

  it("rejects an unknown policy name", () => {
    expect(() =>
      parsePolicyConfig({ exemptions: [{ policy: "no-such", name: "x", reason: "r" }] }),
    ).toThrow(
      /^invalid policy config:\n {2}exemptions\.0\.policy: must be one of the pack's policies: dynamodb-table-cmk, /,
    );
  });

  it("applies all and per-policy levels, per policy winning", () => {
    const queue = r("aws:sqs/queue:Queue", "q", {});
    const topic = r("aws:sns/topic:Topic", "t", {});
    const key = r("aws:kms/key:Key", "k", {});
    const config = parsePolicyConfig({
      enforcement: {
        all: "advisory",
        "sqs-queue-cmk": "mandatory",
        "kms-key-rotation": "disabled",
      },
    });
    expect(
      evaluateResources([queue, topic, key], config).violations.map((v) => [
        v.policy,
        v.enforcementLevel,
      ]),
    ).toEqual([
      ["sqs-queue-cmk", "mandatory"],
      ["sns-topic-cmk", "advisory"],
    ]);
  });

  it("is mandatory by default", () => {
    expect(
      evaluateResources([r("aws:kms/key:Key", "k", {})]).violations.map((v) => v.enforcementLevel),
    ).toEqual(["mandatory"]);
  });
});

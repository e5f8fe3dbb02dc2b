/**
 * The audit policies over hand-made resources (violating and passing cases), run the way the
 * engine runs them (`evaluateResources`), and over the committed plan (clean).
 */
import { describe, expect, it } from "vitest";
import {
  cloudTrailTrailCmk,
  fisExperimentTemplateGuarded,
  syntheticsCanaryArtifactsCmk,
  wafv2WebAclLoggingCmk,
} from "../policy/audit";
import { parsePolicyConfig } from "../policy/config";
import { evaluateResources, type OfflineResource } from "../policy/offline";
import { POLICY_NAMES } from "../policy/policies";

const KEY = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";

function resource(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  outputs: Record<string, unknown> = {},
): OfflineResource {
  return { urn: `urn:pulumi:dev::platform::${type}::${name}`, type, name, inputs, outputs };
}

const findings = (resources: OfflineResource[], policy: string) =>
  evaluateResources(resources)
    .violations.filter((v) => v.policy === policy)
    .map((v) => `${v.urn.split("::").pop()}: ${v.message}`);

describe("cloudtrail-trail-cmk", () => {
  const trail = (inputs: Record<string, unknown>) => [
    resource("aws:cloudtrail/trail:Trail", "trail", inputs),
  ];
  it("passes a multi-region, validated trail on a CMK", () => {
    expect(
      findings(
        trail({ kmsKeyId: KEY, enableLogFileValidation: true, isMultiRegionTrail: true }),
        cloudTrailTrailCmk.name,
      ),
    ).toEqual([]);
  });
  it("names every missing guard", () => {
    expect(findings(trail({ s3BucketName: "b" }), cloudTrailTrailCmk.name)).toEqual([
      `trail: kmsKeyId is not set (SSE-S3 is used); enableLogFileValidation is not true; isMultiRegionTrail is not true. ${cloudTrailTrailCmk.message}`,
    ]);
  });
  it("rejects the AWS-managed key", () => {
    expect(
      findings(
        trail({
          kmsKeyId: "alias/aws/cloudtrail",
          enableLogFileValidation: true,
          isMultiRegionTrail: true,
        }),
        cloudTrailTrailCmk.name,
      )[0],
    ).toContain('kmsKeyId is the AWS-managed key "alias/aws/cloudtrail"');
  });
});

describe("synthetics-canary-artifacts-cmk", () => {
  const canary = (artifactConfig?: unknown) => [
    resource("aws:synthetics/canary:Canary", "canary", artifactConfig ? { artifactConfig } : {}),
  ];
  it("passes SSE-KMS under a CMK", () => {
    expect(
      findings(
        canary({ s3Encryption: { encryptionMode: "SSE_KMS", kmsKeyArn: KEY } }),
        syntheticsCanaryArtifactsCmk.name,
      ),
    ).toEqual([]);
  });
  it("flags the SSE-S3 default and SSE-KMS without a key", () => {
    expect(findings(canary(), syntheticsCanaryArtifactsCmk.name)[0]).toContain(
      'artifactConfig.s3Encryption.encryptionMode is "SSE_S3"',
    );
    expect(
      findings(
        canary({ s3Encryption: { encryptionMode: "SSE_KMS" } }),
        syntheticsCanaryArtifactsCmk.name,
      )[0],
    ).toContain("artifactConfig.s3Encryption.kmsKeyArn is not set");
  });
});

describe("wafv2-web-acl-logging-cmk", () => {
  const ACL_ARN = "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/edge/abc";
  const GROUP_ARN = "arn:aws:logs:us-east-1:111122223333:log-group:aws-waf-logs-edge";
  const acl = resource("aws:wafv2/webAcl:WebAcl", "edge", { scope: "REGIONAL" }, { arn: ACL_ARN });
  const group = (kmsKeyId?: string) =>
    resource(
      "aws:cloudwatch/logGroup:LogGroup",
      "edge-logs",
      { name: "aws-waf-logs-edge", ...(kmsKeyId ? { kmsKeyId } : {}) },
      { arn: GROUP_ARN },
    );
  const logging = (destination = GROUP_ARN) =>
    resource("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "edge", {
      resourceArn: ACL_ARN,
      logDestinationConfigs: [destination],
    });

  it("passes a web ACL logging to a CMK-encrypted group of the stack", () => {
    expect(findings([acl, group(KEY), logging()], wafv2WebAclLoggingCmk.name)).toEqual([]);
  });
  it("flags a web ACL without logging", () => {
    expect(findings([acl], wafv2WebAclLoggingCmk.name)).toEqual([
      `edge: no WebAclLoggingConfiguration of the stack names this web ACL. ${wafv2WebAclLoggingCmk.message}`,
    ]);
  });
  it("flags logging to an unencrypted group, or to a destination outside the stack", () => {
    expect(findings([acl, group(), logging()], wafv2WebAclLoggingCmk.name)[0]).toContain(
      "logDestinationConfigs[0] (edge-logs): kmsKeyId is not set",
    );
    expect(
      findings(
        [acl, group(KEY), logging("arn:aws:firehose:us-east-1:111122223333:deliverystream/x")],
        wafv2WebAclLoggingCmk.name,
      )[0],
    ).toContain("logDestinationConfigs[0] is not a CloudWatch log group of the stack");
  });
});

describe("fis-experiment-template-guarded", () => {
  const ROLE_ARN = "arn:aws:iam::111122223333:role/drills-fis";
  const trust = (condition?: unknown, service: unknown = "fis.amazonaws.com") =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: service },
          Action: "sts:AssumeRole",
          ...(condition ? { Condition: condition } : {}),
        },
      ],
    });
  const narrowed = { StringEquals: { "aws:SourceAccount": "111122223333" } };
  const role = (assumeRolePolicy: string, extra: Record<string, unknown> = {}) =>
    resource(
      "aws:iam/role:Role",
      "drills-fis",
      { assumeRolePolicy, ...extra },
      { arn: ROLE_ARN, name: "drills-fis" },
    );
  const template = (stopConditions: unknown[], roleArn = ROLE_ARN) =>
    resource("aws:fis/experimentTemplate:ExperimentTemplate", "pod-delete", {
      roleArn,
      stopConditions,
      actions: [],
    });
  const alarm = { source: "aws:cloudwatch:alarm", value: "arn:aws:cloudwatch:x:1:alarm:a" };

  it("passes a template with an alarm stop and a FIS-only role", () => {
    expect(
      findings([role(trust(narrowed)), template([alarm])], fisExperimentTemplateGuarded.name),
    ).toEqual([]);
  });
  it("flags a template that cannot stop", () => {
    expect(
      findings(
        [role(trust(narrowed)), template([{ source: "none" }])],
        fisExperimentTemplateGuarded.name,
      )[0],
    ).toContain("no stop condition is a CloudWatch alarm");
  });
  it("flags a role others may assume, or without a confused-deputy condition", () => {
    expect(
      findings(
        [role(trust(narrowed, ["fis.amazonaws.com", "ec2.amazonaws.com"])), template([alarm])],
        fisExperimentTemplateGuarded.name,
      )[0],
    ).toContain("may be assumed by more than fis.amazonaws.com");
    expect(
      findings([role(trust()), template([alarm])], fisExperimentTemplateGuarded.name)[0],
    ).toContain("no aws:SourceAccount or aws:SourceArn condition");
  });
  it("flags a managed policy on the role and a role outside the stack", () => {
    const attachment = resource(
      "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
      "fis-managed",
      {
        role: "drills-fis",
        policyArn: "arn:aws:iam::aws:policy/service-role/AWSFaultInjectionSimulatorNetworkAccess",
      },
    );
    expect(
      findings(
        [role(trust(narrowed)), attachment, template([alarm])],
        fisExperimentTemplateGuarded.name,
      )[0],
    ).toContain("role drills-fis: has a managed policy attached");
    expect(
      findings(
        [template([alarm], "arn:aws:iam::111122223333:role/elsewhere")],
        fisExperimentTemplateGuarded.name,
      )[0],
    ).toContain("roleArn is not a role of the stack");
  });
});

describe("the pack", () => {
  it("registers the audit policies", () => {
    for (const name of [
      "cloudtrail-trail-cmk",
      "synthetics-canary-artifacts-cmk",
      "wafv2-web-acl-logging-cmk",
      "fis-experiment-template-guarded",
    ]) {
      expect(POLICY_NAMES).toContain(name);
    }
  });
  it("applies an exemption only with a reason", () => {
    expect(() =>
      parsePolicyConfig({ exemptions: [{ policy: "cloudtrail-trail-cmk", name: "trail" }] }),
    ).toThrow("an exemption needs a reason");
    const config = parsePolicyConfig({
      exemptions: [
        {
          policy: "cloudtrail-trail-cmk",
          name: "trail",
          reason: "an organization trail covers it",
        },
      ],
    });
    const report = evaluateResources([resource("aws:cloudtrail/trail:Trail", "trail", {})], config);
    expect(report.violations.filter((v) => v.policy === "cloudtrail-trail-cmk")).toEqual([]);
    expect(report.exemptions).toEqual([
      expect.objectContaining({
        policy: "cloudtrail-trail-cmk",
        reason: "an organization trail covers it",
      }),
    ]);
  });
});

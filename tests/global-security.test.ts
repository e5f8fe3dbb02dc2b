/**
 * The global stack's audit and edge security, from the committed stack file (everything on) and
 * with settings changed: the trail on the home key with the key's CloudTrail statements, the
 * bucket's guards, the metric-filter alarms, GuardDuty and Security Hub per region with findings
 * routed to the topic, DNSSEC and query logging in us-east-1, and the CloudFront web ACL.
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { AUDIT_EVENTS } from "../components/global/audit";
import { fsbpStandardArn } from "../components/global/threat-detection";
import { ConfigError } from "../lib/config/errors";
import { parseGlobalConfig, rawSettings } from "../lib/config/parse";
import { readProjectConfig, readStackFlatConfig } from "../lib/config/project";
import type { GlobalConfig } from "../lib/config/schema";
import { evaluateStack, type StackEvaluation } from "../plan/evaluate";
import { RecordingMonitor } from "../plan/monitor";
import type { RecordedResource } from "../plan/record";
import { evaluateResources } from "../policy/offline";
import { globalProgram } from "../programs/global";
import { one, ofType } from "./fixtures";
import { providerRegion } from "./global-helpers";

const ROOT = path.resolve(__dirname, "..");
const ACCOUNT = "123456789012";

function config(edit: (raw: Record<string, unknown>) => void = () => {}): GlobalConfig {
  const raw = rawSettings(readStackFlatConfig(ROOT, "global", readProjectConfig(ROOT)));
  edit(raw);
  return parseGlobalConfig("global", raw);
}

async function evaluate(c: GlobalConfig): Promise<StackEvaluation> {
  return evaluateStack({
    monitor: new RecordingMonitor(),
    stack: "global",
    config: { "aws:region": c.region },
    region: c.region,
    program: () => globalProgram(c),
  });
}

type Doc = { Statement: Array<Record<string, unknown>> };
const doc = (value: unknown): Doc => JSON.parse(String(value)) as Doc;
const sids = (d: Doc) => d.Statement.map((s) => s.Sid);
const byName = (records: readonly RecordedResource[], type: string, part: string) =>
  ofType(records, type).filter((r) => r.name.includes(part));

describe("the committed global stack", async () => {
  const c = config();
  const ev = await evaluate(c);
  const trailArn = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/platform-audit`;
  const homeKey = one(ev.records, "aws:kms/key:Key", "platform-key-us-east-1");

  it("turns every feature on in the stack file", () => {
    expect(c.audit).toMatchObject({ dataEvents: true, objectLock: true });
    expect(c.threatDetection).toEqual({ guardDuty: true, securityHub: true });
    expect(c.dnsSecurity).toMatchObject({ dnssec: true, queryLogging: true });
  });

  it("records a multi-region, validated trail on the home region's platform key", () => {
    const trail = one(ev.records, "aws:cloudtrail/trail:Trail");
    expect(trail.inputs).toMatchObject({
      name: "platform-audit",
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: true,
      kmsKeyId: homeKey.outputs.arn,
    });
    const group = one(ev.records, "aws:cloudwatch/logGroup:LogGroup", "platform-trail");
    expect(trail.inputs.cloudWatchLogsGroupArn).toBe(`${String(group.outputs.arn)}:*`);
    expect(group.inputs.kmsKeyId).toBe(homeKey.outputs.arn);
    // Management events always; data events of the table (every region) and the buckets.
    const selectors = trail.inputs.advancedEventSelectors as Array<{
      fieldSelectors: Array<{ field: string; equals?: string[]; startsWiths?: string[] }>;
    }>;
    expect(selectors).toHaveLength(3);
    const table = selectors[1].fieldSelectors.find((f) => f.field === "resources.ARN")!;
    expect(table.equals).toEqual(
      c.regions.map((r) => `arn:aws:dynamodb:${r}:${ACCOUNT}:table/platform-global`),
    );
    const buckets = selectors[2].fieldSelectors.find((f) => f.field === "resources.ARN")!;
    expect(buckets.startsWiths).toHaveLength(c.regions.length);
    expect(providerRegion(ev.records, trail)).toBe("us-east-1");
  });

  it("lets CloudTrail use the home key for this trail only, and no other region's key", () => {
    const statements = doc(homeKey.inputs.policy).Statement;
    const encrypt = statements.find((s) => s.Sid === "AllowCloudTrailToEncryptLogs")!;
    expect(encrypt).toMatchObject({
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "kms:GenerateDataKey*",
      Condition: {
        StringEquals: { "aws:SourceArn": trailArn },
        StringLike: {
          "kms:EncryptionContext:aws:cloudtrail:arn": `arn:aws:cloudtrail:*:${ACCOUNT}:trail/*`,
        },
      },
    });
    expect(sids(doc(homeKey.inputs.policy))).toContain("AllowCloudTrailToDescribeKey");
    const replica = one(ev.records, "aws:kms/replicaKey:ReplicaKey");
    expect(sids(doc(replica.inputs.policy))).not.toContain("AllowCloudTrailToEncryptLogs");
  });

  it("lets CloudTrail assume the logs role without the conditions that role does not support", () => {
    // AWS: the CloudWatch Logs delivery role "doesn't support the use of aws:SourceArn and
    // aws:SourceAccount" (cloudtrail-required-policy-for-cloudwatch-logs.html); with them,
    // CreateTrail cannot assume it.
    const role = one(ev.records, "aws:iam/role:Role", "platform-trail-logs");
    expect(doc(role.inputs.assumeRolePolicy).Statement).toEqual([
      {
        Sid: "AssumedByCloudTrail",
        Effect: "Allow",
        Principal: { Service: "cloudtrail.amazonaws.com" },
        Action: "sts:AssumeRole",
      },
    ]);
    const policy = one(ev.records, "aws:iam/rolePolicy:RolePolicy", "platform-trail-logs");
    const group = one(ev.records, "aws:cloudwatch/logGroup:LogGroup", "platform-trail");
    expect(doc(policy.inputs.policy).Statement).toEqual([
      expect.objectContaining({
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${String(group.outputs.arn)}:log-stream:*`,
      }),
    ]);
  });

  it("keeps the trail bucket versioned, private, TLS-only, locked, archived then expired", () => {
    const bucket = one(ev.records, "aws:s3/bucket:Bucket", "platform-trail");
    expect(bucket.protect).toBe(true);
    expect(bucket.inputs.objectLockEnabled).toBe(true);
    expect(
      one(ev.records, "aws:s3/bucketVersioning:BucketVersioning", "platform-trail").inputs,
    ).toMatchObject({ versioningConfiguration: { status: "Enabled" } });
    expect(
      one(
        ev.records,
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "platform-trail",
      ).inputs.rule,
    ).toEqual({ defaultRetention: { mode: "GOVERNANCE", days: 365 } });
    const lifecycle = one(
      ev.records,
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      "platform-trail",
    );
    expect(lifecycle.inputs.rules).toEqual([
      expect.objectContaining({
        transitions: [{ days: 90, storageClass: "GLACIER" }],
        expiration: { days: 365 },
      }),
    ]);
    const policy = doc(
      one(ev.records, "aws:s3/bucketPolicy:BucketPolicy", "platform-trail").inputs.policy,
    );
    expect(sids(policy)).toEqual([
      "DenyInsecureTransport",
      "AWSCloudTrailAclCheck",
      "AWSCloudTrailWrite",
    ]);
    expect(policy.Statement[2]).toMatchObject({
      Resource: `arn:aws:s3:::${String(bucket.outputs.bucket)}/AWSLogs/${ACCOUNT}/*`,
      Condition: { StringEquals: { "aws:SourceArn": trailArn } },
    });
  });

  it("alarms to the notification topic on every watched event", () => {
    const topic = one(ev.records, "aws:sns/topic:Topic");
    expect(topic.inputs.kmsMasterKeyId).toBe(homeKey.outputs.arn);
    const alarms = byName(ev.records, "aws:cloudwatch/metricAlarm:MetricAlarm", "platform-audit-");
    expect(alarms.map((a) => a.inputs.metricName).sort()).toEqual(
      AUDIT_EVENTS.map((e) => e.key).sort(),
    );
    for (const a of alarms) expect(a.inputs.alarmActions).toEqual([topic.outputs.arn]);
    expect(ofType(ev.records, "aws:cloudwatch/logMetricFilter:LogMetricFilter")).toHaveLength(
      AUDIT_EVENTS.length,
    );
  });

  it("runs GuardDuty and Security Hub in every region, findings to the topic", () => {
    const topic = one(ev.records, "aws:sns/topic:Topic");
    const detectors = ofType(ev.records, "aws:guardduty/detector:Detector");
    expect(detectors.map((d) => providerRegion(ev.records, d)).sort()).toEqual(
      [...c.regions].sort(),
    );
    const features = ofType(ev.records, "aws:guardduty/detectorFeature:DetectorFeature");
    expect([...new Set(features.map((f) => f.inputs.name))].sort()).toEqual([
      "EKS_AUDIT_LOGS",
      "RUNTIME_MONITORING",
      "S3_DATA_EVENTS",
    ]);
    const standards = ofType(
      ev.records,
      "aws:securityhub/standardsSubscription:StandardsSubscription",
    );
    expect(standards.map((s) => s.inputs.standardsArn).sort()).toEqual(
      c.regions.map((r) => fsbpStandardArn("aws", r)).sort(),
    );
    expect(one(ev.records, "aws:securityhub/findingAggregator:FindingAggregator").inputs).toEqual({
      linkingMode: "ALL_REGIONS",
    });
    const targets = ofType(ev.records, "aws:cloudwatch/eventTarget:EventTarget").filter((t) =>
      t.urn.includes("ThreatDetection"),
    );
    const home = targets.filter((t) => t.inputs.arn === topic.outputs.arn);
    const forwarded = targets.filter((t) => t.inputs.arn !== topic.outputs.arn);
    expect(home).toHaveLength(2); // GuardDuty of the home region, Security Hub aggregated
    expect(forwarded).toHaveLength(1);
    expect(forwarded[0].inputs.arn).toBe(`arn:aws:events:us-east-1:${ACCOUNT}:event-bus/default`);
    expect(providerRegion(ev.records, forwarded[0])).toBe("eu-central-1");
    const topicPolicy = doc(one(ev.records, "aws:sns/topicPolicy:TopicPolicy").inputs.policy);
    expect(sids(topicPolicy)).toContain("EventBridgeRulesPublish");
  });

  it("signs the zone with a KSK on an ECC_NIST_P256 key in us-east-1 and logs queries there", () => {
    const key = one(ev.records, "aws:kms/key:Key", "platform-dnssec");
    expect(key.inputs).toMatchObject({
      customerMasterKeySpec: "ECC_NIST_P256",
      keyUsage: "SIGN_VERIFY",
    });
    expect(providerRegion(ev.records, key)).toBe("us-east-1");
    const dnssec = doc(key.inputs.policy).Statement.find(
      (s) => s.Sid === "AllowRoute53DnssecService",
    )!;
    expect(dnssec).toMatchObject({
      Principal: { Service: "dnssec-route53.amazonaws.com" },
      Condition: {
        StringEquals: { "aws:SourceAccount": ACCOUNT },
        ArnLike: { "aws:SourceArn": "arn:aws:route53:::hostedzone/*" },
      },
    });
    // The grant statement is AWS's documented one: a condition on a key Route 53 does not send
    // would deny the grant and fail the key-signing key.
    const grant = doc(key.inputs.policy).Statement.find(
      (s) => s.Sid === "AllowRoute53DnssecToCreateGrant",
    )!;
    expect(grant.Action).toBe("kms:CreateGrant");
    expect(grant.Condition).toEqual({ Bool: { "kms:GrantIsForAWSResource": "true" } });
    const zone = one(ev.records, "aws:route53/zone:Zone");
    expect(one(ev.records, "aws:route53/keySigningKey:KeySigningKey").inputs).toMatchObject({
      hostedZoneId: zone.outputs.zoneId,
      keyManagementServiceArn: key.outputs.arn,
      status: "ACTIVE",
    });
    expect(one(ev.records, "aws:route53/hostedZoneDnsSec:HostedZoneDnsSec").inputs).toMatchObject({
      signingStatus: "SIGNING",
    });
    const group = one(ev.records, "aws:cloudwatch/logGroup:LogGroup", "platform-query-logs");
    expect(group.inputs.name).toBe("/aws/route53/platform.example.com");
    // us-east-1 is a platform region: its fabric key encrypts the query logs.
    expect(group.inputs.kmsKeyId).toBe(homeKey.outputs.arn);
    expect(one(ev.records, "aws:route53/queryLog:QueryLog").inputs.cloudwatchLogGroupArn).toBe(
      group.outputs.arn,
    );
  });

  it("is clean under the policy pack", () => {
    expect(evaluateResources(ev.records).violations).toEqual([]);
  });
});

describe("global security by config", () => {
  it("with everything off keeps the trail (management events only) and adds nothing else", async () => {
    const ev = await evaluate(
      config((raw) => {
        raw.audit = {};
        raw.threatDetection = {};
        raw.dnsSecurity = {};
        raw.waf = {};
      }),
    );
    const trail = one(ev.records, "aws:cloudtrail/trail:Trail");
    expect(trail.inputs.advancedEventSelectors).toEqual([
      {
        name: "Management events",
        fieldSelectors: [{ field: "eventCategory", equals: ["Management"] }],
      },
    ]);
    expect(one(ev.records, "aws:s3/bucket:Bucket", "platform-trail").inputs.objectLockEnabled).toBe(
      false,
    );
    for (const type of [
      "aws:guardduty/detector:Detector",
      "aws:securityhub/account:Account",
      "aws:route53/keySigningKey:KeySigningKey",
      "aws:route53/queryLog:QueryLog",
      "aws:wafv2/webAcl:WebAcl",
      "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    ]) {
      expect(ofType(ev.records, type), type).toEqual([]);
    }
  });

  it("puts a CLOUDFRONT web ACL in us-east-1 in front of the distribution", async () => {
    const ev = await evaluate(config((raw) => (raw.edge = "cloudfront")));
    const acl = one(ev.records, "aws:wafv2/webAcl:WebAcl");
    expect(acl.inputs.scope).toBe("CLOUDFRONT");
    expect(providerRegion(ev.records, acl)).toBe("us-east-1");
    const distribution = one(ev.records, "aws:cloudfront/distribution:Distribution");
    expect(distribution.inputs.webAclId).toBe(acl.outputs.arn);
    expect(ofType(ev.records, "aws:wafv2/webAclAssociation:WebAclAssociation")).toEqual([]);
    expect(evaluateResources(ev.records).violations).toEqual([]);
  });

  it("without us-east-1 among the regions gives the us-east-1 log groups a key of their own", async () => {
    const ev = await evaluate(
      config((raw) => {
        raw.region = "eu-central-1";
        raw.regions = ["eu-central-1", "eu-west-1"];
      }),
    );
    const key = one(ev.records, "aws:kms/key:Key", "platform-logs-us-east-1");
    expect(providerRegion(ev.records, key)).toBe("us-east-1");
    expect(key.inputs.enableKeyRotation).toBe(true);
    expect(
      one(ev.records, "aws:cloudwatch/logGroup:LogGroup", "platform-query-logs").inputs.kmsKeyId,
    ).toBe(key.outputs.arn);
    // The trail follows the home region.
    expect(providerRegion(ev.records, one(ev.records, "aws:cloudtrail/trail:Trail"))).toBe(
      "eu-central-1",
    );
    expect(evaluateResources(ev.records).violations).toEqual([]);
  });

  it("rejects archiving after the log files expire, naming the key", () => {
    expect(() =>
      config((raw) => (raw.audit = { retentionDays: 30, archiveAfterDays: 90 })),
    ).toThrow(ConfigError);
    expect(() =>
      config((raw) => (raw.audit = { retentionDays: 30, archiveAfterDays: 90 })),
    ).toThrow(/platform:audit\.archiveAfterDays/);
  });

  it("refuses query-log and CloudFront WAF log retentions CloudWatch Logs would reject", () => {
    expect(() =>
      config((raw) => (raw.dnsSecurity = { queryLogging: true, queryLogRetentionDays: 10 })),
    ).toThrow(/platform:dnsSecurity\.queryLogRetentionDays.*not a CloudWatch Logs retention value/);
    expect(() => config((raw) => (raw.waf = { enabled: true, logRetentionDays: 2 }))).toThrow(
      ConfigError,
    );
  });
});

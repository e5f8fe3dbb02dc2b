/**
 * PlatformAudit: who changed the platform, and the topic a platform team watches.
 * - the notification topic (SNS, on the platform key) with e-mail subscriptions;
 * - a multi-region CloudTrail trail with log-file validation, on the platform key, delivered to a
 *   dedicated bucket (versioned, public access blocked, TLS only, lifecycle to Glacier and
 *   expiry, Object Lock by config) and to a CloudWatch Logs group; management events always,
 *   data events of the table and the buckets by config;
 * - metric filters on that log group and an alarm each, to the topic, for the events the CIS AWS
 *   Foundations Benchmark and Security Hub's CloudWatch.1-14 controls name.
 *
 * Everything lives in the home region (the trail's home). The key's CloudTrail statements are
 * added to the fabric key's policy by the caller (`cloudTrailKeyStatements`), because the key
 * policy is one document owned by FabricKeys.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsRegion } from "../../lib/regions";
import {
  notificationTopicPolicy,
  trailArn,
  trailBucketPolicy,
  trailLogsPolicy,
  trailLogsTrust,
  trailName,
} from "./audit-policies";
import type { Account } from "./policies";

/** Namespace of the trail's metric filters' metrics. */
export const AUDIT_METRIC_NAMESPACE = "PlatformAudit";
/** Days the trail's CloudWatch Logs copy is kept (the bucket keeps the record of truth). */
export const TRAIL_LOG_RETENTION_DAYS = 365;

export interface AuditEvent {
  readonly key: string;
  readonly description: string;
  /** CloudWatch Logs filter pattern over CloudTrail records. */
  readonly pattern: string;
}

/**
 * The events a platform team watches, as CloudWatch Logs filter patterns over CloudTrail
 * records, after the CIS AWS Foundations Benchmark monitoring section and Security Hub's
 * CloudWatch.1-14 controls (https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html).
 */
export const AUDIT_EVENTS: readonly AuditEvent[] = [
  {
    key: "root-use",
    description: "the account's root user was used",
    pattern:
      '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
  },
  {
    key: "iam-policy-change",
    description: "an IAM policy was created, changed, attached or detached",
    pattern:
      "{ ($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) || ($.eventName = DeleteUserPolicy) || ($.eventName = PutGroupPolicy) || ($.eventName = PutRolePolicy) || ($.eventName = PutUserPolicy) || ($.eventName = CreatePolicy) || ($.eventName = DeletePolicy) || ($.eventName = CreatePolicyVersion) || ($.eventName = DeletePolicyVersion) || ($.eventName = AttachRolePolicy) || ($.eventName = DetachRolePolicy) || ($.eventName = AttachUserPolicy) || ($.eventName = DetachUserPolicy) || ($.eventName = AttachGroupPolicy) || ($.eventName = DetachGroupPolicy) }",
  },
  {
    key: "kms-key-disabled-or-deleted",
    description: "a KMS key was disabled or scheduled for deletion",
    pattern:
      "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }",
  },
  {
    key: "security-group-change",
    description: "a security group was created, changed or deleted",
    pattern:
      "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = ModifySecurityGroupRules) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }",
  },
  {
    key: "nacl-change",
    description: "a network ACL was created, changed or deleted",
    pattern:
      "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }",
  },
  {
    key: "trail-change",
    description: "a CloudTrail trail was changed, stopped or deleted",
    pattern:
      "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) || ($.eventName = PutEventSelectors) }",
  },
];

/**
 * Advanced event selectors: management events always; data events of the given ARNs by config
 * (DynamoDB tables by `resources.ARN` equals, S3 objects by bucket-ARN prefix).
 * https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_AdvancedFieldSelector.html
 */
export function eventSelectors(
  dataEvents: boolean,
  tableArns: readonly pulumi.Input<string>[],
  bucketArns: readonly pulumi.Input<string>[],
) {
  const selectors: aws.types.input.cloudtrail.TrailAdvancedEventSelector[] = [
    {
      name: "Management events",
      fieldSelectors: [{ field: "eventCategory", equals: ["Management"] }],
    },
  ];
  if (dataEvents) {
    selectors.push(
      {
        name: "Table item-level events",
        fieldSelectors: [
          { field: "eventCategory", equals: ["Data"] },
          { field: "resources.type", equals: ["AWS::DynamoDB::Table"] },
          { field: "resources.ARN", equals: [...tableArns] },
        ],
      },
      {
        name: "Bucket object-level events",
        fieldSelectors: [
          { field: "eventCategory", equals: ["Data"] },
          { field: "resources.type", equals: ["AWS::S3::Object"] },
          { field: "resources.ARN", startsWiths: bucketArns.map((b) => pulumi.interpolate`${b}/`) },
        ],
      },
    );
  }
  return selectors;
}

export interface PlatformAuditArgs {
  readonly homeRegion: AwsRegion;
  /** The home region's provider (the trail, its bucket and group, the topic live there). */
  readonly provider: aws.Provider;
  readonly account: Account;
  /** The platform key in the home region. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** @default false - data events of tableArns and bucketArns */
  readonly dataEvents?: boolean;
  readonly tableArns: readonly pulumi.Input<string>[];
  readonly bucketArns: readonly pulumi.Input<string>[];
  /** @default 365 */
  readonly retentionDays?: number;
  /** @default 90 */
  readonly archiveAfterDays?: number;
  /** @default false */
  readonly objectLock?: boolean;
  /** @default [] */
  readonly notificationEmails?: readonly string[];
}

export class PlatformAudit extends pulumi.ComponentResource {
  public readonly topicArn: pulumi.Output<string>;
  public readonly trailArn: pulumi.Output<string>;
  public readonly bucketName: pulumi.Output<string>;
  public readonly logGroupName: pulumi.Output<string>;

  constructor(name: string, args: PlatformAuditArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:global:Audit", name, {}, opts);
    const { account: a, homeRegion } = args;
    const retentionDays = args.retentionDays ?? 365;
    const archiveAfterDays = args.archiveAfterDays ?? 90;
    if (archiveAfterDays >= retentionDays) {
      throw new Error(
        `audit.archiveAfterDays (${archiveAfterDays}) must be less than audit.retentionDays (${retentionDays})`,
      );
    }
    const o = { parent: this, provider: args.provider };
    const stateful = { ...o, protect: true, retainOnDelete: true };
    const trail = trailArn(a, homeRegion, name);

    // The notification topic.
    const topic = new aws.sns.Topic(`${name}-notifications`, { kmsMasterKeyId: args.kmsKeyArn }, o);
    new aws.sns.TopicPolicy(
      `${name}-notifications`,
      {
        arn: topic.arn,
        policy: pulumi.jsonStringify(notificationTopicPolicy(a, homeRegion, topic.arn)),
      },
      o,
    );
    (args.notificationEmails ?? []).forEach(
      (email, i) =>
        new aws.sns.TopicSubscription(
          `${name}-notifications-${i}`,
          { topic: topic.arn, protocol: "email", endpoint: email },
          o,
        ),
    );

    // The trail bucket. Object Lock can only be switched on when a bucket is created.
    const objectLock = args.objectLock ?? false;
    const bucket = new aws.s3.Bucket(
      `${name}-trail`,
      { forceDestroy: false, objectLockEnabled: objectLock },
      stateful,
    );
    const settings: pulumi.Resource[] = [
      new aws.s3.BucketVersioning(
        `${name}-trail`,
        { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
        o,
      ),
      new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-trail`,
        {
          bucket: bucket.id,
          rules: [
            {
              applyServerSideEncryptionByDefault: {
                sseAlgorithm: "aws:kms",
                kmsMasterKeyId: args.kmsKeyArn,
              },
              bucketKeyEnabled: true,
            },
          ],
        },
        o,
      ),
      new aws.s3.BucketPublicAccessBlock(
        `${name}-trail`,
        {
          bucket: bucket.id,
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        },
        o,
      ),
      new aws.s3.BucketOwnershipControls(
        `${name}-trail`,
        { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
        o,
      ),
      new aws.s3.BucketLifecycleConfiguration(
        `${name}-trail`,
        {
          bucket: bucket.id,
          rules: [
            {
              id: "archive-then-expire",
              status: "Enabled",
              filter: { prefix: "AWSLogs/" },
              transitions: [{ days: archiveAfterDays, storageClass: "GLACIER" }],
              expiration: { days: retentionDays },
              noncurrentVersionExpiration: { noncurrentDays: 30 },
            },
          ],
        },
        o,
      ),
    ];
    if (objectLock) {
      // Governance mode: log files cannot be overwritten or deleted during the retention period
      // unless a principal holds s3:BypassGovernanceRetention.
      // https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
      settings.push(
        new aws.s3.BucketObjectLockConfiguration(
          `${name}-trail`,
          {
            bucket: bucket.id,
            rule: { defaultRetention: { mode: "GOVERNANCE", days: retentionDays } },
          },
          o,
        ),
      );
    }
    const bucketPolicy = new aws.s3.BucketPolicy(
      `${name}-trail`,
      { bucket: bucket.id, policy: pulumi.jsonStringify(trailBucketPolicy(a, bucket.arn, trail)) },
      { ...o, dependsOn: settings },
    );

    // The CloudWatch Logs copy, which the metric filters read.
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-trail`,
      {
        name: `/aws/cloudtrail/${trailName(name)}`,
        kmsKeyId: args.kmsKeyArn,
        retentionInDays: TRAIL_LOG_RETENTION_DAYS,
      },
      o,
    );
    const logsRole = new aws.iam.Role(
      `${name}-trail-logs`,
      { assumeRolePolicy: pulumi.jsonStringify(trailLogsTrust()) },
      o,
    );
    const logsPolicy = new aws.iam.RolePolicy(
      `${name}-trail-logs`,
      { role: logsRole.id, policy: pulumi.jsonStringify(trailLogsPolicy(logGroup.arn)) },
      o,
    );

    const cloudTrail = new aws.cloudtrail.Trail(
      `${name}-trail`,
      {
        name: trailName(name),
        s3BucketName: bucket.bucket,
        isMultiRegionTrail: true,
        includeGlobalServiceEvents: true,
        enableLogFileValidation: true,
        enableLogging: true,
        kmsKeyId: args.kmsKeyArn,
        // CloudTrail wants the group's ARN with the ":*" of its streams (the provider's
        // LogGroup.arn has none). https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html
        cloudWatchLogsGroupArn: pulumi.interpolate`${logGroup.arn}:*`,
        cloudWatchLogsRoleArn: logsRole.arn,
        advancedEventSelectors: eventSelectors(
          args.dataEvents ?? false,
          args.tableArns,
          args.bucketArns,
        ),
      },
      // CloudTrail checks the bucket policy and the role when the trail is created.
      { ...o, dependsOn: [bucketPolicy, logsPolicy] },
    );

    for (const event of AUDIT_EVENTS) {
      new aws.cloudwatch.LogMetricFilter(
        `${name}-audit-${event.key}`,
        {
          logGroupName: logGroup.name,
          pattern: event.pattern,
          metricTransformation: {
            name: event.key,
            namespace: AUDIT_METRIC_NAMESPACE,
            value: "1",
            defaultValue: "0",
          },
        },
        o,
      );
      new aws.cloudwatch.MetricAlarm(
        `${name}-audit-${event.key}`,
        {
          alarmDescription: `audit: ${event.description}`,
          namespace: AUDIT_METRIC_NAMESPACE,
          metricName: event.key,
          statistic: "Sum",
          period: 300,
          evaluationPeriods: 1,
          threshold: 1,
          comparisonOperator: "GreaterThanOrEqualToThreshold",
          treatMissingData: "notBreaching",
          alarmActions: [topic.arn],
        },
        o,
      );
    }

    this.topicArn = topic.arn;
    this.trailArn = cloudTrail.arn;
    this.bucketName = bucket.bucket;
    this.logGroupName = logGroup.name;
    this.registerOutputs({
      topicArn: this.topicArn,
      trailArn: this.trailArn,
      bucketName: this.bucketName,
      logGroupName: this.logGroupName,
    });
  }
}

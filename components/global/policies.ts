/**
 * The fabric's policy documents as typed objects (serialised with `pulumi.jsonStringify` where
 * they are used). Every ARN comes from a resource output or from the partition; no document grants
 * a `*` action, a service-wide `svc:*`, or anything but scoped actions on named resources.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  cloudWatchAlarmsKeyStatement,
  policyDocument as doc,
  type PolicyDocument,
  type PolicyStatement,
  type Str,
} from "../../lib/iam";
import type { AwsRegion } from "../../lib/regions";

export interface Account {
  readonly partition: Str;
  readonly accountId: Str;
  /** The partition's DNS suffix (amazonaws.com, amazonaws.com.cn), for kms:ViaService. */
  readonly dnsSuffix: Str;
}

const interpolate = pulumi.interpolate;

/** The account root, the principal that delegates a key's use to IAM policies. */
export const accountRoot = (a: Account): Str =>
  interpolate`arn:${a.partition}:iam::${a.accountId}:root`;

/**
 * The EC2 Auto Scaling service-linked role. It launches the instances of the EKS managed node
 * groups, and so creates their EBS volumes with the key named in the launch template. AWS only
 * lets a key policy name a principal that exists (CreateKey and PutKeyPolicy fail with
 * MalformedPolicyDocumentException otherwise): the role must exist in the account before the
 * global stack is first deployed. Auto Scaling creates it with the first group of the account, or
 * `aws iam create-service-linked-role --aws-service-name autoscaling.amazonaws.com` does.
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html
 */
export const autoScalingServiceLinkedRole = (a: Account): Str =>
  interpolate`arn:${a.partition}:iam::${a.accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;

/**
 * The policy of the key in one region. The account root keeps `kms:*`: this is the AWS default
 * statement that delegates the key to IAM (without it the key can become unmanageable, which the
 * PutKeyPolicy lockout check exists to prevent); every use by a principal of the account is then
 * granted by IAM policies scoped to this key.
 *
 * The other statements are for AWS services that use the key on their own behalf, where no IAM
 * policy of ours is evaluated, each narrowed to this account's resources in this region where
 * the service supports a condition for it:
 * - EventBridge encrypts the buses (narrowed to this account's buses), reads the key's metadata,
 *   and delivers to the encrypted topics and queues (no condition: none is supported there; the
 *   topics' and queues' policies admit only this account's rules);
 * - CloudWatch Logs encrypts the log groups (flow logs, EKS control plane, Lambda, API Gateway,
 *   Container Insights, Prometheus), narrowed by the log group ARN in the encryption context
 *   (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html);
 * - CloudWatch alarms publish to the encrypted alarm topic
 *   (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html);
 * - EC2 Auto Scaling creates the node groups' encrypted EBS volumes, and attaches them through a
 *   grant that only an AWS service can use (kms:GrantIsForAWSResource).
 * Service principals are not ARNs; every partition this platform supports (lib/regions.ts:
 * commercial and GovCloud) names them under amazonaws.com.
 */
export function keyPolicy(
  a: Account,
  region: AwsRegion,
  /** Statements for further services that use the key on their own behalf (e.g. CloudTrail). */
  extra: readonly PolicyStatement[] = [],
): PolicyDocument {
  const autoScaling = autoScalingServiceLinkedRole(a);
  return doc(
    {
      Sid: "EnableIamPolicies",
      Effect: "Allow",
      Principal: { AWS: accountRoot(a) },
      Action: "kms:*",
      Resource: "*",
    },
    {
      // Event buses encrypted with this key (kmsKeyIdentifier): EventBridge sends the bus as
      // aws:SourceArn (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-key-policy.html).
      Sid: "AllowEventBridgeForThisAccountsBuses",
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: "*",
      Condition: {
        StringEquals: { "aws:SourceAccount": a.accountId },
        ArnLike: {
          "aws:SourceArn": interpolate`arn:${a.partition}:events:${region}:${a.accountId}:event-bus/*`,
        },
      },
    },
    {
      // EventBridge reads the key's ARN and checks that it is symmetric before a bus uses it
      // (same page); the key's metadata only.
      Sid: "AllowEventBridgeToDescribeTheKey",
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: "kms:DescribeKey",
      Resource: "*",
    },
    {
      // Rule targets encrypted with this key (the findings topic, the dead-letter and work
      // queues): the statement SNS and SQS document for an AWS service that sends to an
      // encrypted topic or queue, without conditions
      // (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html, "Enable compatibility
      // between event sources from AWS services and encrypted topics";
      // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html).
      // AWS does not support aws:SourceAccount or aws:SourceArn here for EventBridge-to-encrypted
      // topics, and documents no other key for it: a condition EventBridge's deliveries do not
      // meet would drop every finding silently. The topics' and queues' own policies narrow who
      // may send (aws:SourceArn: this account's rules).
      Sid: "AllowEventBridgeToEncryptedTopicsAndQueues",
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: "*",
    },
    {
      Sid: "AllowCloudWatchLogsForThisRegionsLogGroups",
      Effect: "Allow",
      Principal: { Service: `logs.${region}.amazonaws.com` },
      Action: [
        "kms:Decrypt*",
        "kms:Describe*",
        "kms:Encrypt*",
        "kms:GenerateDataKey*",
        "kms:ReEncrypt*",
      ],
      Resource: "*",
      Condition: {
        ArnLike: {
          "kms:EncryptionContext:aws:logs:arn": interpolate`arn:${a.partition}:logs:${region}:${a.accountId}:log-group:*`,
        },
      },
    },
    cloudWatchAlarmsKeyStatement(a.partition, region, a.accountId),
    {
      Sid: "AllowAutoScalingForNodeVolumes",
      Effect: "Allow",
      Principal: { AWS: autoScaling },
      Action: [
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey*",
        "kms:ReEncrypt*",
      ],
      Resource: "*",
    },
    {
      Sid: "AllowAutoScalingToAttachNodeVolumes",
      Effect: "Allow",
      Principal: { AWS: autoScaling },
      Action: "kms:CreateGrant",
      Resource: "*",
      Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
    },
    ...extra,
  );
}

export interface RegionalBucket {
  readonly region: AwsRegion;
  readonly bucketArn: Str;
  readonly kmsKeyArn: Str;
}

/**
 * The replication role of one source bucket: read the source's versions, replicate into exactly the
 * destination buckets, decrypt with the source region's key and encrypt with each destination's
 * key, each only through S3 in that region and for that bucket. With S3 Bucket Keys the encryption
 * context is the bucket's ARN, without them the object's: both are allowed.
 */
export function replicationRolePolicy(
  a: Account,
  source: RegionalBucket,
  destinations: readonly RegionalBucket[],
): PolicyDocument {
  const viaS3 = (r: AwsRegion) => interpolate`s3.${r}.${a.dnsSuffix}`;
  const context = (bucketArn: Str) => [bucketArn, interpolate`${bucketArn}/*`];
  return doc(
    {
      Sid: "ReadSourceConfiguration",
      Effect: "Allow",
      Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
      Resource: source.bucketArn,
    },
    {
      Sid: "ReadSourceVersions",
      Effect: "Allow",
      Action: [
        "s3:GetObjectVersionAcl",
        "s3:GetObjectVersionForReplication",
        "s3:GetObjectVersionTagging",
      ],
      Resource: interpolate`${source.bucketArn}/*`,
    },
    {
      Sid: "ReplicateIntoDestinations",
      Effect: "Allow",
      Action: ["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"],
      Resource: destinations.map((d) => interpolate`${d.bucketArn}/*`),
    },
    {
      Sid: "DecryptSource",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: source.kmsKeyArn,
      Condition: {
        StringEquals: { "kms:ViaService": viaS3(source.region) },
        StringLike: { "kms:EncryptionContext:aws:s3:arn": context(source.bucketArn) },
      },
    },
    ...destinations.map((d): PolicyStatement => ({
      Sid: `EncryptInto${d.region.replace(/-/g, "")}`,
      Effect: "Allow",
      Action: ["kms:Encrypt", "kms:GenerateDataKey"],
      Resource: d.kmsKeyArn,
      Condition: {
        StringEquals: { "kms:ViaService": viaS3(d.region) },
        StringLike: { "kms:EncryptionContext:aws:s3:arn": context(d.bucketArn) },
      },
    })),
  );
}

/** The forwarding role of one region's bus: PutEvents on exactly the other regions' buses. */
export function forwardingRolePolicy(destinationBusArns: readonly Str[]): PolicyDocument {
  return doc({
    Sid: "PutEventsOnOtherRegionsBuses",
    Effect: "Allow",
    Action: "events:PutEvents",
    Resource: [...destinationBusArns],
  });
}

/**
 * Denies every request to the bucket that does not use TLS. A Deny on `s3:*` for every principal is
 * the form AWS documents for this; it grants nothing.
 */
export function tlsOnlyBucketPolicy(bucketArn: Str): PolicyDocument {
  return doc({
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, interpolate`${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  });
}

/** Lets EventBridge dead-letter into the queue, only from the given rules and bus. */
export function deadLetterQueuePolicy(queueArn: Str, sourceArns: readonly Str[]): PolicyDocument {
  return doc({
    Sid: "EventBridgeDeadLetters",
    Effect: "Allow",
    Principal: { Service: "events.amazonaws.com" },
    Action: "sqs:SendMessage",
    Resource: queueArn,
    Condition: { ArnEquals: { "aws:SourceArn": [...sourceArns] } },
  });
}

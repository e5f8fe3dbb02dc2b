/**
 * The policy documents of the audit and edge-security pieces of the global stack, as typed
 * objects: key-policy statements for the services that use the platform key on their own behalf
 * (CloudTrail), the trail bucket's and the notification topic's resource policies, the role
 * CloudTrail delivers to CloudWatch Logs with, and the DNSSEC key's and query-log policies.
 * Every service principal is narrowed to this account and, where the service sends one, to the
 * exact source resource (the confused-deputy guard).
 */
import * as pulumi from "@pulumi/pulumi";
import {
  policyDocument as doc,
  type PolicyDocument,
  type PolicyStatement,
  type Str,
} from "../../lib/iam";
import type { AwsRegion } from "../../lib/regions";
import { accountRoot, type Account } from "./policies";

const interpolate = pulumi.interpolate;

/** The trail's name: fixed, so that its ARN is known before it exists (policies name it). */
export const trailName = (name: string): string => `${name}-audit`;

export const trailArn = (a: Account, homeRegion: AwsRegion, name: string): Str =>
  interpolate`arn:${a.partition}:cloudtrail:${homeRegion}:${a.accountId}:trail/${trailName(name)}`;

/**
 * What CloudTrail needs on the key that encrypts the trail's log and digest files: generate data
 * keys, with the trail's ARN as the source and an encryption context naming a trail of this
 * account, and describe the key. https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html
 * Reading the files back needs kms:Decrypt, granted by IAM policies through the account-root
 * statement of the key policy.
 */
export function cloudTrailKeyStatements(a: Account, trail: Str): PolicyStatement[] {
  return [
    {
      Sid: "AllowCloudTrailToEncryptLogs",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "kms:GenerateDataKey*",
      Resource: "*",
      Condition: {
        StringEquals: { "aws:SourceArn": trail },
        StringLike: {
          "kms:EncryptionContext:aws:cloudtrail:arn": interpolate`arn:${a.partition}:cloudtrail:*:${a.accountId}:trail/*`,
        },
      },
    },
    {
      Sid: "AllowCloudTrailToDescribeKey",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "kms:DescribeKey",
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceArn": trail } },
    },
  ];
}

/**
 * The trail bucket: TLS only, and CloudTrail may read the ACL and write log files under
 * AWSLogs/<account>/ for this trail only.
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html
 */
export function trailBucketPolicy(a: Account, bucketArn: Str, trail: Str): PolicyDocument {
  return doc(
    {
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [bucketArn, interpolate`${bucketArn}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
    {
      Sid: "AWSCloudTrailAclCheck",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "s3:GetBucketAcl",
      Resource: bucketArn,
      Condition: { StringEquals: { "aws:SourceArn": trail } },
    },
    {
      Sid: "AWSCloudTrailWrite",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "s3:PutObject",
      Resource: interpolate`${bucketArn}/AWSLogs/${a.accountId}/*`,
      Condition: {
        StringEquals: { "aws:SourceArn": trail, "s3:x-amz-acl": "bucket-owner-full-control" },
      },
    },
  );
}

/**
 * CloudTrail assumes this role to deliver to CloudWatch Logs. Without conditions: AWS documents
 * that confused-deputy prevention does not apply to this role, which does not support
 * aws:SourceArn and aws:SourceAccount
 * (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html),
 * so a condition on them would make CloudTrail's AssumeRole, and so the trail's creation, fail.
 * What the role may do is narrowed instead: the trail's log group only (trailLogsPolicy), and
 * only principals of this account with iam:PassRole can hand it to a trail.
 */
export function trailLogsTrust(): PolicyDocument {
  return doc({
    Sid: "AssumedByCloudTrail",
    Effect: "Allow",
    Principal: { Service: "cloudtrail.amazonaws.com" },
    Action: "sts:AssumeRole",
  });
}

/**
 * Create streams in and put events into the trail's log group, nothing else.
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html
 */
export function trailLogsPolicy(logGroupArn: Str): PolicyDocument {
  return doc({
    Sid: "DeliverToTheTrailLogGroup",
    Effect: "Allow",
    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource: interpolate`${logGroupArn}:log-stream:*`,
  });
}

/**
 * The notification topic: this account's EventBridge rules (findings) and CloudWatch alarms (the
 * trail's metric filters) of the home region may publish; the account keeps managing it.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
 */
export function notificationTopicPolicy(
  a: Account,
  region: AwsRegion,
  topicArn: Str,
): PolicyDocument {
  return doc(
    {
      Sid: "AccountManagesTheTopic",
      Effect: "Allow",
      Principal: { AWS: accountRoot(a) },
      Action: [
        "sns:GetTopicAttributes",
        "sns:SetTopicAttributes",
        "sns:Subscribe",
        "sns:ListSubscriptionsByTopic",
        "sns:Publish",
      ],
      Resource: topicArn,
    },
    {
      Sid: "EventBridgeRulesPublish",
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: "sns:Publish",
      Resource: topicArn,
      Condition: {
        StringEquals: { "aws:SourceAccount": a.accountId },
        ArnLike: {
          "aws:SourceArn": interpolate`arn:${a.partition}:events:${region}:${a.accountId}:rule/*`,
        },
      },
    },
    {
      Sid: "CloudWatchAlarmsPublish",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: "sns:Publish",
      Resource: topicArn,
      Condition: {
        StringEquals: { "aws:SourceAccount": a.accountId },
        ArnLike: {
          "aws:SourceArn": interpolate`arn:${a.partition}:cloudwatch:${region}:${a.accountId}:alarm:*`,
        },
      },
    },
  );
}

/**
 * EventBridge may assume this role to forward findings from one region's rule; EventBridge sets
 * aws:SourceAccount (the rule's account) when it acts for a rule.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html
 */
export function findingsForwardTrust(a: Account): PolicyDocument {
  return doc({
    Sid: "AssumedByEventBridge",
    Effect: "Allow",
    Principal: { Service: "events.amazonaws.com" },
    Action: "sts:AssumeRole",
    Condition: { StringEquals: { "aws:SourceAccount": a.accountId } },
  });
}

/** PutEvents on the home region's default bus, where the rule to the topic is. */
export function findingsForwardPolicy(homeBusArn: Str): PolicyDocument {
  return doc({
    Sid: "ForwardFindingsToTheHomeRegion",
    Effect: "Allow",
    Action: "events:PutEvents",
    Resource: homeBusArn,
  });
}

/**
 * The DNSSEC key-signing key's KMS key: the account root delegates to IAM, and Route 53's DNSSEC
 * service may read the public key, sign and describe on behalf of this account's hosted zones only
 * (the confused-deputy conditions AWS documents for this statement), and create the grant it needs
 * for an AWS resource.
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/access-control-managing-permissions.html#KMS-key-policy-for-DNSSEC
 */
export function dnssecKeyPolicy(a: Account): PolicyDocument {
  const zones = interpolate`arn:${a.partition}:route53:::hostedzone/*`;
  return doc(
    {
      Sid: "EnableIamPolicies",
      Effect: "Allow",
      Principal: { AWS: accountRoot(a) },
      Action: "kms:*",
      Resource: "*",
    },
    {
      Sid: "AllowRoute53DnssecService",
      Effect: "Allow",
      Principal: { Service: "dnssec-route53.amazonaws.com" },
      Action: ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"],
      Resource: "*",
      Condition: {
        StringEquals: { "aws:SourceAccount": a.accountId },
        ArnLike: { "aws:SourceArn": zones },
      },
    },
    {
      // Exactly the documented statement: Route 53 does not promise aws:SourceAccount in the
      // request context of its CreateGrant, and a condition on an absent key denies the grant
      // (and so the key-signing key). Only AWS services can use a grant this statement allows.
      Sid: "AllowRoute53DnssecToCreateGrant",
      Effect: "Allow",
      Principal: { Service: "dnssec-route53.amazonaws.com" },
      Action: "kms:CreateGrant",
      Resource: "*",
      Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
    },
  );
}

/**
 * A key for CloudWatch Logs in us-east-1 when no platform region is there (query logs and the
 * CloudFront web ACL's logs must live in us-east-1): the account root delegates to IAM and CloudWatch
 * Logs encrypts this account's log groups of that region.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
 */
export function logsOnlyKeyPolicy(a: Account, region: string): PolicyDocument {
  return doc(
    {
      Sid: "EnableIamPolicies",
      Effect: "Allow",
      Principal: { AWS: accountRoot(a) },
      Action: "kms:*",
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
  );
}

/**
 * Route 53 may write query logs into this account's /aws/route53/ log groups, for this account's
 * hosted zones only.
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/query-logs.html#query-logs-configuring
 */
export function queryLogResourcePolicy(a: Account, logGroupPrefixArn: Str): PolicyDocument {
  return doc({
    Sid: "Route53QueryLogs",
    Effect: "Allow",
    Principal: { Service: "route53.amazonaws.com" },
    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource: logGroupPrefixArn,
    Condition: {
      StringEquals: { "aws:SourceAccount": a.accountId },
      ArnLike: { "aws:SourceArn": interpolate`arn:${a.partition}:route53:::hostedzone/*` },
    },
  });
}

/**
 * Who delivers ALB access logs into the log bucket, and the bucket's policy. Pure: no Pulumi.
 *
 * AWS requires SSE-S3 (not SSE-KMS) on an ALB access-log bucket, and names the writer two ways:
 * in the regions that existed before August 2022, the region's ELB account; in later regions,
 * the log-delivery service principal.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
 */
import type { PolicyDocument } from "./iam";

export const ELB_ACCOUNTS: Readonly<Record<string, string>> = {
  "us-east-1": "127311923021",
  "us-east-2": "033677994240",
  "us-west-1": "027434742980",
  "us-west-2": "797873946194",
  "af-south-1": "098369216593",
  "ap-east-1": "754344448648",
  "ap-southeast-3": "589379963580",
  "ap-south-1": "718504428378",
  "ap-northeast-3": "383597477331",
  "ap-northeast-2": "600734575887",
  "ap-southeast-1": "114774131450",
  "ap-southeast-2": "783225319266",
  "ap-northeast-1": "582318560864",
  "ca-central-1": "985666609251",
  "eu-central-1": "054676820928",
  "eu-west-1": "156460612806",
  "eu-west-2": "652711504416",
  "eu-south-1": "635631232127",
  "eu-west-3": "009996457667",
  "eu-north-1": "897822967062",
  "me-south-1": "076674570225",
  "sa-east-1": "507241528517",
  "us-gov-west-1": "048591011584",
  "us-gov-east-1": "190560391635",
};

export const LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com";

/** The access-log prefix inside the bucket. */
export const ALB_LOG_PREFIX = "alb";

export function logDeliveryPrincipal(
  region: string,
  partition: string,
): { AWS: string } | { Service: string } {
  const account = ELB_ACCOUNTS[region];
  return account
    ? { AWS: `arn:${partition}:iam::${account}:root` }
    : { Service: LOG_DELIVERY_SERVICE };
}

export function albLogBucketPolicy(
  bucketArn: string,
  region: string,
  partition: string,
  accountId: string,
): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: ["s3:*"],
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      {
        Sid: "AlbLogDelivery",
        Effect: "Allow",
        Principal: logDeliveryPrincipal(region, partition),
        Action: ["s3:PutObject"],
        Resource: `${bucketArn}/${ALB_LOG_PREFIX}/AWSLogs/${accountId}/*`,
      },
    ],
  };
}

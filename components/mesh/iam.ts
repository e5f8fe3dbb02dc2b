/**
 * The pod role of one service (IRSA), as typed policy documents: a trust policy that only the
 * service's own ServiceAccount can use, and an access policy that grants exactly what the
 * service's `access` declares, on exactly the region's fabric resources. Pure: ARNs in, documents
 * out; the Microservice component serialises them with `pulumi.jsonStringify`.
 */
import type * as aws from "@pulumi/aws";
import type { ServiceConfig } from "../../lib/config/schema";

export interface FabricArns {
  readonly tableArn: string;
  readonly bucketArn: string;
  readonly busArn: string;
  readonly kmsKeyArn: string;
  readonly workQueueArn: string;
}

type Access = ServiceConfig["access"];
type Statement = aws.iam.PolicyStatement;

export const TABLE_READ = ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"] as const;
export const TABLE_WRITE = [
  "dynamodb:BatchWriteItem",
  "dynamodb:DeleteItem",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
] as const;
export const BUCKET_READ = ["s3:GetObject"] as const;
export const BUCKET_WRITE = ["s3:DeleteObject", "s3:PutObject"] as const;
export const KMS_DATA = ["kms:Decrypt", "kms:GenerateDataKey"] as const;
/**
 * A consumer of the work queue: receive, delete, and extend the visibility of a slow message
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html;
 * the batch forms are authorised by these same actions).
 */
export const QUEUE_CONSUME = [
  "sqs:ChangeMessageVisibility",
  "sqs:DeleteMessage",
  "sqs:ReceiveMessage",
] as const;

/** The OIDC issuer as IAM condition keys spell it: host and path, no scheme. */
export function issuerHostPath(oidcProviderUrl: string): string {
  return oidcProviderUrl.replace(/^https:\/\//, "").replace(/\/$/, "");
}

/** Only the pods of `namespace/serviceAccount`, with a token minted for STS, assume the role. */
export function trustPolicy(
  oidcProviderArn: string,
  oidcProviderUrl: string,
  namespace: string,
  serviceAccount: string,
): aws.iam.PolicyDocument {
  const issuer = issuerHostPath(oidcProviderUrl);
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: oidcProviderArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${issuer}:aud`]: "sts.amazonaws.com",
            [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
          },
        },
      },
    ],
  };
}

/** True when the service touches encrypted data at all, and so needs the region's key. */
export function needsKey(access: Access): boolean {
  return (
    access.table !== "none" ||
    access.bucket !== "none" ||
    access.publishEvents ||
    access.sendToQueue ||
    access.consumeQueue
  );
}

/** The services a role uses the key through, in the key's region (its ARN's fourth field). */
export function keyServices(access: Access, kmsKeyArn: string): string[] {
  const region = kmsKeyArn.split(":")[3];
  const services = [
    ...(access.table !== "none" ? ["dynamodb"] : []),
    ...(access.bucket !== "none" ? ["s3"] : []),
    ...(access.publishEvents ? ["events"] : []),
    ...(access.sendToQueue ? ["sqs"] : []),
  ];
  return services.sort().map((svc) => `${svc}.${region}.amazonaws.com`);
}

/**
 * The statements `access` declares; undefined when it declares nothing (the role then has no
 * policy: an empty Statement list is not a valid policy document).
 */
export function accessPolicy(access: Access, arns: FabricArns): aws.iam.PolicyDocument | undefined {
  const statements: Statement[] = [];
  if (access.table !== "none") {
    statements.push({
      Sid: "Table",
      Effect: "Allow",
      Action: access.table === "readwrite" ? [...TABLE_READ, ...TABLE_WRITE] : [...TABLE_READ],
      Resource: [arns.tableArn, `${arns.tableArn}/index/*`],
    });
  }
  if (access.bucket !== "none") {
    statements.push({
      Sid: "Bucket",
      Effect: "Allow",
      Action: access.bucket === "readwrite" ? [...BUCKET_READ, ...BUCKET_WRITE] : [...BUCKET_READ],
      Resource: [`${arns.bucketArn}/*`],
    });
  }
  if (access.publishEvents) {
    statements.push({
      Sid: "Events",
      Effect: "Allow",
      Action: ["events:PutEvents"],
      Resource: [arns.busArn],
    });
  }
  if (access.sendToQueue) {
    statements.push({
      Sid: "Queue",
      Effect: "Allow",
      Action: ["sqs:SendMessage"],
      Resource: [arns.workQueueArn],
    });
  }
  if (access.consumeQueue) {
    statements.push({
      Sid: "QueueConsume",
      Effect: "Allow",
      Action: [...QUEUE_CONSUME],
      Resource: [arns.workQueueArn],
    });
  }
  if (needsKey(access)) {
    statements.push({
      Sid: "Key",
      Effect: "Allow",
      Action: [...KMS_DATA],
      Resource: [arns.kmsKeyArn],
      // Only through the services the role is granted (kms:ViaService), never directly:
      // https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
      Condition: { StringEquals: { "kms:ViaService": keyServices(access, arns.kmsKeyArn) } },
    });
  }
  return statements.length > 0 ? { Version: "2012-10-17", Statement: statements } : undefined;
}

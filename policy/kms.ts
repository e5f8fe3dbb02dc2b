/**
 * KMS policies: every data service encrypted with a customer-managed key (not the AWS-owned or
 * AWS-managed default), keys rotated, key policies without an unconditioned wildcard principal.
 * The S3 bucket policy needs the whole stack and lives in `s3.ts`.
 */
import { keyPolicyDocuments, principalProblem, statementsOf } from "./documents";
import type { ResourcePolicy } from "./types";
import { Unknown, at, isCustomerKey, isTrue, keyProblem, list } from "./values";

export const dynamodbTableCmk: ResourcePolicy = {
  kind: "resource",
  name: "dynamodb-table-cmk",
  domain: "kms",
  description: "DynamoDB tables and every replica are encrypted with a customer-managed KMS key.",
  message:
    "Set serverSideEncryption { enabled: true, kmsKeyArn: <CMK ARN> } and a kmsKeyArn on every replica (the key's replica in that region)",
  types: ["aws:dynamodb/table:Table", "aws:dynamodb/tableReplica:TableReplica"],
  check({ type, props }) {
    if (type === "aws:dynamodb/tableReplica:TableReplica") {
      const key = at(props, "kmsKeyArn");
      return isCustomerKey(key) ? [] : [keyProblem("kmsKeyArn", key)];
    }
    const problems: string[] = [];
    const enabled = at(props, "serverSideEncryption", "enabled");
    const key = at(props, "serverSideEncryption", "kmsKeyArn");
    if (!isTrue(enabled)) {
      problems.push("serverSideEncryption.enabled is not true (the table uses an AWS-owned key)");
    } else if (!isCustomerKey(key)) {
      problems.push(keyProblem("serverSideEncryption.kmsKeyArn", key));
    }
    const replicas = list(props, "replicas");
    if (replicas !== Unknown) {
      replicas.forEach((replica, i) => {
        const replicaKey = at(replica, "kmsKeyArn");
        if (!isCustomerKey(replicaKey)) {
          const region = at(replica, "regionName");
          const where = typeof region === "string" ? ` (${region})` : "";
          problems.push(keyProblem(`replicas[${i}].kmsKeyArn${where}`, replicaKey));
        }
      });
    }
    return problems;
  },
};

export const sqsQueueCmk: ResourcePolicy = {
  kind: "resource",
  name: "sqs-queue-cmk",
  domain: "kms",
  description: "SQS queues are encrypted with a customer-managed KMS key.",
  message: "Set kmsMasterKeyId to a customer-managed key (not alias/aws/sqs, not SSE-SQS)",
  types: ["aws:sqs/queue:Queue"],
  check({ props }) {
    const key = at(props, "kmsMasterKeyId");
    if (isCustomerKey(key)) return [];
    if (key === undefined && at(props, "sqsManagedSseEnabled") === true) {
      return ["the queue uses SSE-SQS (sqsManagedSseEnabled) instead of a customer-managed key"];
    }
    return [keyProblem("kmsMasterKeyId", key)];
  },
};

export const snsTopicCmk: ResourcePolicy = {
  kind: "resource",
  name: "sns-topic-cmk",
  domain: "kms",
  description: "SNS topics are encrypted with a customer-managed KMS key.",
  message: "Set kmsMasterKeyId to a customer-managed key (not alias/aws/sns)",
  types: ["aws:sns/topic:Topic"],
  check({ props }) {
    const key = at(props, "kmsMasterKeyId");
    return isCustomerKey(key) ? [] : [keyProblem("kmsMasterKeyId", key)];
  },
};

export const logGroupCmk: ResourcePolicy = {
  kind: "resource",
  name: "cloudwatch-log-group-cmk",
  domain: "kms",
  description: "CloudWatch log groups are encrypted with a customer-managed KMS key.",
  message:
    "Set kmsKeyId to a customer-managed key whose policy allows the logs.<region>.amazonaws.com service principal",
  types: ["aws:cloudwatch/logGroup:LogGroup"],
  check({ props }) {
    const key = at(props, "kmsKeyId");
    return isCustomerKey(key) ? [] : [keyProblem("kmsKeyId", key)];
  },
};

export const eksSecretsCmk: ResourcePolicy = {
  kind: "resource",
  name: "eks-secrets-cmk",
  domain: "kms",
  description: "EKS clusters encrypt Kubernetes secrets with a customer-managed KMS key.",
  message:
    'Set encryptionConfig { provider: { keyArn: <CMK ARN> }, resources: ["secrets"] } (through the eks.Cluster component: encryptionConfigKeyArn)',
  // Only the cluster resource itself: the eks.Cluster component is remote, and the analyzer sees
  // it with empty inputs (plan/remote/index.ts); its child aws:eks/cluster:Cluster carries the key.
  types: ["aws:eks/cluster:Cluster"],
  check({ props }) {
    const configs = list(props, "encryptionConfig");
    if (configs === Unknown) return [];
    if (configs.length === 0) return ["encryptionConfig is not set"];
    const problems: string[] = [];
    for (const config of configs) {
      const key = at(config, "provider", "keyArn");
      if (!isCustomerKey(key)) problems.push(keyProblem("encryptionConfig.provider.keyArn", key));
      const resources = list(config, "resources");
      if (resources !== Unknown && !resources.some((r) => r === "secrets" || r === Unknown)) {
        problems.push('encryptionConfig.resources does not include "secrets"');
      }
    }
    return problems;
  },
};

export const ecrRepositoryCmk: ResourcePolicy = {
  kind: "resource",
  name: "ecr-repository-cmk",
  domain: "kms",
  description: "ECR repositories are encrypted with a customer-managed KMS key.",
  message: 'Set encryptionConfigurations [{ encryptionType: "KMS", kmsKey: <CMK ARN> }]',
  types: ["aws:ecr/repository:Repository"],
  check({ props }) {
    const configs = list(props, "encryptionConfigurations");
    if (configs === Unknown) return [];
    if (configs.length === 0) return ["encryptionConfigurations is not set (AES256 is used)"];
    const problems: string[] = [];
    configs.forEach((config, i) => {
      const kind = at(config, "encryptionType");
      if (kind !== Unknown && kind !== "KMS" && kind !== "KMS_DSSE") {
        problems.push(
          `encryptionConfigurations[${i}].encryptionType is ${JSON.stringify(kind ?? "AES256")}`,
        );
        return;
      }
      const key = at(config, "kmsKey");
      if (!isCustomerKey(key))
        problems.push(keyProblem(`encryptionConfigurations[${i}].kmsKey`, key));
    });
    return problems;
  },
};

export const lambdaEnvironmentCmk: ResourcePolicy = {
  kind: "resource",
  name: "lambda-environment-cmk",
  domain: "kms",
  description:
    "Lambda functions with environment variables encrypt them with a customer-managed key.",
  message: "Set kmsKeyArn to a customer-managed key (the function has environment variables)",
  types: ["aws:lambda/function:Function"],
  check({ props }) {
    const variables = at(props, "environment", "variables");
    const hasVariables =
      variables === Unknown ||
      (variables !== null && typeof variables === "object" && Object.keys(variables).length > 0);
    if (!hasVariables) return [];
    const key = at(props, "kmsKeyArn");
    return isCustomerKey(key) ? [] : [keyProblem("kmsKeyArn", key)];
  },
};

/** encrypted + a customer-managed kmsKeyId on one EBS block; `where` prefixes the property. */
function ebsProblems(block: unknown, where: string): string[] {
  if (!isTrue(at(block, "encrypted"))) return [`${where}encrypted is not true`];
  const key = at(block, "kmsKeyId");
  return isCustomerKey(key) ? [] : [keyProblem(`${where}kmsKeyId`, key)];
}

export const ebsVolumeCmk: ResourcePolicy = {
  kind: "resource",
  name: "ebs-volume-cmk",
  domain: "kms",
  description: "EBS volumes are encrypted with a customer-managed KMS key.",
  message: "Set encrypted: true and kmsKeyId to a customer-managed key",
  types: ["aws:ebs/volume:Volume"],
  check({ props }) {
    return ebsProblems(props, "");
  },
};

export const ec2BlockDeviceCmk: ResourcePolicy = {
  kind: "resource",
  name: "ec2-block-device-cmk",
  domain: "kms",
  description:
    "EBS volumes declared by launch templates and instances are encrypted with a customer-managed KMS key.",
  message:
    'Set encrypted: true ("true" in a launch template) and kmsKeyId on every EBS block device',
  types: ["aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance"],
  check({ type, props }) {
    const problems: string[] = [];
    if (type === "aws:ec2/launchTemplate:LaunchTemplate") {
      const mappings = list(props, "blockDeviceMappings");
      if (mappings === Unknown) return [];
      mappings.forEach((mapping, i) => {
        const ebs = at(mapping, "ebs");
        if (ebs !== undefined && ebs !== Unknown) {
          problems.push(...ebsProblems(ebs, `blockDeviceMappings[${i}].ebs.`));
        }
      });
      return problems;
    }
    const root = at(props, "rootBlockDevice");
    if (root !== undefined && root !== Unknown)
      problems.push(...ebsProblems(root, "rootBlockDevice."));
    const devices = list(props, "ebsBlockDevices");
    if (devices !== Unknown) {
      devices.forEach((device, i) =>
        problems.push(...ebsProblems(device, `ebsBlockDevices[${i}].`)),
      );
    }
    return problems;
  },
};

export const rdsStorageCmk: ResourcePolicy = {
  kind: "resource",
  name: "rds-storage-cmk",
  domain: "kms",
  description:
    "RDS instances and Aurora/RDS clusters encrypt storage with a customer-managed KMS key.",
  message: "Set storageEncrypted: true and kmsKeyId to a customer-managed key",
  types: ["aws:rds/cluster:Cluster", "aws:rds/instance:Instance"],
  check({ props }) {
    if (!isTrue(at(props, "storageEncrypted"))) return ["storageEncrypted is not true"];
    const key = at(props, "kmsKeyId");
    return isCustomerKey(key) ? [] : [keyProblem("kmsKeyId", key)];
  },
};

export const secretsManagerCmk: ResourcePolicy = {
  kind: "resource",
  name: "secretsmanager-secret-cmk",
  domain: "kms",
  description:
    "Secrets Manager secrets and their replicas are encrypted with a customer-managed KMS key.",
  message:
    "Set kmsKeyId to a customer-managed key (not aws/secretsmanager), and kmsKeyId on every replica",
  types: ["aws:secretsmanager/secret:Secret"],
  check({ props }) {
    const problems: string[] = [];
    const key = at(props, "kmsKeyId");
    if (!isCustomerKey(key)) problems.push(keyProblem("kmsKeyId", key));
    const replicas = list(props, "replicas");
    if (replicas !== Unknown) {
      replicas.forEach((replica, i) => {
        const replicaKey = at(replica, "kmsKeyId");
        if (!isCustomerKey(replicaKey))
          problems.push(keyProblem(`replicas[${i}].kmsKeyId`, replicaKey));
      });
    }
    return problems;
  },
};

export const kinesisStreamCmk: ResourcePolicy = {
  kind: "resource",
  name: "kinesis-stream-cmk",
  domain: "kms",
  description: "Kinesis data streams are encrypted with a customer-managed KMS key.",
  message:
    'Set encryptionType: "KMS" and kmsKeyId to a customer-managed key (not alias/aws/kinesis)',
  types: ["aws:kinesis/stream:Stream"],
  check({ props }) {
    const kind = at(props, "encryptionType");
    if (kind !== Unknown && kind !== "KMS") {
      return [`encryptionType is ${JSON.stringify(kind ?? "NONE")}`];
    }
    const key = at(props, "kmsKeyId");
    return isCustomerKey(key) ? [] : [keyProblem("kmsKeyId", key)];
  },
};

export const kmsKeyRotation: ResourcePolicy = {
  kind: "resource",
  name: "kms-key-rotation",
  domain: "kms",
  description: "Symmetric encryption KMS keys have automatic rotation enabled.",
  message: "Set enableKeyRotation: true (AWS supports it for symmetric ENCRYPT_DECRYPT keys)",
  types: ["aws:kms/key:Key"],
  check({ props }) {
    // Automatic rotation exists only for symmetric encryption keys: asymmetric and HMAC keys
    // (another key spec or usage) cannot enable it, so they are not held to it.
    const spec = at(props, "customerMasterKeySpec") ?? at(props, "keySpec");
    const usage = at(props, "keyUsage");
    if (spec !== undefined && spec !== Unknown && spec !== "SYMMETRIC_DEFAULT") return [];
    if (usage !== undefined && usage !== Unknown && usage !== "ENCRYPT_DECRYPT") return [];
    return isTrue(at(props, "enableKeyRotation")) ? [] : ["enableKeyRotation is not true"];
  },
};

export const kmsKeyPolicyPrincipal: ResourcePolicy = {
  kind: "resource",
  name: "kms-key-policy-no-wildcard-principal",
  domain: "kms",
  description:
    "KMS key policies grant nothing to a wildcard principal unless a condition narrows it to the account or organization.",
  message:
    "Name the principals (account root, roles, service principals), or narrow the wildcard with a condition such as kms:CallerAccount, aws:PrincipalOrgID or aws:SourceArn",
  types: ["aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey"],
  check({ type, props }) {
    const problems: string[] = [];
    for (const document of keyPolicyDocuments(type, props)) {
      for (const statement of statementsOf(document)) {
        const problem = principalProblem(statement);
        if (problem !== undefined) problems.push(`${document.path}: ${problem}`);
      }
    }
    return problems;
  },
};

export const KMS_POLICIES: readonly ResourcePolicy[] = [
  dynamodbTableCmk,
  sqsQueueCmk,
  snsTopicCmk,
  logGroupCmk,
  eksSecretsCmk,
  ecrRepositoryCmk,
  lambdaEnvironmentCmk,
  ebsVolumeCmk,
  ec2BlockDeviceCmk,
  rdsStorageCmk,
  secretsManagerCmk,
  kinesisStreamCmk,
  kmsKeyRotation,
  kmsKeyPolicyPrincipal,
];

import { describe, expect, it } from "vitest";
import * as kms from "../policy/kms";
import { evaluateResources } from "../policy/offline";
import { violationMessage, type ResourcePolicy } from "../policy/types";

const KEY = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function resource(type: string, inputs: Record<string, unknown>, name = "subject") {
  return { urn: `urn:pulumi:dev::platform::${type}::${name}`, type, name, inputs };
}

/** Every violation of the evaluation, as `policy: message`. */
function findings(type: string, inputs: Record<string, unknown>): string[] {
  return evaluateResources([resource(type, inputs)]).violations.map(
    (v) => `${v.policy} [${v.enforcementLevel}] ${v.urn.split("::").pop()}: ${v.message}`,
  );
}

function expected(policy: ResourcePolicy, details: string[]): string[] {
  return details.length === 0
    ? []
    : [`${policy.name} [mandatory] subject: ${violationMessage(policy, details.join("; "))}`];
}

type Case = readonly [string, ResourcePolicy, string, Record<string, unknown>, string[]];

const cases: Case[] = [
  // DynamoDB
  [
    "table with CMK and replica keys",
    kms.dynamodbTableCmk,
    "aws:dynamodb/table:Table",
    {
      serverSideEncryption: { enabled: true, kmsKeyArn: KEY },
      replicas: [{ regionName: "eu-central-1", kmsKeyArn: KEY }],
    },
    [],
  ],
  [
    "table without SSE",
    kms.dynamodbTableCmk,
    "aws:dynamodb/table:Table",
    {},
    ["serverSideEncryption.enabled is not true (the table uses an AWS-owned key)"],
  ],
  [
    "table SSE disabled",
    kms.dynamodbTableCmk,
    "aws:dynamodb/table:Table",
    { serverSideEncryption: { enabled: false, kmsKeyArn: KEY } },
    ["serverSideEncryption.enabled is not true (the table uses an AWS-owned key)"],
  ],
  [
    "table with AWS-managed key",
    kms.dynamodbTableCmk,
    "aws:dynamodb/table:Table",
    { serverSideEncryption: { enabled: true } },
    ["serverSideEncryption.kmsKeyArn is not set"],
  ],
  [
    "table replica without key",
    kms.dynamodbTableCmk,
    "aws:dynamodb/table:Table",
    {
      serverSideEncryption: { enabled: true, kmsKeyArn: KEY },
      replicas: [{ regionName: "eu-central-1", kmsKeyArn: KEY }, { regionName: "us-west-2" }],
    },
    ["replicas[1].kmsKeyArn (us-west-2) is not set"],
  ],
  [
    "TableReplica with key",
    kms.dynamodbTableCmk,
    "aws:dynamodb/tableReplica:TableReplica",
    { globalTableArn: "arn:x", kmsKeyArn: KEY },
    [],
  ],
  [
    "TableReplica without key",
    kms.dynamodbTableCmk,
    "aws:dynamodb/tableReplica:TableReplica",
    { globalTableArn: "arn:x" },
    ["kmsKeyArn is not set"],
  ],
  // SQS
  ["queue with CMK", kms.sqsQueueCmk, "aws:sqs/queue:Queue", { kmsMasterKeyId: KEY }, []],
  ["queue without key", kms.sqsQueueCmk, "aws:sqs/queue:Queue", {}, ["kmsMasterKeyId is not set"]],
  [
    "queue with alias/aws/sqs",
    kms.sqsQueueCmk,
    "aws:sqs/queue:Queue",
    { kmsMasterKeyId: "alias/aws/sqs" },
    ['kmsMasterKeyId is the AWS-managed key "alias/aws/sqs"'],
  ],
  [
    "queue with SSE-SQS",
    kms.sqsQueueCmk,
    "aws:sqs/queue:Queue",
    { sqsManagedSseEnabled: true },
    ["the queue uses SSE-SQS (sqsManagedSseEnabled) instead of a customer-managed key"],
  ],
  // SNS
  [
    "topic with CMK alias",
    kms.snsTopicCmk,
    "aws:sns/topic:Topic",
    { kmsMasterKeyId: "alias/platform-data" },
    [],
  ],
  ["topic without key", kms.snsTopicCmk, "aws:sns/topic:Topic", {}, ["kmsMasterKeyId is not set"]],
  [
    "topic with alias/aws/sns ARN",
    kms.snsTopicCmk,
    "aws:sns/topic:Topic",
    { kmsMasterKeyId: "arn:aws:kms:us-east-1:111122223333:alias/aws/sns" },
    ['kmsMasterKeyId is the AWS-managed key "arn:aws:kms:us-east-1:111122223333:alias/aws/sns"'],
  ],
  // Logs
  [
    "log group with key",
    kms.logGroupCmk,
    "aws:cloudwatch/logGroup:LogGroup",
    { kmsKeyId: KEY },
    [],
  ],
  [
    "log group without key",
    kms.logGroupCmk,
    "aws:cloudwatch/logGroup:LogGroup",
    { retentionInDays: 30 },
    ["kmsKeyId is not set"],
  ],
  // EKS
  [
    "aws eks cluster with secrets key",
    kms.eksSecretsCmk,
    "aws:eks/cluster:Cluster",
    { encryptionConfig: { provider: { keyArn: KEY }, resources: ["secrets"] } },
    [],
  ],
  [
    "aws eks cluster without encryption",
    kms.eksSecretsCmk,
    "aws:eks/cluster:Cluster",
    {},
    ["encryptionConfig is not set"],
  ],
  [
    "aws eks cluster without key",
    kms.eksSecretsCmk,
    "aws:eks/cluster:Cluster",
    { encryptionConfig: { provider: {}, resources: ["secrets"] } },
    ["encryptionConfig.provider.keyArn is not set"],
  ],
  [
    "aws eks cluster not encrypting secrets",
    kms.eksSecretsCmk,
    "aws:eks/cluster:Cluster",
    { encryptionConfig: { provider: { keyArn: KEY }, resources: [] } },
    ['encryptionConfig.resources does not include "secrets"'],
  ],
  [
    // A remote component: the analyzer sees it with empty inputs; its child cluster is judged.
    "the eks.Cluster component, as the engine shows it (no inputs)",
    kms.eksSecretsCmk,
    "eks:index:Cluster",
    {},
    [],
  ],
  // ECR
  [
    "repository with KMS key",
    kms.ecrRepositoryCmk,
    "aws:ecr/repository:Repository",
    { encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: KEY }] },
    [],
  ],
  [
    "repository default encryption",
    kms.ecrRepositoryCmk,
    "aws:ecr/repository:Repository",
    {},
    ["encryptionConfigurations is not set (AES256 is used)"],
  ],
  [
    "repository AES256",
    kms.ecrRepositoryCmk,
    "aws:ecr/repository:Repository",
    { encryptionConfigurations: [{ encryptionType: "AES256" }] },
    ['encryptionConfigurations[0].encryptionType is "AES256"'],
  ],
  [
    "repository KMS without key",
    kms.ecrRepositoryCmk,
    "aws:ecr/repository:Repository",
    { encryptionConfigurations: [{ encryptionType: "KMS" }] },
    ["encryptionConfigurations[0].kmsKey is not set"],
  ],
  // Lambda
  [
    "function without environment",
    kms.lambdaEnvironmentCmk,
    "aws:lambda/function:Function",
    { runtime: "nodejs20.x" },
    [],
  ],
  [
    "function with variables and key",
    kms.lambdaEnvironmentCmk,
    "aws:lambda/function:Function",
    { environment: { variables: { A: "1" } }, kmsKeyArn: KEY },
    [],
  ],
  [
    "function with variables, no key",
    kms.lambdaEnvironmentCmk,
    "aws:lambda/function:Function",
    { environment: { variables: { A: "1" } } },
    ["kmsKeyArn is not set"],
  ],
  // EBS
  [
    "volume encrypted with key",
    kms.ebsVolumeCmk,
    "aws:ebs/volume:Volume",
    { encrypted: true, kmsKeyId: KEY, size: 20 },
    [],
  ],
  [
    "volume unencrypted",
    kms.ebsVolumeCmk,
    "aws:ebs/volume:Volume",
    { size: 20 },
    ["encrypted is not true"],
  ],
  [
    "volume encrypted with default key",
    kms.ebsVolumeCmk,
    "aws:ebs/volume:Volume",
    { encrypted: true },
    ["kmsKeyId is not set"],
  ],
  [
    "launch template encrypted with key",
    kms.ec2BlockDeviceCmk,
    "aws:ec2/launchTemplate:LaunchTemplate",
    {
      blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true", kmsKeyId: KEY } }],
    },
    [],
  ],
  [
    "launch template unencrypted",
    kms.ec2BlockDeviceCmk,
    "aws:ec2/launchTemplate:LaunchTemplate",
    { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "false" } }] },
    ["blockDeviceMappings[0].ebs.encrypted is not true"],
  ],
  [
    "launch template without key",
    kms.ec2BlockDeviceCmk,
    "aws:ec2/launchTemplate:LaunchTemplate",
    { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true" } }] },
    ["blockDeviceMappings[0].ebs.kmsKeyId is not set"],
  ],
  [
    "instance root volume unencrypted",
    kms.ec2BlockDeviceCmk,
    "aws:ec2/instance:Instance",
    { rootBlockDevice: { volumeSize: 20 } },
    ["rootBlockDevice.encrypted is not true"],
  ],
  // RDS
  [
    "aurora cluster with key",
    kms.rdsStorageCmk,
    "aws:rds/cluster:Cluster",
    { engine: "aurora-postgresql", storageEncrypted: true, kmsKeyId: KEY },
    [],
  ],
  [
    "aurora cluster unencrypted",
    kms.rdsStorageCmk,
    "aws:rds/cluster:Cluster",
    { engine: "aurora-postgresql" },
    ["storageEncrypted is not true"],
  ],
  [
    "rds instance with default key",
    kms.rdsStorageCmk,
    "aws:rds/instance:Instance",
    { storageEncrypted: true },
    ["kmsKeyId is not set"],
  ],
  // Secrets Manager
  [
    "secret with key and replica key",
    kms.secretsManagerCmk,
    "aws:secretsmanager/secret:Secret",
    { kmsKeyId: KEY, replicas: [{ region: "eu-central-1", kmsKeyId: KEY }] },
    [],
  ],
  [
    "secret with aws/secretsmanager",
    kms.secretsManagerCmk,
    "aws:secretsmanager/secret:Secret",
    { kmsKeyId: "alias/aws/secretsmanager" },
    ['kmsKeyId is the AWS-managed key "alias/aws/secretsmanager"'],
  ],
  [
    "secret replica without key",
    kms.secretsManagerCmk,
    "aws:secretsmanager/secret:Secret",
    { kmsKeyId: KEY, replicas: [{ region: "eu-central-1" }] },
    ["replicas[0].kmsKeyId is not set"],
  ],
  // Kinesis
  [
    "stream with CMK",
    kms.kinesisStreamCmk,
    "aws:kinesis/stream:Stream",
    { encryptionType: "KMS", kmsKeyId: KEY },
    [],
  ],
  [
    "stream unencrypted",
    kms.kinesisStreamCmk,
    "aws:kinesis/stream:Stream",
    {},
    ['encryptionType is "NONE"'],
  ],
  [
    "stream with alias/aws/kinesis",
    kms.kinesisStreamCmk,
    "aws:kinesis/stream:Stream",
    { encryptionType: "KMS", kmsKeyId: "alias/aws/kinesis" },
    ['kmsKeyId is the AWS-managed key "alias/aws/kinesis"'],
  ],
  // Key rotation
  ["symmetric key rotated", kms.kmsKeyRotation, "aws:kms/key:Key", { enableKeyRotation: true }, []],
  [
    "symmetric key not rotated",
    kms.kmsKeyRotation,
    "aws:kms/key:Key",
    { multiRegion: true },
    ["enableKeyRotation is not true"],
  ],
  [
    "asymmetric signing key without rotation",
    kms.kmsKeyRotation,
    "aws:kms/key:Key",
    { customerMasterKeySpec: "ECC_NIST_P256", keyUsage: "SIGN_VERIFY", enableKeyRotation: false },
    [],
  ],
];

describe.each(cases)("%s", (_label, policy, type, inputs, details) => {
  it(`${details.length === 0 ? "passes" : "fails"} ${policy.name}`, () => {
    expect(findings(type, inputs)).toEqual(expected(policy, details));
  });
});

describe("kms-key-policy-no-wildcard-principal", () => {
  const policy = (statement: Record<string, unknown>) =>
    JSON.stringify({ Version: "2012-10-17", Statement: [statement] });
  const grant = { Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: "*" };

  it.each([
    ["an account principal", { ...grant, Principal: { AWS: "arn:aws:iam::111122223333:root" } }],
    [
      "a wildcard narrowed by kms:CallerAccount",
      {
        ...grant,
        Principal: { AWS: "*" },
        Condition: { StringEquals: { "kms:CallerAccount": "111122223333" } },
      },
    ],
    ["a wildcard in a Deny", { ...grant, Effect: "Deny", Principal: "*" }],
  ])("passes with %s", (_label, statement) => {
    expect(
      findings("aws:kms/key:Key", { enableKeyRotation: true, policy: policy(statement) }),
    ).toEqual([]);
  });

  it.each([
    ["Principal *", { ...grant, Principal: "*" }],
    ["AWS *", { ...grant, Principal: { AWS: ["*"] } }],
    [
      "a condition that does not narrow",
      {
        ...grant,
        Principal: "*",
        Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } },
      },
    ],
    [
      "a wildcard-valued narrowing key",
      { ...grant, Principal: "*", Condition: { StringLike: { "aws:PrincipalOrgID": "*" } } },
    ],
  ])("fails a key with %s", (_label, statement) => {
    expect(
      findings("aws:kms/key:Key", { enableKeyRotation: true, policy: policy(statement) }),
    ).toEqual(
      expected(kms.kmsKeyPolicyPrincipal, [
        "policy: policy Statement[0]: Allow to a wildcard principal without a narrowing condition",
      ]),
    );
  });

  it("fails a replica key with NotPrincipal", () => {
    const statement = { ...grant, NotPrincipal: { AWS: "arn:aws:iam::111122223333:root" } };
    expect(findings("aws:kms/replicaKey:ReplicaKey", { policy: policy(statement) })).toEqual(
      expected(kms.kmsKeyPolicyPrincipal, [
        "policy: policy Statement[0]: Allow with NotPrincipal grants to every principal but the listed ones",
      ]),
    );
  });
});

describe("values unknown during preview", () => {
  it.each([
    ["a queue key", "aws:sqs/queue:Queue", { kmsMasterKeyId: UNKNOWN }],
    ["a table's whole SSE block", "aws:dynamodb/table:Table", { serverSideEncryption: UNKNOWN }],
    [
      "a replica list",
      "aws:dynamodb/table:Table",
      { serverSideEncryption: { enabled: true, kmsKeyArn: KEY }, replicas: UNKNOWN },
    ],
    ["an eks component key", "eks:index:Cluster", { encryptionConfigKeyArn: UNKNOWN }],
    ["a key policy", "aws:kms/key:Key", { enableKeyRotation: true, policy: UNKNOWN }],
    [
      "lambda variables",
      "aws:lambda/function:Function",
      { environment: { variables: UNKNOWN }, kmsKeyArn: UNKNOWN },
    ],
    ["an awsx VPC component", "awsx:ec2:Vpc", { cidrBlock: UNKNOWN, subnetStrategy: "Auto" }],
  ])("accepts %s without crashing", (_label, type, inputs) => {
    expect(findings(type, inputs)).toEqual([]);
  });

  it("still judges the known part next to an unknown one", () => {
    expect(
      findings("aws:dynamodb/table:Table", {
        serverSideEncryption: { enabled: true, kmsKeyArn: UNKNOWN },
        replicas: [{ regionName: "eu-central-1" }],
      }),
    ).toEqual(expected(kms.dynamodbTableCmk, ["replicas[0].kmsKeyArn (eu-central-1) is not set"]));
  });
});

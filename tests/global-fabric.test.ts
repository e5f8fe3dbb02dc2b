/** GlobalFabric under the recording mock monitor: exact resources, inputs and protection. */
import { describe, expect, it } from "vitest";
import type { GlobalFabricArgs } from "../components/global/fabric";
import { createHandler } from "../functions/consumer/handler";
import { forwardingPattern } from "../components/global/forwarding-plan";
import { regionalFabricSchema } from "../lib/contract";
import { regionCode, type AwsRegion } from "../lib/regions";
import type { RecordedResource } from "../plan/record";
import { countByType, evaluateFabric, ofType, providerRegion } from "./global-helpers";

const TWO = ["us-east-1", "eu-central-1"] as const satisfies readonly AwsRegion[];
const THREE = [
  "us-east-1",
  "eu-central-1",
  "ap-northeast-1",
] as const satisfies readonly AwsRegion[];
const FOUR = [...THREE, "us-west-2"] as const satisfies readonly AwsRegion[];

const args = (
  regions: readonly AwsRegion[],
  extra: Partial<GlobalFabricArgs> = {},
): GlobalFabricArgs => ({
  homeRegion: "us-east-1",
  regions,
  services: ["svc-a", "svc-b"],
  ...extra,
});

/** The resource counts that follow from n regions and s services. */
function expectedCounts(n: number, s: number): Record<string, number> {
  const pairs = n * (n - 1);
  return {
    "aws:cloudwatch/eventBus:EventBus": n,
    "aws:cloudwatch/eventRule:EventRule": pairs,
    "aws:cloudwatch/eventTarget:EventTarget": pairs,
    "aws:dynamodb/table:Table": 1,
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": n * s,
    "aws:ecr/replicationConfiguration:ReplicationConfiguration": 1,
    "aws:ecr/repository:Repository": n * s,
    "aws:iam/role:Role": 2 * n,
    "aws:iam/rolePolicy:RolePolicy": 2 * n,
    "aws:kms/alias:Alias": n,
    "aws:kms/key:Key": 1,
    "aws:kms/replicaKey:ReplicaKey": n - 1,
    "aws:s3/bucket:Bucket": n,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": n,
    "aws:s3/bucketPolicy:BucketPolicy": n,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": n,
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": n,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": n,
    "aws:s3/bucketVersioning:BucketVersioning": n,
    "aws:sqs/queue:Queue": n,
    "aws:sqs/queuePolicy:QueuePolicy": n,
    "platform:global:Buckets": 1,
    "platform:global:Events": 1,
    "platform:global:Fabric": 1,
    "platform:global:Keys": 1,
    "platform:global:Registry": 1,
    "platform:global:Table": 1,
    "pulumi:providers:aws": n,
    "pulumi:pulumi:Stack": 1,
  };
}

/** The EC2 Auto Scaling service-linked role of the mocks' account. */
const AUTO_SCALING_ROLE =
  "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling";

const one = (records: readonly RecordedResource[], type: string): RecordedResource => {
  const found = ofType(records, type);
  expect(found).toHaveLength(1);
  return found[0];
};

/** Region -> ARN of that region's key, as the mocks answered. */
function keyArns(records: readonly RecordedResource[]): Record<string, string> {
  return Object.fromEntries(
    [
      ...ofType(records, "aws:kms/key:Key"),
      ...ofType(records, "aws:kms/replicaKey:ReplicaKey"),
    ].map((k) => [providerRegion(records, k), String(k.outputs.arn)]),
  );
}

const rules = (records: readonly RecordedResource[]) =>
  ofType(records, "aws:s3/bucketReplicationConfig:BucketReplicationConfig").flatMap((c) =>
    (c.inputs.rules as Array<{ destination: { bucket: string } }>).map((rule) => ({
      config: c,
      rule,
    })),
  );

describe("GlobalFabric over two regions", async () => {
  const ev = await evaluateFabric(args(TWO));
  const { records } = ev;

  it("creates exactly the resources two regions and two services need", () => {
    expect(countByType(records)).toEqual(expectedCounts(2, 2));
  });

  it("has one explicit provider per region, named from the component and the region", () => {
    expect(ofType(records, "pulumi:providers:aws").map((p) => [p.name, p.inputs.region])).toEqual([
      ["platform-us-east-1", "us-east-1"],
      ["platform-eu-central-1", "eu-central-1"],
    ]);
  });

  it("gives every AWS resource the provider of the region in its name", () => {
    const regional = records.filter((r) => r.custom && r.type.startsWith("aws:"));
    for (const r of regional) {
      // Per-region children carry the region; per-pair ones start with the source's code.
      const region =
        TWO.find((reg) => r.name.endsWith(reg)) ??
        TWO.find((reg) => r.name.includes(`-${regionCode(reg)}-to-`));
      const expected = region ?? "us-east-1";
      expect([r.name, providerRegion(records, r)]).toEqual([r.name, expected]);
    }
  });

  it("expires the consumer's idempotency records through the table's TTL attribute", async () => {
    const ttl = one(records, "aws:dynamodb/table:Table").inputs.ttl as {
      enabled: boolean;
      attributeName: string;
    };
    expect(ttl.enabled).toBe(true);
    // What the consumer really writes: DynamoDB TTL needs a Number in epoch seconds.
    const written: Array<Record<string, { S: string } | { N: string }>> = [];
    const handle = createHandler({
      client: { putItem: async (input) => void written.push(input.Item) },
      tableName: "platform-global",
      region: "us-east-1",
      now: () => new Date("2026-12-01T00:00:00Z"),
    });
    await handle({
      id: "e1",
      source: "platform.svc-a",
      "detail-type": "thing",
      region: "us-east-1",
      time: "2026-12-01T00:00:00Z",
      detail: {},
    });
    const expiry = written[0][ttl.attributeName] as { N: string };
    expect(Number(expiry.N)).toBe(Date.parse("2026-12-08T00:00:00Z") / 1000);
  });

  it("creates the table in the home region with one replica, on its region's key, with PITR", () => {
    const table = one(records, "aws:dynamodb/table:Table");
    const keys = keyArns(records);
    expect(providerRegion(records, table)).toBe("us-east-1");
    expect(table.inputs).toEqual({
      name: "platform-global",
      billingMode: "PAY_PER_REQUEST",
      hashKey: "pk",
      rangeKey: "sk",
      attributes: [
        { name: "pk", type: "S" },
        { name: "sk", type: "S" },
      ],
      streamEnabled: true,
      streamViewType: "NEW_AND_OLD_IMAGES",
      deletionProtectionEnabled: true,
      pointInTimeRecovery: { enabled: true },
      ttl: { enabled: true, attributeName: "expiresAt" },
      serverSideEncryption: { enabled: true, kmsKeyArn: keys["us-east-1"] },
      replicas: [
        {
          regionName: "eu-central-1",
          kmsKeyArn: keys["eu-central-1"],
          pointInTimeRecovery: true,
          deletionProtectionEnabled: true,
          propagateTags: true,
        },
      ],
    });
  });

  it("makes a multi-region primary key with rotation and a replica key elsewhere", () => {
    const primary = one(records, "aws:kms/key:Key");
    expect(primary.inputs).toMatchObject({
      multiRegion: true,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
    });
    const replica = one(records, "aws:kms/replicaKey:ReplicaKey");
    expect(replica.inputs.primaryKeyArn).toBe(primary.outputs.arn);
    expect(providerRegion(records, replica)).toBe("eu-central-1");
  });

  it("writes key policies without a wildcard principal", () => {
    for (const key of [
      ...ofType(records, "aws:kms/key:Key"),
      ...ofType(records, "aws:kms/replicaKey:ReplicaKey"),
    ]) {
      const region = providerRegion(records, key);
      const policy = JSON.parse(String(key.inputs.policy));
      const principals = policy.Statement.map((s: { Principal: unknown }) => s.Principal);
      expect(principals).toEqual([
        { AWS: "arn:aws:iam::123456789012:root" },
        { Service: "events.amazonaws.com" },
        { Service: "events.amazonaws.com" },
        { Service: "events.amazonaws.com" },
        { Service: `logs.${region}.amazonaws.com` },
        { Service: "cloudwatch.amazonaws.com" },
        { AWS: AUTO_SCALING_ROLE },
        { AWS: AUTO_SCALING_ROLE },
      ]);
    }
  });

  it("lets the replica's region's services use the replica key, narrowed to this account and region", () => {
    const replica = one(records, "aws:kms/replicaKey:ReplicaKey");
    expect(providerRegion(records, replica)).toBe("eu-central-1");
    expect(JSON.parse(String(replica.inputs.policy))).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "EnableIamPolicies",
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::123456789012:root" },
          Action: "kms:*",
          Resource: "*",
        },
        {
          Sid: "AllowEventBridgeForThisAccountsBuses",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: ["kms:Decrypt", "kms:GenerateDataKey"],
          Resource: "*",
          Condition: {
            StringEquals: { "aws:SourceAccount": "123456789012" },
            ArnLike: {
              "aws:SourceArn": "arn:aws:events:eu-central-1:123456789012:event-bus/*",
            },
          },
        },
        {
          Sid: "AllowEventBridgeToDescribeTheKey",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "kms:DescribeKey",
          Resource: "*",
        },
        {
          // The statement SNS and SQS document for a service sending to an encrypted topic or
          // queue: no condition (aws:Source* keys are not supported for EventBridge there).
          Sid: "AllowEventBridgeToEncryptedTopicsAndQueues",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
          Resource: "*",
        },
        {
          Sid: "AllowCloudWatchLogsForThisRegionsLogGroups",
          Effect: "Allow",
          Principal: { Service: "logs.eu-central-1.amazonaws.com" },
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
              "kms:EncryptionContext:aws:logs:arn":
                "arn:aws:logs:eu-central-1:123456789012:log-group:*",
            },
          },
        },
        {
          Sid: "AllowCloudWatchAlarmsToPublishToEncryptedTopics",
          Effect: "Allow",
          Principal: { Service: "cloudwatch.amazonaws.com" },
          Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
          Resource: "*",
          Condition: {
            StringEquals: { "aws:SourceAccount": "123456789012" },
            ArnLike: { "aws:SourceArn": "arn:aws:cloudwatch:eu-central-1:123456789012:alarm:*" },
          },
        },
        {
          Sid: "AllowAutoScalingForNodeVolumes",
          Effect: "Allow",
          Principal: { AWS: AUTO_SCALING_ROLE },
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
          Principal: { AWS: AUTO_SCALING_ROLE },
          Action: "kms:CreateGrant",
          Resource: "*",
          Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
        },
      ],
    });
  });

  it("scopes the primary key's service statements to the home region", () => {
    const primary = one(records, "aws:kms/key:Key");
    expect(providerRegion(records, primary)).toBe("us-east-1");
    const statements = JSON.parse(String(primary.inputs.policy)).Statement as Array<{
      Sid: string;
    }>;
    const bySid = Object.fromEntries(statements.map(({ Sid, ...rest }) => [Sid, rest]));
    expect(Object.keys(bySid)).toEqual([
      "EnableIamPolicies",
      "AllowEventBridgeForThisAccountsBuses",
      "AllowEventBridgeToDescribeTheKey",
      "AllowEventBridgeToEncryptedTopicsAndQueues",
      "AllowCloudWatchLogsForThisRegionsLogGroups",
      "AllowCloudWatchAlarmsToPublishToEncryptedTopics",
      "AllowAutoScalingForNodeVolumes",
      "AllowAutoScalingToAttachNodeVolumes",
    ]);
    expect(bySid.AllowEventBridgeToEncryptedTopicsAndQueues).not.toHaveProperty("Condition");
    expect(bySid.AllowEventBridgeForThisAccountsBuses).toMatchObject({
      Condition: {
        ArnLike: { "aws:SourceArn": "arn:aws:events:us-east-1:123456789012:event-bus/*" },
      },
    });
    expect(bySid.AllowCloudWatchLogsForThisRegionsLogGroups).toEqual({
      Effect: "Allow",
      Principal: { Service: "logs.us-east-1.amazonaws.com" },
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
          "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:*",
        },
      },
    });
    expect(bySid.AllowCloudWatchAlarmsToPublishToEncryptedTopics).toEqual({
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: "*",
      Condition: {
        StringEquals: { "aws:SourceAccount": "123456789012" },
        ArnLike: { "aws:SourceArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:*" },
      },
    });
    expect(bySid.AllowAutoScalingForNodeVolumes).toEqual({
      Effect: "Allow",
      Principal: { AWS: AUTO_SCALING_ROLE },
      Action: [
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey*",
        "kms:ReEncrypt*",
      ],
      Resource: "*",
    });
    expect(bySid.AllowAutoScalingToAttachNodeVolumes).toEqual({
      Effect: "Allow",
      Principal: { AWS: AUTO_SCALING_ROLE },
      Action: "kms:CreateGrant",
      Resource: "*",
      Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
    });
  });

  it("replicates each bucket to the other with RTC, delete markers and the destination's key", () => {
    const keys = keyArns(records);
    const buckets = Object.fromEntries(
      ofType(records, "aws:s3/bucket:Bucket").map((b) => [
        providerRegion(records, b),
        String(b.outputs.arn),
      ]),
    );
    const found = Object.fromEntries(
      rules(records).map(({ config, rule }) => [providerRegion(records, config), rule]),
    );
    expect(Object.keys(found)).toHaveLength(2);
    expect(
      Object.fromEntries([
        [
          "us-east-1",
          {
            id: "to-eu-central-1",
            priority: 1,
            status: "Enabled",
            filter: {},
            deleteMarkerReplication: { status: "Enabled" },
            sourceSelectionCriteria: {
              replicaModifications: { status: "Enabled" },
              sseKmsEncryptedObjects: { status: "Enabled" },
            },
            destination: {
              bucket: buckets["eu-central-1"],
              encryptionConfiguration: { replicaKmsKeyId: keys["eu-central-1"] },
              replicationTime: { status: "Enabled", time: { minutes: 15 } },
              metrics: { status: "Enabled", eventThreshold: { minutes: 15 } },
            },
          },
        ],
        [
          "eu-central-1",
          {
            id: "to-us-east-1",
            priority: 1,
            status: "Enabled",
            filter: {},
            deleteMarkerReplication: { status: "Enabled" },
            sourceSelectionCriteria: {
              replicaModifications: { status: "Enabled" },
              sseKmsEncryptedObjects: { status: "Enabled" },
            },
            destination: {
              bucket: buckets["us-east-1"],
              encryptionConfiguration: { replicaKmsKeyId: keys["us-east-1"] },
              replicationTime: { status: "Enabled", time: { minutes: 15 } },
              metrics: { status: "Enabled", eventThreshold: { minutes: 15 } },
            },
          },
        ],
      ]),
    ).toEqual(found);
  });

  it("encrypts every data service with its own region's key", () => {
    const keys = keyArns(records);
    const region = (r: RecordedResource) => providerRegion(records, r);
    for (const sse of ofType(
      records,
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    )) {
      expect(sse.inputs.rules).toEqual([
        {
          applyServerSideEncryptionByDefault: {
            sseAlgorithm: "aws:kms",
            kmsMasterKeyId: keys[region(sse)],
          },
          bucketKeyEnabled: true,
        },
      ]);
    }
    for (const q of ofType(records, "aws:sqs/queue:Queue"))
      expect(q.inputs.kmsMasterKeyId).toBe(keys[region(q)]);
    for (const b of ofType(records, "aws:cloudwatch/eventBus:EventBus")) {
      expect(b.inputs.kmsKeyIdentifier).toBe(keys[region(b)]);
    }
    for (const repo of ofType(records, "aws:ecr/repository:Repository")) {
      expect(repo.inputs).toMatchObject({
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: keys[region(repo)] }],
      });
    }
  });

  it("lets S3 assume each replication role with the trust S3 documents (no condition keys)", () => {
    const roles = ofType(records, "aws:iam/role:Role").filter((r) =>
      r.name.includes("replication"),
    );
    expect(roles).toHaveLength(2);
    for (const role of roles) {
      expect(JSON.parse(String(role.inputs.assumeRolePolicy)).Statement).toEqual([
        {
          Sid: "AssumedByService",
          Effect: "Allow",
          Principal: { Service: "s3.amazonaws.com" },
          Action: "sts:AssumeRole",
        },
      ]);
    }
  });

  it("scopes each replication role to its source and destination buckets and keys", () => {
    const policies = ofType(records, "aws:iam/rolePolicy:RolePolicy").filter((p) =>
      p.name.includes("replication"),
    );
    const fromUs = JSON.parse(
      String(policies.find((p) => p.name.endsWith("us-east-1"))!.inputs.policy),
    );
    const keys = keyArns(records);
    expect(
      fromUs.Statement.map((s: { Sid: string; Resource: unknown }) => [s.Sid, s.Resource]),
    ).toEqual([
      ["ReadSourceConfiguration", "arn:aws:s3:::platform-use1-123456789012"],
      ["ReadSourceVersions", "arn:aws:s3:::platform-use1-123456789012/*"],
      ["ReplicateIntoDestinations", ["arn:aws:s3:::platform-euc1-123456789012/*"]],
      ["DecryptSource", keys["us-east-1"]],
      ["EncryptIntoeucentral1", keys["eu-central-1"]],
    ]);
  });

  it("lets each replication role use the keys only through S3, for the buckets it replicates", () => {
    const policy = ofType(records, "aws:iam/rolePolicy:RolePolicy").find(
      (p) => p.name.includes("replication") && p.name.endsWith("eu-central-1"),
    )!;
    const keys = keyArns(records);
    const kms = JSON.parse(String(policy.inputs.policy)).Statement.filter((s: { Sid: string }) =>
      ["DecryptSource", "EncryptIntouseast1"].includes(s.Sid),
    );
    expect(kms).toEqual([
      {
        Sid: "DecryptSource",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: keys["eu-central-1"],
        Condition: {
          StringEquals: { "kms:ViaService": "s3.eu-central-1.amazonaws.com" },
          StringLike: {
            "kms:EncryptionContext:aws:s3:arn": [
              "arn:aws:s3:::platform-euc1-123456789012",
              "arn:aws:s3:::platform-euc1-123456789012/*",
            ],
          },
        },
      },
      {
        Sid: "EncryptIntouseast1",
        Effect: "Allow",
        Action: ["kms:Encrypt", "kms:GenerateDataKey"],
        Resource: keys["us-east-1"],
        Condition: {
          StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" },
          StringLike: {
            "kms:EncryptionContext:aws:s3:arn": [
              "arn:aws:s3:::platform-use1-123456789012",
              "arn:aws:s3:::platform-use1-123456789012/*",
            ],
          },
        },
      },
    ]);
  });

  it("grants no wildcard action in any IAM policy", () => {
    for (const p of ofType(records, "aws:iam/rolePolicy:RolePolicy")) {
      const actions = JSON.parse(String(p.inputs.policy)).Statement.flatMap(
        (s: { Action: string | string[] }) => [s.Action].flat(),
      );
      expect(actions.filter((a: string) => a.includes("*"))).toEqual([]);
    }
  });

  it("forwards each bus to the other, matching only events that originated locally", () => {
    const busArns = Object.fromEntries(
      ofType(records, "aws:cloudwatch/eventBus:EventBus").map((b) => [
        providerRegion(records, b),
        b.outputs.arn,
      ]),
    );
    const queues = Object.fromEntries(
      ofType(records, "aws:sqs/queue:Queue").map((q) => [
        providerRegion(records, q),
        q.outputs.arn,
      ]),
    );
    const targets = ofType(records, "aws:cloudwatch/eventTarget:EventTarget");
    expect(
      ofType(records, "aws:cloudwatch/eventRule:EventRule")
        .map((rule) => {
          const source = providerRegion(records, rule) as AwsRegion;
          const target = targets.find((t) => t.name === rule.name)!;
          return {
            name: rule.name,
            bus: rule.inputs.eventBusName,
            pattern: JSON.parse(String(rule.inputs.eventPattern)),
            target: target.inputs.arn,
            dlq: (target.inputs.deadLetterConfig as { arn: string }).arn,
            expectedPattern: forwardingPattern(source),
            expectedDlq: queues[source],
          };
        })
        .sort((a, b) => a.name.localeCompare(b.name)),
    ).toEqual([
      {
        name: "platform-forward-euc1-to-use1",
        bus: "platform-events",
        pattern: { detail: { originRegion: ["eu-central-1"] } },
        target: busArns["us-east-1"],
        dlq: queues["eu-central-1"],
        expectedPattern: { detail: { originRegion: ["eu-central-1"] } },
        expectedDlq: queues["eu-central-1"],
      },
      {
        name: "platform-forward-use1-to-euc1",
        bus: "platform-events",
        pattern: { detail: { originRegion: ["us-east-1"] } },
        target: busArns["eu-central-1"],
        dlq: queues["us-east-1"],
        expectedPattern: { detail: { originRegion: ["us-east-1"] } },
        expectedDlq: queues["us-east-1"],
      },
    ]);
  });

  it("lets each forwarding role put events on exactly the other region's bus", () => {
    const policy = ofType(records, "aws:iam/rolePolicy:RolePolicy").find(
      (p) => p.name === "platform-forwarding-us-east-1",
    )!;
    expect(JSON.parse(String(policy.inputs.policy)).Statement).toEqual([
      {
        Sid: "PutEventsOnOtherRegionsBuses",
        Effect: "Allow",
        Action: "events:PutEvents",
        Resource: ["arn:aws:events:eu-central-1:123456789012:event-bus/platform-events"],
      },
    ]);
  });

  it("replicates the registry from the home region to the other region, for the platform's repositories", () => {
    const replication = one(records, "aws:ecr/replicationConfiguration:ReplicationConfiguration");
    expect(providerRegion(records, replication)).toBe("us-east-1");
    expect(replication.inputs.replicationConfiguration).toEqual({
      rules: [
        {
          destinations: [{ region: "eu-central-1", registryId: "123456789012" }],
          repositoryFilters: [{ filter: "platform/", filterType: "PREFIX_MATCH" }],
        },
      ],
    });
    const euRepos = ofType(records, "aws:ecr/repository:Repository").filter((r) =>
      r.name.endsWith("eu-central-1"),
    );
    expect(replication.dependencies).toEqual(expect.arrayContaining(euRepos.map((r) => r.urn)));
    expect(euRepos).toHaveLength(2);
  });

  it("protects every stateful resource, and only those", () => {
    const stateful = [
      "aws:kms/key:Key",
      "aws:kms/replicaKey:ReplicaKey",
      "aws:dynamodb/table:Table",
      "aws:s3/bucket:Bucket",
      "aws:ecr/repository:Repository",
    ];
    const protectedNames = records.filter((r) => r.protect).map((r) => r.type);
    expect(new Set(protectedNames)).toEqual(new Set(stateful));
    for (const type of stateful)
      for (const r of ofType(records, type)) expect([r.name, r.protect]).toEqual([r.name, true]);
  });

  it("exports, per region, the contract's slice with that region's ARNs", () => {
    const regional = ev.outputs.regional as Record<string, unknown>;
    expect(Object.keys(regional)).toEqual([...TWO]);
    const eu = regionalFabricSchema.parse(regional["eu-central-1"]);
    expect(eu).toEqual({
      kmsKeyArn: keyArns(records)["eu-central-1"],
      tableName: "platform-global",
      tableArn: "arn:aws:dynamodb:eu-central-1:123456789012:table/platform-global",
      tableStreamArn:
        "arn:aws:dynamodb:eu-central-1:123456789012:table/platform-global/stream/2026-11-21T00:00:00.000",
      bucketName: "platform-euc1-123456789012",
      bucketArn: "arn:aws:s3:::platform-euc1-123456789012",
      busName: "platform-events",
      busArn: "arn:aws:events:eu-central-1:123456789012:event-bus/platform-events",
      ecrRepositoryUrls: {
        "svc-a": "123456789012.dkr.ecr.eu-central-1.amazonaws.com/platform/svc-a",
        "svc-b": "123456789012.dkr.ecr.eu-central-1.amazonaws.com/platform/svc-b",
      },
    });
    expect(regionalFabricSchema.parse(regional["us-east-1"]).tableArn).toBe(
      "arn:aws:dynamodb:us-east-1:123456789012:table/platform-global",
    );
  });
});

describe("GlobalFabric over three regions", async () => {
  const { records } = await evaluateFabric(args(THREE, { services: ["svc-a"] }));

  it("creates exactly the resources three regions and one service need", () => {
    expect(countByType(records)).toEqual(expectedCounts(3, 1));
  });

  it("has two table replicas, each on its own region's key", () => {
    const keys = keyArns(records);
    const replicas = one(records, "aws:dynamodb/table:Table").inputs.replicas as Array<
      Record<string, unknown>
    >;
    expect(replicas.map((r) => [r.regionName, r.kmsKeyArn, r.pointInTimeRecovery])).toEqual([
      ["eu-central-1", keys["eu-central-1"], true],
      ["ap-northeast-1", keys["ap-northeast-1"], true],
    ]);
  });

  it("replicates every ordered pair of buckets once, and forwards every ordered pair of buses once", () => {
    const bucketRegion = Object.fromEntries(
      ofType(records, "aws:s3/bucket:Bucket").map((b) => [
        b.outputs.arn,
        providerRegion(records, b),
      ]),
    );
    const replicationPairs = rules(records).map(({ config, rule }) => [
      providerRegion(records, config),
      bucketRegion[rule.destination.bucket],
    ]);
    const busRegion = Object.fromEntries(
      ofType(records, "aws:cloudwatch/eventBus:EventBus").map((b) => [
        b.outputs.arn,
        providerRegion(records, b),
      ]),
    );
    const forwardingPairs = ofType(records, "aws:cloudwatch/eventTarget:EventTarget").map((t) => [
      providerRegion(records, t),
      busRegion[String(t.inputs.arn)],
    ]);
    const expected = [
      ["us-east-1", "eu-central-1"],
      ["us-east-1", "ap-northeast-1"],
      ["eu-central-1", "us-east-1"],
      ["eu-central-1", "ap-northeast-1"],
      ["ap-northeast-1", "us-east-1"],
      ["ap-northeast-1", "eu-central-1"],
    ];
    // Registration order follows when each resource's inputs resolve; compare as sorted lists.
    const sorted = (pairs: string[][]) => pairs.map((p) => p.join(" -> ")).sort();
    expect(sorted(replicationPairs)).toEqual(sorted(expected));
    expect(sorted(forwardingPairs)).toEqual(sorted(expected));
  });
});

describe("GlobalFabric over four regions", async () => {
  const { records } = await evaluateFabric(args(FOUR, { services: ["svc-a"] }));

  it("gives three table replicas, twelve ordered replication rules and twelve forwarding paths", () => {
    expect((one(records, "aws:dynamodb/table:Table").inputs.replicas as unknown[]).length).toBe(3);
    expect(rules(records)).toHaveLength(12);
    expect(ofType(records, "aws:cloudwatch/eventRule:EventRule")).toHaveLength(12);
    expect(ofType(records, "aws:cloudwatch/eventTarget:EventTarget")).toHaveLength(12);
    expect(ofType(records, "aws:kms/replicaKey:ReplicaKey")).toHaveLength(3);
    expect(countByType(records)).toEqual(expectedCounts(4, 1));
  });
});

describe("GlobalFabric options", () => {
  it("without RTC replicates without a replication time", async () => {
    const { records } = await evaluateFabric(args(TWO, { replicationTimeControl: false }));
    expect(
      rules(records).map(({ rule }) => "replicationTime" in (rule.destination as object)),
    ).toEqual([false, false]);
  });

  it("with strong consistency over three US regions marks every replica STRONG", async () => {
    const { records } = await evaluateFabric(
      args(["us-east-1", "us-east-2", "us-west-2"], { tableConsistency: "strong" }),
    );
    const table = one(records, "aws:dynamodb/table:Table");
    expect(
      (table.inputs.replicas as Array<Record<string, unknown>>).map((r) => [
        r.regionName,
        r.consistencyMode,
      ]),
    ).toEqual([
      ["us-east-2", "STRONG"],
      ["us-west-2", "STRONG"],
    ]);
    expect(table.inputs.globalTableWitness).toBeUndefined();
  });

  it("with strong consistency over two regions adds the witness", async () => {
    const { records } = await evaluateFabric(
      args(["us-east-1", "us-east-2"], { tableConsistency: "strong", witnessRegion: "us-west-2" }),
    );
    const table = one(records, "aws:dynamodb/table:Table");
    expect(table.inputs.globalTableWitness).toEqual({ regionName: "us-west-2" });
    expect(
      (table.inputs.replicas as Array<Record<string, unknown>>).map((r) => r.consistencyMode),
    ).toEqual(["STRONG"]);
  });

  it("fails the stack on a strong table across region sets", async () => {
    await expect(
      evaluateFabric(args(TWO, { tableConsistency: "strong", witnessRegion: "us-west-2" })),
    ).rejects.toThrow(
      `stack "global": table.consistency "strong" needs all regions and the witness from one region set (us: us-east-1, us-east-2, us-west-2; eu: eu-west-1, eu-west-2, eu-west-3, eu-central-1; ap: ap-northeast-1, ap-northeast-2, ap-northeast-3); got us-east-1, eu-central-1, us-west-2`,
    );
  });

  it("with the global endpoint adds the endpoint, its health check and alarm in the home region", async () => {
    const { records } = await evaluateFabric(args(TWO, { eventBridgeGlobalEndpoint: true }));
    const endpoint = one(records, "aws:cloudwatch/eventEndpoint:EventEndpoint");
    const health = one(records, "aws:route53/healthCheck:HealthCheck");
    const alarm = one(records, "aws:cloudwatch/metricAlarm:MetricAlarm");
    const buses = ofType(records, "aws:cloudwatch/eventBus:EventBus").map((b) => b.outputs.arn);
    expect(endpoint.inputs).toEqual({
      name: "platform-events",
      description: "Publishers' failover between us-east-1 and eu-central-1",
      eventBuses: buses.map((eventBusArn) => ({ eventBusArn })),
      routingConfig: {
        failoverConfig: {
          primary: { healthCheck: health.outputs.arn },
          secondary: { route: "eu-central-1" },
        },
      },
      replicationConfig: { state: "DISABLED" },
    });
    expect(health.inputs).toMatchObject({
      type: "CLOUDWATCH_METRIC",
      cloudwatchAlarmName: alarm.outputs.name,
      cloudwatchAlarmRegion: "us-east-1",
    });
    expect([endpoint, health, alarm].map((r) => providerRegion(records, r))).toEqual([
      "us-east-1",
      "us-east-1",
      "us-east-1",
    ]);
  });

  it("rejects the global endpoint over three regions", async () => {
    await expect(evaluateFabric(args(THREE, { eventBridgeGlobalEndpoint: true }))).rejects.toThrow(
      'stack "global": events.globalEndpoint needs exactly two regions (a primary and a secondary); got 3 (us-east-1, eu-central-1, ap-northeast-1)',
    );
  });

  it("evaluates the same way as an update (preview: false)", async () => {
    const preview = await evaluateFabric(args(TWO), true);
    const update = await evaluateFabric(args(TWO), false);
    expect(countByType(update.records)).toEqual(countByType(preview.records));
    expect(update.outputs).toEqual(preview.outputs);
  });
});

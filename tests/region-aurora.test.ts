/**
 * A region's Aurora cluster under the mock monitor: the home region's is the global database's
 * primary (created with the global stack's master password: RDS-managed passwords are not
 * supported on global database members), every other region's a secondary (no credentials).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { requireAuroraGlobalCluster } from "../components/region/aurora";
import type { StackEvaluation } from "../plan/evaluate";
import {
  GLOBAL_CLUSTER_ID,
  KEY_ARN,
  MASTER_PASSWORD,
  evaluatePlatform,
  globalView,
  ofType,
  one,
  regionConfig,
} from "./region-helpers";

const CLUSTER = "aws:rds/cluster:Cluster";

describe("requireAuroraGlobalCluster", () => {
  it.each<[string, string, string | Error]>([
    ["eu-central-1", GLOBAL_CLUSTER_ID, GLOBAL_CLUSTER_ID],
    [
      "eu-central-1",
      "",
      new Error(
        "region eu-central-1 enables platform:aurora but the global stack exports no Aurora global cluster; set platform:aurora.enabled in Pulumi.global.yaml",
      ),
    ],
  ])("in %s with %j", (region, id, expected) => {
    if (expected instanceof Error) {
      expect(() => requireAuroraGlobalCluster(region, id)).toThrow(expected.message);
    } else {
      expect(requireAuroraGlobalCluster(region, id)).toBe(expected);
    }
  });
});

/** Evaluates a region with Aurora on, the global stack's home region being `home`. */
const evaluateAurora = (region: string, home: string, preview = false) =>
  evaluatePlatform(
    regionConfig((raw) => (raw.aurora = { enabled: true }), region),
    {
      preview,
      global: globalView("", { homeRegion: home, auroraGlobalClusterId: GLOBAL_CLUSTER_ID }),
    },
  );

/** What a primary and a secondary share: placement, encryption, protection, logs. */
const COMMON = {
  engine: "aurora-postgresql",
  engineVersion: "16.6",
  globalClusterIdentifier: GLOBAL_CLUSTER_ID,
  storageEncrypted: true,
  kmsKeyId: KEY_ARN,
  deletionProtection: true,
  backupRetentionPeriod: 7,
  copyTagsToSnapshot: true,
  finalSnapshotIdentifier: "platform-aurora-final",
  iamDatabaseAuthenticationEnabled: true,
  enabledCloudwatchLogsExports: ["postgresql"],
  performanceInsightsEnabled: true,
  performanceInsightsKmsKeyId: KEY_ARN,
};

describe.each<[string, string, "primary" | "secondary"]>([
  ["us-east-1", "us-east-1", "primary"],
  ["eu-central-1", "us-east-1", "secondary"],
  ["eu-central-1", "eu-central-1", "primary"],
])("Aurora in %s with home region %s", (region, home, role) => {
  let ev: StackEvaluation;
  beforeAll(async () => {
    ev = await evaluateAurora(region, home);
  });

  it(`is the global database's ${role}`, () => {
    const cluster = one(ev.records, CLUSTER);
    const { dbSubnetGroupName, vpcSecurityGroupIds, masterPassword, ...rest } = cluster.inputs;
    // A secondary's password is absent (null on the wire, which the provider reads as unset).
    const inputs = masterPassword === null ? rest : { ...rest, masterPassword };
    expect(inputs).toEqual(
      role === "primary"
        ? {
            ...COMMON,
            masterUsername: "platform",
            masterPassword: MASTER_PASSWORD,
          }
        : COMMON,
    );
    expect(dbSubnetGroupName).toBe(one(ev.records, "aws:rds/subnetGroup:SubnetGroup").outputs.name);
    expect(vpcSecurityGroupIds).toEqual([
      one(ev.records, "aws:ec2/securityGroup:SecurityGroup", "platform-network-database").id,
    ]);
    expect(cluster.protect).toBe(true);
    expect(cluster.name).toBe("platform-aurora-cluster");
  });

  it("keeps its data in the isolated subnets, reachable on 5432 from the nodes only", () => {
    const vpcOut = one(ev.records, "awsx:ec2:Vpc").outputs as { isolatedSubnetIds: string[] };
    expect(one(ev.records, "aws:rds/subnetGroup:SubnetGroup").inputs.subnetIds).toEqual(
      vpcOut.isolatedSubnetIds,
    );
    const db = one(ev.records, "aws:ec2/securityGroup:SecurityGroup", "platform-network-database");
    const nodes = one(ev.records, "aws:ec2/securityGroup:SecurityGroup", "platform-network-nodes");
    const toDb = ev.records.filter(
      (r) =>
        r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" &&
        r.inputs.securityGroupId === db.id,
    );
    expect(
      toDb.map((r) => [
        r.inputs.ipProtocol,
        r.inputs.fromPort,
        r.inputs.toPort,
        r.inputs.referencedSecurityGroupId,
      ]),
    ).toEqual([["tcp", 5432, 5432, nodes.id]]);
  });

  it("runs two protected private instances with encrypted Performance Insights", () => {
    const instances = ofType(ev.records, "aws:rds/clusterInstance:ClusterInstance");
    expect(
      instances.map((i) => [
        i.protect,
        i.inputs.publiclyAccessible,
        i.inputs.performanceInsightsKmsKeyId,
        i.inputs.instanceClass,
      ]),
    ).toEqual([
      [true, false, KEY_ARN, "db.r7g.large"],
      [true, false, KEY_ARN, "db.r7g.large"],
    ]);
  });
});

describe("Aurora options", () => {
  it("leaves Performance Insights off, and its key unset, when asked", async () => {
    const ev = await evaluatePlatform(
      regionConfig(
        (raw) =>
          (raw.aurora = { enabled: true, performanceInsights: false, backupRetentionDays: 14 }),
      ),
      { preview: false, global: globalView("", { auroraGlobalClusterId: GLOBAL_CLUSTER_ID }) },
    );
    const cluster = one(ev.records, CLUSTER);
    expect(cluster.inputs.performanceInsightsEnabled).toBe(false);
    expect(cluster.inputs.performanceInsightsKmsKeyId).toBeUndefined();
    expect(cluster.inputs.backupRetentionPeriod).toBe(14);
    for (const i of ofType(ev.records, "aws:rds/clusterInstance:ClusterInstance")) {
      expect([i.inputs.performanceInsightsEnabled, i.inputs.performanceInsightsKmsKeyId]).toEqual([
        false,
        undefined,
      ]);
    }
  });

  it("previews the same resources as an update", async () => {
    const preview = await evaluateAurora("eu-central-1", "us-east-1", true);
    const update = await evaluateAurora("eu-central-1", "us-east-1", false);
    expect(preview.records.map((r) => r.name).sort()).toEqual(
      update.records.map((r) => r.name).sort(),
    );
    expect(ofType(preview.records, CLUSTER)).toHaveLength(1);
  });
});

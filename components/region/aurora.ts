/**
 * Optional Aurora PostgreSQL (`aurora.enabled`): this region's secondary cluster of a global
 * database, in the isolated data subnets, encrypted with the region key, deletion-protected and
 * protected in Pulumi.
 *
 * Limitation: the global cluster (aws.rds.GlobalCluster) and its primary belong to the global
 * stack, which does not create them yet; until it does, `aurora.globalClusterIdentifier` names an
 * existing global database. A secondary has no master credentials of its own: they replicate.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface AuroraArgs {
  globalClusterIdentifier: string;
  engineVersion: string;
  instanceClass: string;
  /** @default 2 */
  instances?: number;
  dataSubnetIds: pulumi.Input<string[]>;
  securityGroupId: pulumi.Input<string>;
  kmsKeyArn: pulumi.Input<string>;
}

export class Aurora extends pulumi.ComponentResource {
  public readonly clusterArn: pulumi.Output<string>;
  public readonly readerEndpoint: pulumi.Output<string>;

  constructor(name: string, args: AuroraArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:region:Aurora", name, {}, opts);
    const parent = { parent: this };
    const stateful = { ...parent, protect: true };
    const subnets = new aws.rds.SubnetGroup(
      `${name}-data`,
      { subnetIds: args.dataSubnetIds },
      parent,
    );
    const cluster = new aws.rds.Cluster(
      `${name}-secondary`,
      {
        engine: "aurora-postgresql",
        engineVersion: args.engineVersion,
        globalClusterIdentifier: args.globalClusterIdentifier,
        dbSubnetGroupName: subnets.name,
        vpcSecurityGroupIds: [args.securityGroupId],
        storageEncrypted: true,
        kmsKeyId: args.kmsKeyArn,
        deletionProtection: true,
        backupRetentionPeriod: 7,
        copyTagsToSnapshot: true,
        finalSnapshotIdentifier: `${name}-final`,
        iamDatabaseAuthenticationEnabled: true,
        enabledCloudwatchLogsExports: ["postgresql"],
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: args.kmsKeyArn,
      },
      // A switchover promotes a secondary and rewrites this field; it is not ours to revert.
      { ...stateful, ignoreChanges: ["replicationSourceIdentifier", "globalClusterIdentifier"] },
    );
    for (let i = 0; i < (args.instances ?? 2); i++) {
      new aws.rds.ClusterInstance(
        `${name}-instance-${i}`,
        {
          clusterIdentifier: cluster.id,
          engine: "aurora-postgresql",
          engineVersion: args.engineVersion,
          instanceClass: args.instanceClass,
          dbSubnetGroupName: subnets.name,
          publiclyAccessible: false,
          performanceInsightsEnabled: true,
          performanceInsightsKmsKeyId: args.kmsKeyArn,
          autoMinorVersionUpgrade: true,
        },
        stateful,
      );
    }
    this.clusterArn = cluster.arn;
    this.readerEndpoint = cluster.readerEndpoint;
    this.registerOutputs({ clusterArn: this.clusterArn, readerEndpoint: this.readerEndpoint });
  }
}

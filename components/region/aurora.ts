/**
 * Optional Aurora PostgreSQL (`platform:aurora.enabled`): this region's cluster of the global
 * stack's Aurora global database, in the isolated data subnets, reachable on 5432 from the nodes
 * only (the network's database group), encrypted with the region key, deletion-protected and
 * protected in Pulumi.
 *
 * The home region's cluster is the primary: the first cluster of the global database, created with
 * the master password the global stack generated (RDS-managed passwords are not supported for
 * global databases: components/global/aurora.ts). Every other region's cluster is a secondary: it
 * names the global database only, and its data and credentials replicate from the primary. AWS refuses a secondary while the global
 * database has no primary, so the home region's stack is deployed first; a stack reference cannot
 * express that order across stacks (README, "Deploying for real").
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

const ENGINE = "aurora-postgresql";

/**
 * The global database's identifier from the global contract, or a clear error when the region
 * enables Aurora and the global stack has none ("" in the contract).
 */
export function requireAuroraGlobalCluster(region: string, globalClusterId: string): string {
  if (globalClusterId === "") {
    throw new Error(
      `region ${region} enables platform:aurora but the global stack exports no Aurora global cluster; set platform:aurora.enabled in Pulumi.global.yaml`,
    );
  }
  return globalClusterId;
}

export interface AuroraArgs {
  /** The global database this cluster joins (the global contract's auroraGlobalClusterId). */
  globalClusterIdentifier: pulumi.Input<string>;
  /** True in the home region: this cluster is the global database's primary. */
  primary: pulumi.Input<boolean>;
  /** The global database's version (the global contract's auroraEngineVersion). */
  engineVersion: pulumi.Input<string>;
  instanceClass: string;
  /** @default 2 */
  instances?: number;
  /** @default platform - the master user, on the primary only */
  masterUsername?: string;
  /** The global database's master password (the global contract's), used on the primary only. */
  masterPassword: pulumi.Input<string>;
  /** @default 7 */
  backupRetentionDays?: number;
  /** @default true - Performance Insights, encrypted with kmsKeyArn */
  performanceInsights?: boolean;
  /** The isolated data tier. */
  dataSubnetIds: pulumi.Input<string[]>;
  /** The database security group (5432 from the nodes only). */
  securityGroupId: pulumi.Input<string>;
  /** The region's customer-managed key (storage, Performance Insights, the master secret). */
  kmsKeyArn: pulumi.Input<string>;
}

export class Aurora extends pulumi.ComponentResource {
  public readonly clusterArn: pulumi.Output<string>;
  public readonly endpoint: pulumi.Output<string>;
  public readonly readerEndpoint: pulumi.Output<string>;

  constructor(name: string, args: AuroraArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:region:Aurora", name, {}, opts);
    const parent = { parent: this };
    const stateful = { ...parent, protect: true };
    const performanceInsights = args.performanceInsights ?? true;
    const insights = performanceInsights
      ? { performanceInsightsEnabled: true, performanceInsightsKmsKeyId: args.kmsKeyArn }
      : { performanceInsightsEnabled: false };
    // The same resource in every region, whose credentials depend on the region's role: which
    // region is home is known from the global stack's outputs, not from this stack's settings.
    const primary = pulumi.output(args.primary);
    const onPrimary = <T>(value: pulumi.Input<T>): pulumi.Output<T | undefined> =>
      pulumi.all([primary, value]).apply(([p, v]) => (p ? (v as T) : undefined));

    const subnets = new aws.rds.SubnetGroup(
      `${name}-data`,
      { subnetIds: args.dataSubnetIds },
      parent,
    );
    const cluster = new aws.rds.Cluster(
      `${name}-cluster`,
      {
        engine: ENGINE,
        engineVersion: args.engineVersion,
        globalClusterIdentifier: args.globalClusterIdentifier,
        masterUsername: onPrimary(args.masterUsername ?? "platform"),
        // Secret on the primary; a secondary's is unset (its users replicate from the primary).
        masterPassword: onPrimary(pulumi.secret(args.masterPassword)),
        dbSubnetGroupName: subnets.name,
        vpcSecurityGroupIds: [args.securityGroupId],
        storageEncrypted: true,
        kmsKeyId: args.kmsKeyArn,
        deletionProtection: true,
        backupRetentionPeriod: args.backupRetentionDays ?? 7,
        copyTagsToSnapshot: true,
        finalSnapshotIdentifier: `${name}-final`,
        iamDatabaseAuthenticationEnabled: true,
        enabledCloudwatchLogsExports: ["postgresql"],
        ...insights,
      },
      {
        ...stateful,
        // Before the global stack created the global database, this was always a secondary.
        aliases: [{ name: `${name}-secondary` }],
        // A switchover or failover promotes a secondary and rewrites these fields; they are not
        // ours to revert.
        ignoreChanges: ["replicationSourceIdentifier", "globalClusterIdentifier"],
      },
    );
    for (let i = 0; i < (args.instances ?? 2); i++) {
      new aws.rds.ClusterInstance(
        `${name}-instance-${i}`,
        {
          clusterIdentifier: cluster.id,
          engine: ENGINE,
          engineVersion: args.engineVersion,
          instanceClass: args.instanceClass,
          dbSubnetGroupName: subnets.name,
          publiclyAccessible: false,
          autoMinorVersionUpgrade: true,
          ...insights,
        },
        stateful,
      );
    }
    this.clusterArn = cluster.arn;
    this.endpoint = cluster.endpoint;
    this.readerEndpoint = cluster.readerEndpoint;
    this.registerOutputs({
      clusterArn: this.clusterArn,
      endpoint: this.endpoint,
      readerEndpoint: this.readerEndpoint,
    });
  }
}

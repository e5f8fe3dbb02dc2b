/**
 * The Aurora PostgreSQL global database (`platform:aurora.enabled` in the global stack): the
 * aws.rds.GlobalCluster only, in the home region. Its clusters belong to the region stacks, which
 * live in their regions' VPCs: the home region's stack creates the primary (the first cluster,
 * holding the master credentials), every other region's stack a secondary.
 *
 * Created empty, the global cluster takes its engine, version and encryption from these inputs;
 * the primary's storage is encrypted with the home region's key and each secondary's with its own
 * region's key (the multi-region key's replicas), set on the clusters.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AURORA_ENGINE_VERSION } from "../../lib/config/schema";
import { globalClusterName } from "./naming";

export interface GlobalDatabaseArgs {
  /** @default 16.6 (AURORA_ENGINE_VERSION) - the version every member cluster runs */
  readonly engineVersion?: pulumi.Input<string>;
  /** @default none - no database is created in the primary */
  readonly databaseName?: pulumi.Input<string>;
}

export class GlobalDatabase extends pulumi.ComponentResource {
  /** The global cluster's identifier, which the region stacks' clusters join. */
  public readonly globalClusterId: pulumi.Output<string>;
  public readonly arn: pulumi.Output<string>;

  /** `opts.provider` is the home region's provider: a global cluster is created in one region. */
  constructor(name: string, args: GlobalDatabaseArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:global:Database", name, {}, opts);
    const globalCluster = new aws.rds.GlobalCluster(
      `${name}-aurora`,
      {
        globalClusterIdentifier: globalClusterName(name),
        engine: "aurora-postgresql",
        engineVersion: args.engineVersion ?? AURORA_ENGINE_VERSION,
        databaseName: args.databaseName,
        storageEncrypted: true,
        deletionProtection: true,
      },
      // Protected like the data: replacing it (a changed identifier, engine or encryption setting)
      // would detach every region's cluster from the global database.
      { parent: this, protect: true },
    );
    this.globalClusterId = globalCluster.globalClusterIdentifier;
    this.arn = globalCluster.arn;
    this.registerOutputs({ globalClusterId: this.globalClusterId, arn: this.arn });
  }
}

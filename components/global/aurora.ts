/**
 * The Aurora PostgreSQL global database (`platform:aurora.enabled` in the global stack): the
 * aws.rds.GlobalCluster only, in the home region. Its clusters belong to the region stacks, which
 * live in their regions' VPCs: the home region's stack creates the primary (the first cluster,
 * holding the master credentials), every other region's stack a secondary.
 *
 * Created empty, the global cluster takes its engine, version and encryption from these inputs;
 * the primary's storage is encrypted with the home region's key and each secondary's with its own
 * region's key (the multi-region key's replicas), set on the clusters.
 *
 * The master password is generated here, once, and kept in a Secrets Manager secret in the home
 * region, replicated to every other region on that region's key: RDS-managed master passwords
 * (`manageMasterUserPassword`) are not supported for Aurora global databases
 * (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html,
 * "Limitations"), and a secondary takes its users from the primary, so after a failover the same
 * password holds in the promoted region, whose replica of the secret is already there.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { AURORA_ENGINE_VERSION } from "../../lib/config/schema";
import { globalClusterName } from "./naming";

export interface GlobalDatabaseArgs {
  /** @default 16.6 (AURORA_ENGINE_VERSION) - the version every member cluster runs */
  readonly engineVersion?: pulumi.Input<string>;
  /** @default none - no database is created in the primary */
  readonly databaseName?: pulumi.Input<string>;
  /** The home region's key: the master secret is encrypted with it. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Every other region and its key: the secret is replicated there. */
  readonly replicaKeyArns: ReadonlyArray<{ region: string; kmsKeyArn: pulumi.Input<string> }>;
}

/**
 * Letters and digits only: Aurora PostgreSQL refuses `/`, `"`, `@` and spaces in the master
 * password, and 40 alphanumerics carry more entropy than the length limit of 41 would add.
 */
export const MASTER_PASSWORD_LENGTH = 40;

export class GlobalDatabase extends pulumi.ComponentResource {
  /** The global cluster's identifier, which the region stacks' clusters join. */
  public readonly globalClusterId: pulumi.Output<string>;
  public readonly arn: pulumi.Output<string>;
  /** The master password (a secret), for the primary cluster in the home region's stack. */
  public readonly masterPassword: pulumi.Output<string>;
  /** The secret's name, the same in every region (each region reads its replica). */
  public readonly masterSecretName: pulumi.Output<string>;

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
    const password = new random.RandomPassword(
      `${name}-aurora-master`,
      { length: MASTER_PASSWORD_LENGTH, special: false },
      // Generated once: replacing it would change the password the clusters were created with.
      { parent: this, protect: true },
    );
    const secret = new aws.secretsmanager.Secret(
      `${name}-aurora-master`,
      {
        name: `${globalClusterName(name)}-master`,
        description: "master password of the Aurora global database (user: the cluster's)",
        kmsKeyId: args.kmsKeyArn,
        replicas: args.replicaKeyArns.map((r) => ({ region: r.region, kmsKeyId: r.kmsKeyArn })),
        recoveryWindowInDays: 30,
      },
      { parent: this, protect: true },
    );
    new aws.secretsmanager.SecretVersion(
      `${name}-aurora-master`,
      {
        secretId: secret.id,
        secretString: pulumi.jsonStringify({ password: password.result }),
      },
      { parent: this },
    );
    this.globalClusterId = globalCluster.globalClusterIdentifier;
    this.arn = globalCluster.arn;
    this.masterPassword = pulumi.secret(password.result);
    this.masterSecretName = secret.name;
    this.registerOutputs({
      globalClusterId: this.globalClusterId,
      arn: this.arn,
      masterPassword: this.masterPassword,
      masterSecretName: this.masterSecretName,
    });
  }
}

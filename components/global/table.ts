/**
 * The DynamoDB global table (version 2019.11.21): created in the home region, with a replica in
 * every other region, each encrypted with its own region's key and with point-in-time recovery.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsRegion } from "../../lib/regions";
import { tableName } from "./naming";
import { providerFor, type RegionalProviders } from "./providers";
import type { TableConsistencyPlan } from "./table-consistency";

/**
 * The attribute DynamoDB's TTL reads: the consumer writes the idempotency record's expiry there,
 * in epoch seconds (functions/consumer/handler.ts). TTL deletes expired items within days and
 * the deletions replicate to every replica of a global table (version 2019.11.21):
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html.
 */
export const TTL_ATTRIBUTE = "expiresAt";

export interface GlobalTableArgs {
  readonly homeRegion: AwsRegion;
  readonly regions: readonly AwsRegion[];
  readonly providers: RegionalProviders;
  readonly keyArns: Readonly<Record<AwsRegion, pulumi.Input<string>>>;
  /** From validateTableConsistency. */
  readonly consistency: TableConsistencyPlan;
}

export class GlobalTable extends pulumi.ComponentResource {
  public readonly tableName: pulumi.Output<string>;
  /** Region -> the table's ARN there (the replica's outside the home region). */
  public readonly arns: Readonly<Record<AwsRegion, pulumi.Output<string>>>;
  /** Region -> the stream of the table in that region. */
  public readonly streamArns: Readonly<Record<AwsRegion, pulumi.Output<string>>>;

  constructor(name: string, args: GlobalTableArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:global:Table", name, {}, opts);
    const { homeRegion, regions, providers, keyArns, consistency } = args;
    const replicaRegions = regions.filter((r) => r !== homeRegion);

    const table = new aws.dynamodb.Table(
      `${name}-table`,
      {
        name: tableName(name),
        billingMode: "PAY_PER_REQUEST",
        hashKey: "pk",
        rangeKey: "sk",
        attributes: [
          { name: "pk", type: "S" },
          { name: "sk", type: "S" },
        ],
        // Global tables replicate through streams; consumers in every region read them too.
        streamEnabled: true,
        streamViewType: "NEW_AND_OLD_IMAGES",
        deletionProtectionEnabled: true,
        pointInTimeRecovery: { enabled: true },
        ttl: { enabled: true, attributeName: TTL_ATTRIBUTE },
        serverSideEncryption: { enabled: true, kmsKeyArn: keyArns[homeRegion] },
        replicas: replicaRegions.map((region) => ({
          regionName: region,
          kmsKeyArn: keyArns[region],
          pointInTimeRecovery: true,
          deletionProtectionEnabled: true,
          propagateTags: true,
          ...(consistency.consistencyMode ? { consistencyMode: consistency.consistencyMode } : {}),
        })),
        ...(consistency.witnessRegion
          ? { globalTableWitness: { regionName: consistency.witnessRegion } }
          : {}),
      },
      { parent: this, provider: providerFor(providers, homeRegion), protect: true },
    );

    const replica = (region: AwsRegion) =>
      table.replicas.apply((replicas) => {
        const found = (replicas ?? []).find((r) => r.regionName === region);
        if (!found) throw new Error(`the table ${tableName(name)} has no replica in ${region}`);
        return found;
      });
    const arns = {} as Record<AwsRegion, pulumi.Output<string>>;
    const streamArns = {} as Record<AwsRegion, pulumi.Output<string>>;
    for (const region of regions) {
      arns[region] = region === homeRegion ? table.arn : replica(region).apply((r) => r.arn);
      streamArns[region] =
        region === homeRegion ? table.streamArn : replica(region).apply((r) => r.streamArn);
    }

    this.tableName = table.name;
    this.arns = arns;
    this.streamArns = streamArns;
    this.registerOutputs({ tableName: this.tableName, arns, streamArns });
  }
}

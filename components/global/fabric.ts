/**
 * GlobalFabric: everything that couples the regions' data and events, built with one explicit
 * provider per region: the multi-region key, the DynamoDB global table, the replicated buckets,
 * the buses and their forwarding, the replicated registry, and (optionally) the Aurora global
 * database. Its `regional` output is, per region, the slice of the global contract
 * (lib/contract.ts) that the region's stack reads.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { RegionalFabric } from "../../lib/contract";
import type { AwsRegion } from "../../lib/regions";
import { GlobalDatabase } from "./aurora";
import { ReplicatedBuckets } from "./buckets";
import { EventFabric } from "./events";
import { validateGlobalEndpoint } from "./forwarding-plan";
import { FabricKeys, type FabricKeysArgs } from "./keys";
import { providerFor, regionalProviders } from "./providers";
import { ServiceRegistry } from "./registry";
import { GlobalTable } from "./table";
import { validateTableConsistency, type TableConsistency } from "./table-consistency";
import { homeFirst, validateRegions, validateServices } from "./validate";

export interface GlobalFabricArgs {
  /** The home region: the table, the key's primary and the registry pushes live here. */
  readonly homeRegion: AwsRegion;
  /** Every region of the platform, the home region among them. */
  readonly regions: readonly AwsRegion[];
  /** Service names; one ECR repository each, in every region. */
  readonly services: readonly string[];
  /** @default "eventual" - "strong" needs three regions, or two plus witnessRegion, from one set */
  readonly tableConsistency?: TableConsistency;
  /** The MRSC witness, with two regions and tableConsistency "strong" only. */
  readonly witnessRegion?: AwsRegion;
  /** @default true - S3 Replication Time Control on every replication rule */
  readonly replicationTimeControl?: boolean;
  /** @default false - an EventBridge global endpoint (two regions only) */
  readonly eventBridgeGlobalEndpoint?: boolean;
  /** @default false - an Aurora PostgreSQL global database in the home region */
  readonly aurora?: boolean;
  /** @default 16.6 (AURORA_ENGINE_VERSION) - the global database's engine version */
  readonly auroraEngineVersion?: string;
  /** @default none - the database the global database creates in its primary */
  readonly auroraDatabaseName?: string;
  /** @default none - further key-policy statements per region (the audit trail's CloudTrail) */
  readonly extraKeyStatements?: FabricKeysArgs["extraKeyStatements"];
}

export class GlobalFabric extends pulumi.ComponentResource {
  /** Region -> what the fabric holds there, in the shape of the global contract. */
  public readonly regional: pulumi.Output<Record<string, RegionalFabric>>;
  /** The Aurora global database's identifier; "" without one. */
  public readonly auroraGlobalClusterId: pulumi.Output<string>;
  /** The global database's master password (a secret); "" without one. */
  public readonly auroraMasterPassword: pulumi.Output<string>;

  constructor(name: string, args: GlobalFabricArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:global:Fabric", name, {}, opts);
    validateRegions(args.homeRegion, args.regions);
    validateServices(args.services);
    const consistency = validateTableConsistency({
      consistency: args.tableConsistency ?? "eventual",
      regions: args.regions,
      witnessRegion: args.witnessRegion,
    });
    const globalEndpoint = args.eventBridgeGlobalEndpoint ?? false;
    validateGlobalEndpoint(globalEndpoint, args.regions);

    const homeRegion = args.homeRegion;
    const regions = homeFirst(homeRegion, args.regions);
    const providers = regionalProviders(name, regions, this);
    const invokeOpts = { parent: this, provider: providerFor(providers, homeRegion) };
    const partition = aws.getPartitionOutput({}, invokeOpts);
    const identity = aws.getCallerIdentityOutput({}, invokeOpts);
    const account = {
      partition: partition.partition,
      dnsSuffix: partition.dnsSuffix,
      accountId: identity.accountId,
    };
    const child = { parent: this };

    const keys = new FabricKeys(
      name,
      { homeRegion, regions, providers, account, extraKeyStatements: args.extraKeyStatements },
      child,
    );
    const { keyArns } = keys;
    const table = new GlobalTable(
      name,
      { homeRegion, regions, providers, keyArns, consistency },
      child,
    );
    const buckets = new ReplicatedBuckets(
      name,
      { regions, providers, keyArns, account, replicationTimeControl: args.replicationTimeControl },
      child,
    );
    const events = new EventFabric(
      name,
      { homeRegion, regions, providers, keyArns, account, globalEndpoint },
      child,
    );
    const registry = new ServiceRegistry(
      name,
      {
        homeRegion,
        regions,
        providers,
        keyArns,
        accountId: account.accountId,
        services: args.services,
      },
      child,
    );

    const database =
      (args.aurora ?? false)
        ? new GlobalDatabase(
            name,
            {
              engineVersion: args.auroraEngineVersion,
              databaseName: args.auroraDatabaseName,
              kmsKeyArn: keyArns[homeRegion],
              replicaKeyArns: regions
                .filter((r) => r !== homeRegion)
                .map((region) => ({ region, kmsKeyArn: keyArns[region] })),
            },
            { parent: this, provider: providerFor(providers, homeRegion) },
          )
        : undefined;
    this.auroraGlobalClusterId = database?.globalClusterId ?? pulumi.output("");
    this.auroraMasterPassword = database?.masterPassword ?? pulumi.output("");

    const slice = (region: AwsRegion): pulumi.Output<RegionalFabric> =>
      pulumi.output({
        kmsKeyArn: keyArns[region],
        tableName: table.tableName,
        tableArn: table.arns[region],
        tableStreamArn: table.streamArns[region],
        bucketName: buckets.bucketNames[region],
        bucketArn: buckets.bucketArns[region],
        busName: events.busName,
        busArn: events.busArns[region],
        ecrRepositoryUrls: registry.repositoryUrls[region],
      });
    this.regional = pulumi
      .all(regions.map(slice))
      .apply((slices) => Object.fromEntries(regions.map((region, i) => [region, slices[i]])));
    this.registerOutputs({
      regional: this.regional,
      auroraGlobalClusterId: this.auroraGlobalClusterId,
      auroraMasterPassword: this.auroraMasterPassword,
    });
  }
}

/**
 * The fabric's KMS multi-region key: the primary in the home region, a replica in every other
 * region (same key material and key id, so data encrypted in one region decrypts in another), and
 * the same alias in each. Every other resource of the fabric uses the key of its own region.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsRegion } from "../../lib/regions";
import { keyAlias, perRegion } from "./naming";
import type { PolicyStatement } from "../../lib/iam";
import { keyPolicy, type Account } from "./policies";
import { providerFor, type RegionalProviders } from "./providers";

export interface FabricKeysArgs {
  readonly homeRegion: AwsRegion;
  readonly regions: readonly AwsRegion[];
  readonly providers: RegionalProviders;
  readonly account: Account;
  /** @default none - further key-policy statements of one region's key (audit: CloudTrail) */
  readonly extraKeyStatements?: (region: AwsRegion, account: Account) => PolicyStatement[];
}

/** @default 30 - the longest waiting period, the most time to cancel a mistaken deletion */
const DELETION_WINDOW_DAYS = 30;

export class FabricKeys extends pulumi.ComponentResource {
  /** Region -> ARN of that region's key (the primary in the home region, a replica elsewhere). */
  public readonly keyArns: Readonly<Record<AwsRegion, pulumi.Output<string>>>;

  constructor(name: string, args: FabricKeysArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:global:Keys", name, {}, opts);
    const { homeRegion, regions, providers, account } = args;
    const description = `${name} data and event fabric (multi-region)`;
    const extra = (region: AwsRegion) => args.extraKeyStatements?.(region, account) ?? [];

    const primary = new aws.kms.Key(
      perRegion(name, "key", homeRegion),
      {
        description,
        multiRegion: true,
        keyUsage: "ENCRYPT_DECRYPT",
        customerMasterKeySpec: "SYMMETRIC_DEFAULT",
        // Rotation is a property of the multi-region key set: set on the primary, it rotates the
        // replicas' shared key material too.
        enableKeyRotation: true,
        rotationPeriodInDays: 365,
        deletionWindowInDays: DELETION_WINDOW_DAYS,
        policy: pulumi.jsonStringify(keyPolicy(account, homeRegion, extra(homeRegion))),
      },
      { parent: this, provider: providerFor(providers, homeRegion), protect: true },
    );

    const keyArns = {} as Record<AwsRegion, pulumi.Output<string>>;
    for (const region of regions) {
      const provider = providerFor(providers, region);
      const key =
        region === homeRegion
          ? primary
          : new aws.kms.ReplicaKey(
              perRegion(name, "key", region),
              {
                primaryKeyArn: primary.arn,
                description,
                deletionWindowInDays: DELETION_WINDOW_DAYS,
                policy: pulumi.jsonStringify(keyPolicy(account, region, extra(region))),
              },
              { parent: this, provider, protect: true },
            );
      new aws.kms.Alias(
        perRegion(name, "key-alias", region),
        { name: keyAlias(name), targetKeyId: key.keyId },
        { parent: this, provider },
      );
      keyArns[region] = key.arn;
    }
    this.keyArns = keyArns;
    this.registerOutputs({ keyArns });
  }
}

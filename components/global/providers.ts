/**
 * One explicit AWS provider per region. Every regional child of the global components gets the
 * provider of its region through `opts.provider`; nothing relies on the stack's default provider.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsRegion } from "../../lib/regions";

export type RegionalProviders = Readonly<Record<AwsRegion, aws.Provider>>;

export function regionalProviders(
  name: string,
  regions: readonly AwsRegion[],
  parent: pulumi.Resource,
): RegionalProviders {
  return Object.fromEntries(
    regions.map((region) => [
      region,
      new aws.Provider(`${name}-${region}`, { region }, { parent }),
    ]),
  ) as RegionalProviders;
}

/** The provider of one region, failing loudly rather than falling back to the default provider. */
export function providerFor(providers: RegionalProviders, region: AwsRegion): aws.Provider {
  const provider = providers[region];
  if (!provider) throw new Error(`no AWS provider for region ${region}`);
  return provider;
}

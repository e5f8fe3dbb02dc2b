/**
 * ECR repositories for the services, and registry replication from the home region to every other
 * region. The repositories are created in every region, not left for replication to create: a
 * repository that replication creates gets AWS's defaults (AES-256, mutable tags, no scanning),
 * while these carry the region's key, immutable tags, scan on push and the lifecycle policy.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsRegion } from "../../lib/regions";
import { perRegion, repositoryName, repositoryPrefix } from "./naming";
import { providerFor, type RegionalProviders } from "./providers";
import { destinationsOf } from "./replication-plan";

export interface ServiceRegistryArgs {
  readonly homeRegion: AwsRegion;
  readonly regions: readonly AwsRegion[];
  readonly providers: RegionalProviders;
  readonly keyArns: Readonly<Record<AwsRegion, pulumi.Output<string>>>;
  readonly accountId: pulumi.Input<string>;
  /** Service names; one repository each. */
  readonly services: readonly string[];
}

/** Untagged layers go after two weeks; at most the newest 200 images stay. */
export const LIFECYCLE_POLICY = {
  rules: [
    {
      rulePriority: 1,
      description: "Expire untagged images after 14 days",
      selection: {
        tagStatus: "untagged",
        countType: "sinceImagePushed",
        countUnit: "days",
        countNumber: 14,
      },
      action: { type: "expire" },
    },
    {
      rulePriority: 2,
      description: "Keep the newest 200 images",
      selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 200 },
      action: { type: "expire" },
    },
  ],
} as const;

export class ServiceRegistry extends pulumi.ComponentResource {
  /** Region -> service -> repository URL in that region's registry. */
  public readonly repositoryUrls: Readonly<
    Record<AwsRegion, pulumi.Output<Record<string, string>>>
  >;

  constructor(name: string, args: ServiceRegistryArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:global:Registry", name, {}, opts);
    const { homeRegion, regions, providers, keyArns, accountId, services } = args;

    const repositoryUrls = {} as Record<AwsRegion, pulumi.Output<Record<string, string>>>;
    const replicaRepositories: aws.ecr.Repository[] = [];
    for (const region of regions) {
      const child = { parent: this, provider: providerFor(providers, region) };
      const urls: Record<string, pulumi.Output<string>> = {};
      for (const service of services) {
        const repository = new aws.ecr.Repository(
          perRegion(name, `repo-${service}`, region),
          {
            name: repositoryName(name, service),
            // Deploy by a unique tag (or digest): a tag, once pushed, always means the same image.
            imageTagMutability: "IMMUTABLE",
            imageScanningConfiguration: { scanOnPush: true },
            encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: keyArns[region] }],
            forceDelete: false,
          },
          { ...child, protect: true },
        );
        new aws.ecr.LifecyclePolicy(
          perRegion(name, `repo-${service}`, region),
          { repository: repository.name, policy: JSON.stringify(LIFECYCLE_POLICY) },
          child,
        );
        urls[service] = repository.repositoryUrl;
        if (region !== homeRegion) replicaRepositories.push(repository);
      }
      repositoryUrls[region] = pulumi.output(urls);
    }

    // The registry's replication configuration is one per registry (region): the home region's.
    new aws.ecr.ReplicationConfiguration(
      `${name}-registry-replication`,
      {
        replicationConfiguration: {
          rules: [
            {
              destinations: destinationsOf(regions, homeRegion).map((region) => ({
                region,
                registryId: accountId,
              })),
              repositoryFilters: [{ filter: repositoryPrefix(name), filterType: "PREFIX_MATCH" }],
            },
          ],
        },
      },
      {
        parent: this,
        provider: providerFor(providers, homeRegion),
        // The destination repositories exist first, so replication never creates them with defaults.
        dependsOn: replicaRepositories,
      },
    );

    this.repositoryUrls = repositoryUrls;
    this.registerOutputs({ repositoryUrls });
  }
}

/**
 * A bucket per region, and two-way replication between every pair of them: each bucket replicates
 * to every other one (one rule per destination), and replica modification sync carries metadata
 * changes made to replicas back, so that a write in any region reaches all the others.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsRegion } from "../../lib/regions";
import { serviceTrustPolicy } from "../../lib/iam";
import { bucketName, perRegion } from "./naming";
import {
  replicationRolePolicy,
  tlsOnlyBucketPolicy,
  type Account,
  type RegionalBucket,
} from "./policies";
import { providerFor, type RegionalProviders } from "./providers";
import { destinationsOf, replicationRules } from "./replication-plan";

export interface ReplicatedBucketsArgs {
  readonly regions: readonly AwsRegion[];
  readonly providers: RegionalProviders;
  readonly keyArns: Readonly<Record<AwsRegion, pulumi.Output<string>>>;
  readonly account: Account & { readonly accountId: pulumi.Output<string> };
  /** @default true - S3 Replication Time Control on every rule */
  readonly replicationTimeControl?: boolean;
}

export class ReplicatedBuckets extends pulumi.ComponentResource {
  public readonly bucketNames: Readonly<Record<AwsRegion, pulumi.Output<string>>>;
  public readonly bucketArns: Readonly<Record<AwsRegion, pulumi.Output<string>>>;

  constructor(
    name: string,
    args: ReplicatedBucketsArgs,
    opts: pulumi.ComponentResourceOptions = {},
  ) {
    super("platform:global:Buckets", name, {}, opts);
    const { regions, providers, keyArns, account } = args;
    const replicationTimeControl = args.replicationTimeControl ?? true;

    const buckets = {} as Record<AwsRegion, aws.s3.Bucket>;
    const versionings: aws.s3.BucketVersioning[] = [];
    for (const region of regions) {
      const provider = providerFor(providers, region);
      const child = { parent: this, provider };
      const bucket = new aws.s3.Bucket(
        perRegion(name, "bucket", region),
        {
          bucket: account.accountId.apply((id) => bucketName(name, region, id)),
          forceDestroy: false,
        },
        { ...child, protect: true },
      );
      new aws.s3.BucketOwnershipControls(
        perRegion(name, "bucket-ownership", region),
        { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
        child,
      );
      const publicAccess = new aws.s3.BucketPublicAccessBlock(
        perRegion(name, "bucket-public-access", region),
        {
          bucket: bucket.id,
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        },
        child,
      );
      // Replication needs versioning on the source and on every destination.
      versionings.push(
        new aws.s3.BucketVersioning(
          perRegion(name, "bucket-versioning", region),
          { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
          child,
        ),
      );
      new aws.s3.BucketServerSideEncryptionConfiguration(
        perRegion(name, "bucket-encryption", region),
        {
          bucket: bucket.id,
          rules: [
            {
              applyServerSideEncryptionByDefault: {
                sseAlgorithm: "aws:kms",
                kmsMasterKeyId: keyArns[region],
              },
              // Bucket keys cut the KMS requests (and their cost) by orders of magnitude.
              bucketKeyEnabled: true,
            },
          ],
        },
        child,
      );
      new aws.s3.BucketPolicy(
        perRegion(name, "bucket-policy", region),
        { bucket: bucket.id, policy: pulumi.jsonStringify(tlsOnlyBucketPolicy(bucket.arn)) },
        { ...child, dependsOn: [publicAccess] },
      );
      buckets[region] = bucket;
    }

    const regional = (region: AwsRegion): RegionalBucket => ({
      region,
      bucketArn: buckets[region].arn,
      kmsKeyArn: keyArns[region],
    });
    for (const source of regions) {
      const provider = providerFor(providers, source);
      const destinations = destinationsOf(regions, source).map(regional);
      const role = new aws.iam.Role(
        perRegion(name, "replication", source),
        {
          description: `S3 replication from the ${source} bucket to the other regions' buckets`,
          // The trust S3 documents for a replication role, without condition keys: AWS does not
          // document S3 sending aws:SourceAccount/aws:SourceArn when it assumes this role
          // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html),
          // and a condition it does not meet would stop replication silently. What the role may
          // do is narrowed instead: its source and destination buckets and keys (below).
          assumeRolePolicy: pulumi.jsonStringify(serviceTrustPolicy("s3.amazonaws.com")),
        },
        { parent: this, provider },
      );
      const rolePolicy = new aws.iam.RolePolicy(
        perRegion(name, "replication", source),
        {
          role: role.id,
          policy: pulumi.jsonStringify(
            replicationRolePolicy(account, regional(source), destinations),
          ),
        },
        { parent: this, provider },
      );
      new aws.s3.BucketReplicationConfig(
        perRegion(name, "replication", source),
        {
          bucket: buckets[source].id,
          role: role.arn,
          rules: replicationRules(destinations, replicationTimeControl),
        },
        { parent: this, provider, dependsOn: [...versionings, rolePolicy] },
      );
    }

    const bucketNames = {} as Record<AwsRegion, pulumi.Output<string>>;
    const bucketArns = {} as Record<AwsRegion, pulumi.Output<string>>;
    for (const region of regions) {
      bucketNames[region] = buckets[region].bucket;
      bucketArns[region] = buckets[region].arn;
    }
    this.bucketNames = bucketNames;
    this.bucketArns = bucketArns;
    this.registerOutputs({ bucketNames, bucketArns });
  }
}

/**
 * Which region sends what to which: the ordered pairs of regions, and the S3 replication rules of
 * one source bucket. Pure, so that the counts (n regions: n(n-1) ordered pairs) are tested directly.
 */
import type { AwsRegion } from "../../lib/regions";

export interface OrderedPair {
  readonly source: AwsRegion;
  readonly destination: AwsRegion;
}

/** Every (source, destination) pair with source != destination, in the order of `regions`. */
export function orderedPairs(regions: readonly AwsRegion[]): OrderedPair[] {
  return regions.flatMap((source) =>
    regions.filter((d) => d !== source).map((destination) => ({ source, destination })),
  );
}

/** The regions a source replicates or forwards to: every other one. */
export function destinationsOf(regions: readonly AwsRegion[], source: AwsRegion): AwsRegion[] {
  return regions.filter((r) => r !== source);
}

/** What one replication rule needs to know about its destination. */
export interface ReplicationDestination<T> {
  readonly region: AwsRegion;
  readonly bucketArn: T;
  readonly kmsKeyArn: T;
}

/**
 * The replication rules of one source bucket, one per destination (S3 allows a rule per destination
 * bucket). Every rule: all objects (empty filter, which the V2 schema needs for delete markers),
 * delete markers replicated, replica modifications synced back (two-way replication), objects
 * encrypted with SSE-KMS selected and re-encrypted with the destination region's key, and with
 * Replication Time Control its 15-minute SLA and the metrics that come with it.
 */
export function replicationRules<T>(
  destinations: readonly ReplicationDestination<T>[],
  replicationTimeControl: boolean,
) {
  return destinations.map((d, i) => ({
    id: `to-${d.region}`,
    // Rules that share a filter need distinct priorities; destinations never overlap.
    priority: i + 1,
    status: "Enabled",
    filter: {},
    deleteMarkerReplication: { status: "Enabled" },
    sourceSelectionCriteria: {
      replicaModifications: { status: "Enabled" },
      sseKmsEncryptedObjects: { status: "Enabled" },
    },
    destination: {
      bucket: d.bucketArn,
      encryptionConfiguration: { replicaKmsKeyId: d.kmsKeyArn },
      ...(replicationTimeControl
        ? {
            replicationTime: { status: "Enabled", time: { minutes: 15 } },
            metrics: { status: "Enabled", eventThreshold: { minutes: 15 } },
          }
        : { metrics: { status: "Enabled" } }),
    },
  }));
}

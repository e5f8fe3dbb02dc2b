/** How the cluster's node count is split over per-zone managed node groups. Pure: no Pulumi. */
export interface Sizes {
  readonly minSize: number;
  readonly desiredSize: number;
  readonly maxSize: number;
}

/**
 * One node group per zone (cluster-autoscaler balances similar groups and can scale the zone a
 * pending pod's volume lives in). Each zone gets ceil(total / zones) so that the cluster never
 * has fewer nodes than asked for.
 */
export function perZoneSizes(total: Sizes, azCount: number): Sizes {
  if (!(total.minSize <= total.desiredSize && total.desiredSize <= total.maxSize)) {
    throw new Error(
      `cluster: expected minSize <= desiredSize <= maxSize, got ${total.minSize}, ${total.desiredSize}, ${total.maxSize}`,
    );
  }
  if (total.maxSize < azCount) {
    throw new Error(
      `cluster.maxSize: ${total.maxSize} is less than network.azCount ${azCount}; each zone's node group needs at least one node`,
    );
  }
  const per = (n: number) => Math.ceil(n / azCount);
  return {
    minSize: per(total.minSize),
    desiredSize: per(total.desiredSize),
    maxSize: per(total.maxSize),
  };
}

/** The EKS control-plane log types: all five. */
export const CONTROL_PLANE_LOG_TYPES = [
  "api",
  "audit",
  "authenticator",
  "controllerManager",
  "scheduler",
] as const;

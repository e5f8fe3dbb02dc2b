/**
 * The subnet plan of a region's VPC: three tiers per availability zone, carved from the VPC block
 * in a fixed order so that the plan is a pure function of (vpcCidr, azCount). Pure: no Pulumi.
 *
 * - app (awsx "Private"): EKS nodes, pods (VPC CNI gives every pod a VPC address), Lambda ENIs,
 *   interface endpoints. The largest tier: half of the VPC, split over a power-of-two number of
 *   zone slots so that a zone can be added later without renumbering.
 * - public: ALB and NAT gateways; a quarter of an app subnet.
 * - data (awsx "Isolated", no route to the internet): Aurora; a quarter of an app subnet.
 */
import { allocate, formatCidr, parseCidr, type Cidr } from "../../lib/cidr";

export const TIERS = { public: "Public", app: "Private", data: "Isolated" } as const;
export type Tier = keyof typeof TIERS;
/** The awsx subnet type of each tier. */
export type AwsxSubnetType = (typeof TIERS)[Tier];

/** The smallest subnet AWS allows. */
export const MIN_SUBNET_PREFIX = 28;

export interface SubnetPlan {
  /** Per tier, one CIDR per zone, in zone order. */
  readonly blocks: Readonly<Record<Tier, readonly string[]>>;
  /** Per tier, the prefix length of its subnets. */
  readonly prefixes: Readonly<Record<Tier, number>>;
}

/** Zone slots reserved in the VPC: the next power of two at or above the zone count. */
export function zoneSlots(azCount: number): number {
  return 2 ** Math.ceil(Math.log2(azCount));
}

export function planSubnets(vpcCidr: string, azCount: number): SubnetPlan {
  if (!Number.isInteger(azCount) || azCount < 1) {
    throw new Error(
      `network.azCount: ${azCount} is not a whole number of zones (allowed: 1 or more)`,
    );
  }
  const vpc = parseCidr(vpcCidr);
  const app = vpc.prefix + Math.log2(zoneSlots(azCount)) + 1;
  const edge = app + 2;
  if (edge > MIN_SUBNET_PREFIX) {
    throw new Error(
      `network.vpcCidr: ${vpcCidr} is too small for ${azCount} zones (public and data subnets would be /${edge}; AWS allows /${MIN_SUBNET_PREFIX} at most): use a larger block or fewer zones`,
    );
  }
  const appBlocks = allocate(vpc, app, azCount);
  const publicBlocks = allocate(vpc, edge, azCount, appBlocks);
  const dataBlocks = allocate(vpc, edge, azCount, [...appBlocks, ...publicBlocks]);
  const fmt = (cs: Cidr[]) => cs.map(formatCidr);
  return {
    blocks: { public: fmt(publicBlocks), app: fmt(appBlocks), data: fmt(dataBlocks) },
    prefixes: { public: edge, app, data: edge },
  };
}

/** The awsx `subnetSpecs`: explicit blocks, so awsx never guesses the layout. */
export function subnetSpecs(plan: SubnetPlan): Array<{
  type: AwsxSubnetType;
  name: Tier;
  cidrBlocks: string[];
  tags: Record<string, string>;
}> {
  // The ELB role tags let the AWS Load Balancer Controller discover subnets should a workload
  // ever ask it for a load balancer; the ALB of the Ingress component names its subnets itself.
  const roleTags: Record<Tier, Record<string, string>> = {
    public: { "kubernetes.io/role/elb": "1" },
    app: { "kubernetes.io/role/internal-elb": "1" },
    data: {},
  };
  return (Object.keys(TIERS) as Tier[]).map((tier) => ({
    type: TIERS[tier],
    name: tier,
    cidrBlocks: [...plan.blocks[tier]],
    tags: { "platform:tier": tier, ...roleTags[tier] },
  }));
}

/**
 * The children the engine records for `awsx:ec2:Vpc`, derived for the component's arguments.
 *
 * Source: pulumi/pulumi-awsx, `awsx/ec2/vpc.ts` (`Vpc.initialize`, `createInnerVpc`,
 * `shouldCreateNatGateway`, `compareSubnetSpecs`), `awsx/ec2/subnetDistributorNew.ts`
 * (`getSubnetSpecsExplicit`) and `awsx/ec2/subnetNaming.ts` (`subnetNames`), at the last commit
 * before @pulumi/awsx 3.9.0 (e60adf3, 2026-08-20; the release adds no change to these files).
 * For each zone, in zone order, the zone's subnets public first, then private, then isolated:
 *
 * - `aws:ec2/vpc:Vpc` `<name>` (parent: the component), then `aws:ec2/internetGateway` `<name>`
 *   (parent: the VPC; created even when nothing routes to it);
 * - per subnet `<name>-<spec name>-<zone number>`: `aws:ec2/subnet:Subnet` (parent: the VPC),
 *   its own `aws:ec2/routeTable:RouteTable` (parent: the subnet) and
 *   `aws:ec2/routeTableAssociation` (parent: the route table);
 * - per public subnet that gets a NAT gateway (`OnePerAz`: each zone's; `Single`: the first):
 *   `aws:ec2/eip:Eip` and `aws:ec2/natGateway:NatGateway` `<name>-<zone number>` (parent: the
 *   subnet);
 * - `aws:ec2/route:Route` `0.0.0.0/0` per public subnet (to the gateway) and per private subnet
 *   (to its zone's NAT gateway, or the single one); none for isolated subnets.
 *
 * Only explicit layouts (every subnet spec with `cidrBlocks`) are modelled: that is what the
 * program passes, and any other argument fails the plan rather than guess.
 */
import { hex } from "../fakes";
import type { RecordedResource } from "../record";
import { arg, checkModelled, child, stackOfUrn } from "./children";

export const VPC_SOURCE = "pulumi/pulumi-awsx awsx/ec2/vpc.ts (@pulumi/awsx 3.9.0)";

const MODELLED = [
  "cidrBlock",
  "numberOfAvailabilityZones",
  "availabilityZoneNames",
  "subnetStrategy",
  "subnetSpecs",
  "natGateways",
  "enableDnsHostnames",
  "enableDnsSupport",
  "tags",
] as const;

/** The arguments of `aws.ec2.Vpc` that awsx passes through from its own (`...args`). */
const VPC_INPUTS = ["cidrBlock", "enableDnsHostnames", "enableDnsSupport"] as const;

interface SubnetSpecArg {
  type: string;
  name?: string;
  cidrBlocks?: string[];
  tags?: Record<string, string>;
}

export interface LaidOutSubnet {
  /** The Pulumi name of the subnet, its route table and association. */
  readonly resourceName: string;
  readonly type: "Public" | "Private" | "Isolated";
  readonly zoneIndex: number;
  readonly azName: string;
  readonly cidrBlock: string;
  readonly tags: Record<string, string>;
}

const TYPE_ORDER = { public: 0, private: 1, isolated: 2 } as const;

function typeOf(spec: SubnetSpecArg): LaidOutSubnet["type"] {
  switch (spec.type.toLowerCase()) {
    case "public":
      return "Public";
    case "private":
      return "Private";
    case "isolated":
      return "Isolated";
    default:
      throw new Error(`awsx:ec2:Vpc subnet type ${JSON.stringify(spec.type)} is not modelled`);
  }
}

/** The subnets awsx creates, in its creation order (`getSubnetSpecsExplicit`, then sorted). */
export function subnetLayout(
  name: string,
  inputs: Record<string, unknown>,
  azNames: readonly string[],
): LaidOutSubnet[] {
  const specs = (inputs.subnetSpecs ?? []) as SubnetSpecArg[];
  if (inputs.subnetStrategy !== "Auto" || specs.length === 0 || specs.some((s) => !s.cidrBlocks)) {
    throw new Error(
      `the offline plan models awsx:ec2:Vpc "${name}" only with subnetStrategy "Auto" and explicit cidrBlocks on every subnet spec`,
    );
  }
  const out: LaidOutSubnet[] = [];
  azNames.forEach((azName, zoneIndex) => {
    const inZone = specs.map((spec) => ({
      resourceName: `${name}-${spec.name ?? spec.type.toLowerCase()}-${zoneIndex + 1}`,
      type: typeOf(spec),
      zoneIndex,
      azName,
      cidrBlock: spec.cidrBlocks![zoneIndex],
      tags: spec.tags ?? {},
    }));
    // Array.prototype.sort is stable: specs of one type keep their order, as in awsx.
    inZone.sort(
      (a, b) =>
        TYPE_ORDER[a.type.toLowerCase() as keyof typeof TYPE_ORDER] -
        TYPE_ORDER[b.type.toLowerCase() as keyof typeof TYPE_ORDER],
    );
    out.push(...inZone);
  });
  return out;
}

/** The route table id of one laid-out subnet; the VPC's answer and its children share it. */
export function routeTableId(componentSeed: string, resourceName: string): string {
  return `rtb-${hex(`${componentSeed}/${resourceName}/rtb`, 17)}`;
}

export function expandVpc(vpc: RecordedResource): RecordedResource[] {
  checkModelled(vpc, MODELLED, VPC_SOURCE);
  const name = vpc.name;
  const seed = `${stackOfUrn(vpc.urn)}/${vpc.type}/${name}`;
  const out = vpc.outputs as {
    vpcId: string;
    availabilityZones: string[];
    publicSubnetIds: string[];
    privateSubnetIds: string[];
    isolatedSubnetIds: string[];
  };
  const azNames = arg<string[]>(vpc, "availabilityZoneNames") ?? out.availabilityZones;
  const strategy = arg<{ strategy?: string }>(vpc, "natGateways")?.strategy ?? "OnePerAz";
  if (!["OnePerAz", "Single", "None"].includes(strategy)) {
    throw new Error(`awsx:ec2:Vpc natGateways.strategy ${strategy} is not modelled`);
  }
  const tags = arg<Record<string, string>>(vpc, "tags") ?? {};
  const sharedTags = { Name: name, ...tags };
  const provider = vpc.provider;

  const vpcInputs = Object.fromEntries(
    VPC_INPUTS.flatMap((k) => (vpc.inputs[k] === undefined ? [] : [[k, vpc.inputs[k]]])),
  );
  const awsVpc = child({
    type: "aws:ec2/vpc:Vpc",
    name,
    parent: vpc.urn,
    id: out.vpcId,
    // awsx's historical default block when none is given (decideCidrBlockVpcInput).
    inputs: { cidrBlock: "10.0.0.0/16", ...vpcInputs, tags: sharedTags },
    provider,
  });
  const igw = child({
    type: "aws:ec2/internetGateway:InternetGateway",
    name,
    parent: awsVpc.urn,
    id: `igw-${hex(`${seed}/igw`, 17)}`,
    inputs: { vpcId: out.vpcId, tags: sharedTags },
    dependencies: [awsVpc.urn],
    provider,
  });
  const records: RecordedResource[] = [awsVpc, igw];

  const layout = subnetLayout(name, vpc.inputs, azNames);
  const counters = { Public: 0, Private: 0, Isolated: 0 };
  const ids = {
    Public: out.publicSubnetIds,
    Private: out.privateSubnetIds,
    Isolated: out.isolatedSubnetIds,
  };
  const natGateways: RecordedResource[] = [];
  for (const s of layout) {
    const subnetId = ids[s.type][counters[s.type]++];
    const subnet = child({
      type: "aws:ec2/subnet:Subnet",
      name: s.resourceName,
      parent: awsVpc.urn,
      id: subnetId,
      inputs: {
        vpcId: out.vpcId,
        availabilityZone: s.azName,
        mapPublicIpOnLaunch: s.type === "Public",
        cidrBlock: s.cidrBlock,
        assignIpv6AddressOnCreation: false,
        tags: { ...sharedTags, ...s.tags, Name: s.resourceName, SubnetType: s.type },
      },
      dependencies: [awsVpc.urn],
      provider,
    });
    const rtbId = routeTableId(seed, s.resourceName);
    const routeTable = child({
      type: "aws:ec2/routeTable:RouteTable",
      name: s.resourceName,
      parent: subnet.urn,
      id: rtbId,
      inputs: {
        vpcId: out.vpcId,
        tags: { ...sharedTags, Name: s.resourceName, SubnetType: s.type },
      },
      dependencies: [subnet.urn, awsVpc.urn],
      provider,
    });
    const association = child({
      type: "aws:ec2/routeTableAssociation:RouteTableAssociation",
      name: s.resourceName,
      parent: routeTable.urn,
      id: `rtbassoc-${hex(`${seed}/${s.resourceName}/assoc`, 17)}`,
      inputs: { routeTableId: rtbId, subnetId },
      dependencies: [routeTable.urn, subnet.urn],
      provider,
    });
    records.push(subnet, routeTable, association);

    const wantsNat =
      s.type === "Public" &&
      (strategy === "OnePerAz"
        ? natGateways.length < s.zoneIndex + 1
        : strategy === "Single" && natGateways.length < 1);
    if (wantsNat) {
      const natName = `${name}-${s.zoneIndex + 1}`;
      const allocationId = `eipalloc-${hex(`${seed}/${natName}/eip`, 17)}`;
      const eip = child({
        type: "aws:ec2/eip:Eip",
        name: natName,
        parent: subnet.urn,
        id: allocationId,
        inputs: { tags: { ...tags, Name: natName } },
        outputs: { allocationId },
        dependencies: [subnet.urn],
        provider,
      });
      const nat = child({
        type: "aws:ec2/natGateway:NatGateway",
        name: natName,
        parent: subnet.urn,
        id: `nat-${hex(`${seed}/${natName}/nat`, 17)}`,
        inputs: { subnetId, allocationId, tags: { ...tags, Name: natName } },
        dependencies: [subnet.urn, eip.urn],
        provider,
      });
      natGateways.push(nat);
      records.push(eip, nat);
    }
    const target =
      s.type === "Public"
        ? { gatewayId: igw.id, via: igw.urn }
        : s.type === "Private" && strategy !== "None"
          ? (() => {
              const nat = strategy === "Single" ? natGateways[0] : natGateways[s.zoneIndex];
              return { natGatewayId: nat.id, via: nat.urn };
            })()
          : undefined;
    if (target) {
      const { via, ...gateway } = target;
      records.push(
        child({
          type: "aws:ec2/route:Route",
          name: s.resourceName,
          parent: routeTable.urn,
          id: `r-${rtbId}1080289494`,
          inputs: { routeTableId: rtbId, ...gateway, destinationCidrBlock: "0.0.0.0/0" },
          dependencies: [routeTable.urn, via],
          provider,
        }),
      );
    }
  }
  return records;
}

/**
 * The region's network: a three-tier VPC (awsx), its VPC endpoints, flow logs, the data tier's
 * NACL and the security groups every other part attaches to.
 *
 * awsx.ec2.Vpc is a remote component: the engine expands it into subnets, route tables and NAT
 * gateways, and the offline plan sees only its inputs. So the settings that matter (tiers,
 * blocks, NAT strategy) are in those inputs, and everything a policy or test must see (endpoints,
 * NACL, security groups, flow logs) is built here as plain aws resources.
 */
import { serviceTrustPolicy } from "../../lib/iam";
import * as aws from "@pulumi/aws";
// The ec2 module alone: the package index also loads awsx classic (and its AWS SDK clients),
// which nothing here uses (node_modules/@pulumi/awsx/index.js).
import * as awsxEc2 from "@pulumi/awsx/ec2";
import * as pulumi from "@pulumi/pulumi";
import {
  GATEWAY_ENDPOINTS,
  INTERFACE_ENDPOINTS,
  endpointKey,
  endpointServiceName,
} from "./endpoints";
import { flowLogsPolicy } from "./iam";
import { dataTierNaclRules } from "./nacl-rules";
import { createSecurityGroupRules, involvesCluster } from "./security-groups";
import { GROUPS, securityGroupRules, type Group, type SgRule } from "./sg-rules";
import { planSubnets, subnetSpecs, type SubnetPlan } from "./subnets";

export const NAT_STRATEGIES = { perAz: "OnePerAz", single: "Single" } as const;
export type NatGateways = keyof typeof NAT_STRATEGIES;

export interface NetworkArgs {
  /** The VPC block, inside RFC 1918 space, /16 to /24. */
  vpcCidr: string;
  /** Number of availability zones, each with a public, an app and a data subnet. */
  azCount: number;
  /** @default perAz - one NAT gateway per zone; `single` trades zone independence for cost */
  natGateways?: NatGateways;
  /** The region's customer-managed key, for the flow-log group. */
  kmsKeyArn: pulumi.Input<string>;
  /** Retention of the flow-log group, in days. */
  logRetentionDays: number;
  /** The mesh ingress gateway's container port (the ALB's IP targets). */
  ingressPort: number;
  /** The gateway's health port. */
  ingressHealthPort: number;
  /** @default false - create the database security group (Aurora) */
  database?: boolean;
}

export class Network extends pulumi.ComponentResource {
  public readonly vpcId: pulumi.Output<string>;
  public readonly publicSubnetIds: pulumi.Output<string[]>;
  /** The private-app tier: nodes, pods, Lambda, interface endpoints. */
  public readonly appSubnetIds: pulumi.Output<string[]>;
  /** The isolated data tier: no route to the internet. */
  public readonly dataSubnetIds: pulumi.Output<string[]>;
  public readonly plan: SubnetPlan;
  /** Security group ids by role (alb, nodes, endpoints, lambda, database when enabled). */
  public readonly securityGroupIds: Record<
    "alb" | "nodes" | "endpoints" | "lambda",
    pulumi.Output<string>
  > & {
    readonly database?: pulumi.Output<string>;
  };
  /** The rules that involve the EKS cluster group, for the Cluster component to create. */
  public readonly clusterRules: readonly SgRule[];
  public readonly flowLogGroupName: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:region:Network", name, {}, opts);
    // Validate before declaring anything: a bad block fails here with the key and the value.
    const plan = planSubnets(args.vpcCidr, args.azCount);
    const rules = securityGroupRules({
      vpcCidr: args.vpcCidr,
      ingressPort: args.ingressPort,
      ingressHealthPort: args.ingressHealthPort,
      database: args.database ?? false,
    });
    const parent = { parent: this };
    const partition = aws.getPartitionOutput({}, parent);
    const region = aws.getRegionOutput({}, parent);

    const vpc = new awsxEc2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: args.vpcCidr,
        numberOfAvailabilityZones: args.azCount,
        subnetStrategy: "Auto",
        subnetSpecs: subnetSpecs(plan),
        natGateways: { strategy: NAT_STRATEGIES[args.natGateways ?? "perAz"] },
        enableDnsHostnames: true,
        enableDnsSupport: true,
        tags: { Name: `${name}-vpc` },
      },
      parent,
    );

    // Flow logs hold audit data: the group is protected and kept if the stack is destroyed.
    const flowLogGroup = new aws.cloudwatch.LogGroup(
      `${name}-flow-logs`,
      { kmsKeyId: args.kmsKeyArn, retentionInDays: args.logRetentionDays },
      { ...parent, protect: true, retainOnDelete: true },
    );
    // Only this account's flow logs in this region may use the role: the confused-deputy guard
    // the flow-logs role documents (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html).
    const flowLogScope = pulumi
      .all([partition.partition, region.region, aws.getCallerIdentityOutput({}, parent).accountId])
      .apply(([p, region, accountId]) => ({
        accountId,
        flowLogArns: `arn:${p}:ec2:${region}:${accountId}:vpc-flow-log/*`,
      }));
    const flowLogRole = new aws.iam.Role(
      `${name}-flow-logs`,
      {
        assumeRolePolicy: pulumi.jsonStringify(
          flowLogScope.apply((s) =>
            serviceTrustPolicy("vpc-flow-logs.amazonaws.com", s.accountId, s.flowLogArns),
          ),
        ),
      },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-flow-logs`,
      {
        role: flowLogRole.id,
        policy: pulumi.jsonStringify(flowLogGroup.arn.apply(flowLogsPolicy)),
      },
      parent,
    );
    new aws.ec2.FlowLog(
      `${name}-flow-logs`,
      {
        vpcId: vpc.vpcId,
        trafficType: "ALL",
        logDestinationType: "cloud-watch-logs",
        logDestination: flowLogGroup.arn,
        iamRoleArn: flowLogRole.arn,
        maxAggregationInterval: 60,
      },
      parent,
    );

    const groups = Object.fromEntries(
      GROUPS.filter((g) => g !== "cluster" && (g !== "database" || args.database)).map((g) => [
        g,
        new aws.ec2.SecurityGroup(
          `${name}-${g}`,
          {
            vpcId: vpc.vpcId,
            description: `platform ${g}`,
            // Rules live in their own resources; inline rules would fight them.
            tags: { Name: `${name}-${g}` },
          },
          parent,
        ),
      ]),
    ) as Partial<Record<Group, aws.ec2.SecurityGroup>>;
    const groupIds = Object.fromEntries(Object.entries(groups).map(([g, sg]) => [g, sg.id]));
    createSecurityGroupRules(
      name,
      rules.filter((r) => !involvesCluster(r)),
      groupIds,
      parent,
    );

    // Gateway endpoints on every route table of the VPC (awsx creates one per subnet).
    const routeTableIds = vpc.routeTables.apply((tables) => pulumi.all(tables.map((t) => t.id)));
    for (const service of GATEWAY_ENDPOINTS) {
      new aws.ec2.VpcEndpoint(
        `${name}-${endpointKey(service)}`,
        {
          vpcId: vpc.vpcId,
          vpcEndpointType: "Gateway",
          serviceName: pulumi.interpolate`${partition.reverseDnsPrefix}.${region.region}.${service}`,
          routeTableIds,
        },
        parent,
      );
    }
    for (const service of INTERFACE_ENDPOINTS) {
      new aws.ec2.VpcEndpoint(
        `${name}-${endpointKey(service)}`,
        {
          vpcId: vpc.vpcId,
          vpcEndpointType: "Interface",
          serviceName: pulumi
            .all([partition.reverseDnsPrefix, region.region])
            .apply(([prefix, r]) => endpointServiceName(prefix, r, service)),
          subnetIds: vpc.privateSubnetIds,
          securityGroupIds: [groups.endpoints!.id],
          privateDnsEnabled: true,
        },
        parent,
      );
    }

    // The data tier's NACL; the public and app tiers keep the VPC's default NACL (allow all) and
    // rely on the security groups, which are stateful and reference each other.
    const nacl = new aws.ec2.NetworkAcl(
      `${name}-data`,
      { vpcId: vpc.vpcId, subnetIds: vpc.isolatedSubnetIds, tags: { Name: `${name}-data` } },
      parent,
    );
    for (const rule of dataTierNaclRules(plan.blocks.app)) {
      new aws.ec2.NetworkAclRule(
        `${name}-data-${rule.key}`,
        {
          networkAclId: nacl.id,
          ruleNumber: rule.ruleNumber,
          egress: rule.egress,
          protocol: rule.protocol,
          ruleAction: rule.ruleAction,
          cidrBlock: rule.cidrBlock,
          fromPort: rule.fromPort,
          toPort: rule.toPort,
        },
        parent,
      );
    }

    this.plan = plan;
    this.vpcId = vpc.vpcId;
    this.publicSubnetIds = vpc.publicSubnetIds;
    this.appSubnetIds = vpc.privateSubnetIds;
    this.dataSubnetIds = vpc.isolatedSubnetIds;
    this.securityGroupIds = Object.fromEntries(
      Object.entries(groups).map(([g, sg]) => [g, sg.id]),
    ) as Network["securityGroupIds"];
    this.clusterRules = rules.filter(involvesCluster);
    this.flowLogGroupName = flowLogGroup.name;
    this.registerOutputs({
      vpcId: this.vpcId,
      publicSubnetIds: this.publicSubnetIds,
      appSubnetIds: this.appSubnetIds,
      dataSubnetIds: this.dataSubnetIds,
      securityGroupIds: this.securityGroupIds,
      flowLogGroupName: this.flowLogGroupName,
    });
  }
}

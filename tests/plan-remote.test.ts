/**
 * The plan shows what the engine analyzes: the remote components' children, derived for the
 * program's exact arguments, and the components themselves with empty inputs; the policy pack
 * judges that view.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { PlanResult, StackPlan } from "../plan/plan";
import type { RecordedResource } from "../plan/record";
import { engineView } from "../plan/remote";
import { expandEksCluster } from "../plan/remote/eks";
import { expandVpc } from "../plan/remote/vpc";
import { evaluateResources } from "../policy/offline";
import { ALL_POLICIES } from "../policy/policies";
import { at, isCustomerKey } from "../policy/values";
import type { ResourcePolicy } from "../policy/types";
import { countByType, one } from "./fixtures";
import { planProjectWithPack } from "./project-plan";

const childrenOf = (plan: StackPlan, component: RecordedResource) => {
  const byUrn = new Map(plan.analyzed.map((r) => [r.urn, r]));
  const within = (r: RecordedResource): boolean =>
    r.parent === component.urn || (byUrn.has(r.parent) && within(byUrn.get(r.parent)!));
  return plan.analyzed.filter(within);
};

describe("the engine's view of the project's stacks", () => {
  let result: PlanResult;
  beforeAll(async () => {
    result = await planProjectWithPack();
  });

  it("has no mandatory violation when the pack judges what the engine analyzes", () => {
    for (const s of result.stacks) {
      expect(
        s.document.violations.filter((v) => v.enforcementLevel === "mandatory"),
        s.stack,
      ).toEqual([]);
    }
  });

  describe.each(["eu-central-1", "us-east-1"])("region %s", (region) => {
    let plan: StackPlan;
    beforeAll(() => {
      plan = result.stacks.find((s) => s.stack === region)!;
    });

    it("shows both remote components with empty inputs, in the policy run and the document", () => {
      for (const type of ["awsx:ec2:Vpc", "eks:index:Cluster"]) {
        const seen = one(plan.analyzed, type);
        expect(seen.inputs).toEqual({});
        const step = plan.document.steps.find((s) => s.urn === seen.urn)!;
        expect(step.newState.inputs).toEqual({});
        // The program did give them arguments: the engine's view drops them.
        expect(Object.keys(one(plan.records, type).inputs).length).toBeGreaterThan(5);
      }
    });

    it("shows the VPC's 41 children for three zones, one NAT gateway per zone", () => {
      const vpc = one(plan.records, "awsx:ec2:Vpc");
      expect(countByType(childrenOf(plan, vpc))).toEqual({
        "aws:ec2/eip:Eip": 3,
        "aws:ec2/internetGateway:InternetGateway": 1,
        "aws:ec2/natGateway:NatGateway": 3,
        "aws:ec2/route:Route": 6,
        "aws:ec2/routeTable:RouteTable": 9,
        "aws:ec2/routeTableAssociation:RouteTableAssociation": 9,
        "aws:ec2/subnet:Subnet": 9,
        "aws:ec2/vpc:Vpc": 1,
      });
      // Each subnet carries the block, zone and tags the program asked for, with the id the
      // component reports.
      const specs = vpc.inputs.subnetSpecs as Array<{ name: string; cidrBlocks: string[] }>;
      const out = vpc.outputs as { privateSubnetIds: string[]; availabilityZones: string[] };
      const app2 = one(plan.analyzed, "aws:ec2/subnet:Subnet", `${vpc.name}-app-2`);
      expect(app2.inputs).toMatchObject({
        cidrBlock: specs.find((s) => s.name === "app")!.cidrBlocks[1],
        availabilityZone: out.availabilityZones[1],
        mapPublicIpOnLaunch: false,
        tags: { SubnetType: "Private", "platform:tier": "app" },
      });
      expect(app2.id).toBe(out.privateSubnetIds[1]);
      expect(one(plan.analyzed, "aws:ec2/vpc:Vpc").inputs).toEqual({
        cidrBlock: vpc.inputs.cidrBlock,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        tags: { Name: vpc.name },
      });
    });

    it("routes each app subnet through its own zone's NAT gateway", () => {
      const vpc = one(plan.records, "awsx:ec2:Vpc");
      for (const zone of [1, 2, 3]) {
        const route = one(plan.analyzed, "aws:ec2/route:Route", `${vpc.name}-app-${zone}`);
        const nat = one(plan.analyzed, "aws:ec2/natGateway:NatGateway", `${vpc.name}-${zone}`);
        expect(route.inputs.natGatewayId).toBe(nat.id);
      }
      // The data tier has no route at all.
      expect(
        plan.analyzed
          .filter((r) => r.name.startsWith(`${vpc.name}-data-`))
          .map((r) => r.type)
          .sort(),
      ).toEqual([
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/subnet:Subnet",
      ]);
    });

    it("puts the gateway endpoints on the VPC's route tables", () => {
      const tables = plan.analyzed
        .filter((r) => r.type === "aws:ec2/routeTable:RouteTable")
        .map((r) => r.id)
        .sort();
      const gateways = plan.analyzed.filter(
        (r) =>
          r.type === "aws:ec2/vpcEndpoint:VpcEndpoint" && r.inputs.vpcEndpointType === "Gateway",
      );
      expect(gateways.length).toBeGreaterThan(0);
      for (const g of gateways)
        expect([...(g.inputs.routeTableIds as string[])].sort()).toEqual(tables);
    });

    it("shows the EKS cluster's 7 children (the program declares the VPC CNI add-on itself), the cluster resource carrying the region key", () => {
      const cluster = one(plan.records, "eks:index:Cluster");
      const name = cluster.name;
      expect(
        childrenOf(plan, cluster)
          .map((r) => `${r.type} ${r.name}`)
          .sort(),
      ).toEqual(
        [
          `aws:eks/addon:Addon ${name}-kube-proxy`,
          `aws:eks/cluster:Cluster ${name}-eksCluster`,
          `aws:iam/openIdConnectProvider:OpenIdConnectProvider ${name}-oidcProvider`,
          `aws:iam/role:Role ${name}-eksRole-role`,
          // sha1("arn:aws:iam::aws:policy/AmazonEKSClusterPolicy").slice(0, 8), as servicerole.ts
          `aws:iam/rolePolicyAttachment:RolePolicyAttachment ${name}-eksRole-4b490823`,
          `eks:index:ServiceRole ${name}-eksRole`,
          `pulumi:providers:kubernetes ${name}-eks-k8s`,
        ].sort(),
      );
      const eks = one(plan.analyzed, "aws:eks/cluster:Cluster");
      expect(eks.inputs).toMatchObject({
        name: cluster.inputs.name,
        version: cluster.inputs.version,
        encryptionConfig: {
          provider: { keyArn: cluster.inputs.encryptionConfigKeyArn },
          resources: ["secrets"],
        },
        vpcConfig: {
          subnetIds: cluster.inputs.privateSubnetIds,
          endpointPrivateAccess: cluster.inputs.endpointPrivateAccess,
          endpointPublicAccess: cluster.inputs.endpointPublicAccess,
        },
        accessConfig: { authenticationMode: "API" },
        enabledClusterLogTypes: cluster.inputs.enabledClusterLogTypes,
      });
      expect(eks.inputs.roleArn).toBe(
        one(plan.analyzed, "aws:iam/role:Role", `${name}-eksRole-role`).outputs.arn,
      );
      // The nested components are components too: no inputs.
      expect(one(plan.analyzed, "eks:index:ServiceRole").inputs).toEqual({});
    });
  });

  it("catches a policy that judges a remote component's inputs", () => {
    // The shape eks-secrets-cmk had: reading the component's encryptionConfigKeyArn.
    const onComponent: ResourcePolicy = {
      kind: "resource",
      name: "eks-component-key",
      domain: "kms",
      description: "reads a remote component's argument",
      message: "Set encryptionConfigKeyArn",
      types: ["eks:index:Cluster"],
      check: ({ props }) => (isCustomerKey(at(props, "encryptionConfigKeyArn")) ? [] : ["no key"]),
    };
    const plan = result.stacks.find((s) => s.stack === "us-east-1")!;
    const run = (resources: readonly RecordedResource[]) =>
      evaluateResources(resources, undefined, { policies: [onComponent] }).violations.map(
        (v) => v.urn,
      );
    // It passes on what the program registered, and fails on what the engine analyzes.
    expect(run(plan.records)).toEqual([]);
    expect(run(plan.analyzed)).toEqual([one(plan.records, "eks:index:Cluster").urn]);
  });
});

describe("the pack judges custom resources only", () => {
  it.each(ALL_POLICIES.map((p) => [p.name, p.types] as const))("%s", (_name, types) => {
    // Custom resource tokens name a module path (`aws:eks/cluster:Cluster`); component tokens
    // such as eks:index:Cluster and awsx:ec2:Vpc do not.
    for (const type of types) expect(type).toMatch(/^[a-z0-9-]+:[^:]*\/[^:]*:[A-Za-z0-9]+$/);
  });
});

/** A remote component record as the program registers it. */
function component(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  outputs: Record<string, unknown>,
): RecordedResource {
  return {
    op: "create",
    urn: `urn:pulumi:dev::platform::platform:region:Network$${type}::${name}`,
    type,
    name,
    custom: false,
    remote: true,
    id: "",
    parent: "urn:pulumi:dev::platform::pulumi:pulumi:Stack::platform-dev",
    provider: "",
    dependencies: [],
    protect: false,
    retainOnDelete: false,
    inputs,
    outputs,
  };
}

const ZONES = ["us-east-1a", "us-east-1b"];
const vpcArgs = (nat: string, extra: Record<string, unknown> = {}) =>
  component(
    "awsx:ec2:Vpc",
    "net",
    {
      cidrBlock: "10.0.0.0/16",
      numberOfAvailabilityZones: 2,
      subnetStrategy: "Auto",
      subnetSpecs: [
        { type: "Private", name: "app", cidrBlocks: ["10.0.0.0/18", "10.0.64.0/18"] },
        { type: "Public", cidrBlocks: ["10.0.128.0/20", "10.0.144.0/20"] },
      ],
      natGateways: { strategy: nat },
      ...extra,
    },
    {
      vpcId: "vpc-1",
      availabilityZones: ZONES,
      publicSubnetIds: ["subnet-p1", "subnet-p2"],
      privateSubnetIds: ["subnet-a1", "subnet-a2"],
      isolatedSubnetIds: [],
    },
  );

describe("awsx:ec2:Vpc children (awsx/ec2/vpc.ts)", () => {
  it("creates public subnets first in each zone, named after the spec or the type", () => {
    expect(
      expandVpc(vpcArgs("OnePerAz"))
        .filter((r) => r.type === "aws:ec2/subnet:Subnet")
        .map((r) => [r.name, r.id]),
    ).toEqual([
      ["net-public-1", "subnet-p1"],
      ["net-app-1", "subnet-a1"],
      ["net-public-2", "subnet-p2"],
      ["net-app-2", "subnet-a2"],
    ]);
  });

  it("with a single NAT gateway, routes every private subnet through the first zone's", () => {
    const records = expandVpc(vpcArgs("Single"));
    const nats = records.filter((r) => r.type === "aws:ec2/natGateway:NatGateway");
    expect(nats.map((n) => [n.name, n.inputs.subnetId])).toEqual([["net-1", "subnet-p1"]]);
    expect(records.filter((r) => r.type === "aws:ec2/eip:Eip")).toHaveLength(1);
    const routes = records.filter(
      (r) => r.type === "aws:ec2/route:Route" && r.name.includes("app"),
    );
    expect(routes.map((r) => r.inputs.natGatewayId)).toEqual([nats[0].id, nats[0].id]);
  });

  it("with no NAT gateway, gives private subnets no route", () => {
    const records = expandVpc(vpcArgs("None"));
    expect(records.filter((r) => r.type === "aws:ec2/natGateway:NatGateway")).toEqual([]);
    expect(records.filter((r) => r.type === "aws:ec2/route:Route").map((r) => r.name)).toEqual([
      "net-public-1",
      "net-public-2",
    ]);
  });

  it("fails on an argument it does not model, naming it", () => {
    expect(() => expandVpc(vpcArgs("Single", { vpcEndpointSpecs: [] }))).toThrow(
      /does not model awsx:ec2:Vpc argument\(s\) vpcEndpointSpecs of urn:pulumi:dev::platform::platform:region:Network\$awsx:ec2:Vpc::net/,
    );
  });
});

const clusterArgs = (extra: Record<string, unknown> = {}) =>
  component(
    "eks:index:Cluster",
    "k",
    {
      name: "k-use1",
      version: "1.34",
      vpcId: "vpc-1",
      privateSubnetIds: ["subnet-a1", "subnet-a2"],
      endpointPrivateAccess: true,
      endpointPublicAccess: true,
      publicAccessCidrs: ["203.0.113.0/24"],
      encryptionConfigKeyArn: "arn:aws:kms:us-east-1:123456789012:key/k",
      authenticationMode: "API",
      skipDefaultNodeGroup: true,
      skipDefaultSecurityGroups: true,
      ...extra,
    },
    {
      oidcIssuer: "oidc.eks.us-east-1.amazonaws.com/id/ABC",
      kubeconfig: { apiVersion: "v1" },
      eksCluster: {
        name: "k-use1",
        arn: "arn:aws:eks:us-east-1:123456789012:cluster/k-use1",
        endpoint: "https://abc.eks.amazonaws.com",
        vpcConfig: { clusterSecurityGroupId: "sg-1" },
        certificateAuthority: { data: "Y2E=" },
      },
    },
  );

describe("eks:index:Cluster children (nodejs/eks/cluster/cluster.ts, v4.3.0)", () => {
  it("carries the endpoint settings and the CMK to the cluster resource", () => {
    const eks = one(expandEksCluster(clusterArgs()), "aws:eks/cluster:Cluster");
    expect(eks.inputs.vpcConfig).toEqual({
      subnetIds: ["subnet-a1", "subnet-a2"],
      endpointPrivateAccess: true,
      endpointPublicAccess: true,
      publicAccessCidrs: ["203.0.113.0/24"],
    });
    expect(evaluateResources([eks]).violations).toEqual([]);
  });

  it("fails as createCore does on CIDRs without a public endpoint", () => {
    expect(() => expandEksCluster(clusterArgs({ endpointPublicAccess: false }))).toThrow(
      "`publicAccessCidrs` can only be set when `endpointPublicAccess` is true",
    );
  });

  it("turns vpcCniOptions into the vpc-cni add-on's configuration and role", () => {
    const records = expandEksCluster(
      clusterArgs({
        vpcCniOptions: {
          enableNetworkPolicy: true,
          serviceAccountRoleArn: "arn:aws:iam::123456789012:role/cni",
        },
      }),
    );
    const cni = one(records, "aws:eks/addon:Addon", "k-vpc-cni");
    expect(cni.parent).toBe(one(records, "eks:index:VpcCniAddon").urn);
    expect(cni.inputs.serviceAccountRoleArn).toBe("arn:aws:iam::123456789012:role/cni");
    const config = JSON.parse(String(cni.inputs.configurationValues)) as Record<string, unknown>;
    expect(config.enableNetworkPolicy).toBe("true");
    expect(config.init).toEqual({ env: { DISABLE_TCP_EARLY_DEMUX: "false" } });
  });

  it("creates access entries and their policy associations", () => {
    const records = expandEksCluster(
      clusterArgs({
        accessEntries: {
          deployer: {
            principalArn: "arn:aws:iam::123456789012:role/deployer",
            accessPolicies: {
              admin: {
                policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                accessScope: { type: "cluster" },
              },
            },
          },
        },
      }),
    );
    const entry = one(records, "aws:eks/accessEntry:AccessEntry", "k-deployer");
    expect(entry.inputs).toEqual({
      clusterName: "k-use1",
      principalArn: "arn:aws:iam::123456789012:role/deployer",
    });
    const association = one(records, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation");
    expect([association.name, association.parent]).toEqual(["k-deployer-admin", entry.urn]);
    // The vpc-cni add-on waits for the access entries (authDependencies).
    expect(one(records, "eks:index:VpcCniAddon").dependencies).toEqual([entry.urn]);
  });

  it("fails on what it does not model: the default node group", () => {
    expect(() => expandEksCluster(clusterArgs({ skipDefaultNodeGroup: false }))).toThrow(
      /only with skipDefaultNodeGroup and skipDefaultSecurityGroups/,
    );
  });
});

describe("engineView", () => {
  it("refuses a remote component it cannot expand", () => {
    expect(() => engineView([component("awsx:lb:ApplicationLoadBalancer", "alb", {}, {})])).toThrow(
      "the offline plan cannot show what the engine analyzes for the remote component awsx:lb:ApplicationLoadBalancer",
    );
  });
});

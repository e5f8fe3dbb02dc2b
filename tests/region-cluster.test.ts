import { beforeAll, describe, expect, it } from "vitest";
import { CHARTS } from "../components/region/charts";
import {
  clusterAutoscalerPolicy,
  irsaTrust,
  loadBalancerControllerPolicy,
} from "../components/region/iam";
import { CONTROL_PLANE_LOG_TYPES, perZoneSizes } from "../components/region/node-groups";
import { endpointAccessProblems } from "../lib/config/endpoint-access";
import { formatProblem, problemsFromZod } from "../lib/config/errors";
import { regionSchema } from "../lib/config/schema";
import type { StackEvaluation } from "../plan/evaluate";
import {
  KEY_ARN,
  doc,
  evaluatePlatform,
  ofType,
  one,
  rawRegion,
  regionConfig,
} from "./region-helpers";

describe("per-zone node group sizes", () => {
  describe.each([
    [{ minSize: 3, desiredSize: 3, maxSize: 12 }, 3, { minSize: 1, desiredSize: 1, maxSize: 4 }],
    [{ minSize: 4, desiredSize: 5, maxSize: 10 }, 3, { minSize: 2, desiredSize: 2, maxSize: 4 }],
    [{ minSize: 2, desiredSize: 2, maxSize: 2 }, 2, { minSize: 1, desiredSize: 1, maxSize: 1 }],
  ])("%o over %i zones", (total, zones, expected) => {
    it("rounds each zone up", () => expect(perZoneSizes(total, zones)).toEqual(expected));
  });

  describe.each([
    [
      { minSize: 1, desiredSize: 1, maxSize: 2 },
      3,
      "cluster.maxSize: 2 is less than network.azCount 3; each zone's node group needs at least one node",
    ],
    [
      { minSize: 5, desiredSize: 3, maxSize: 12 },
      3,
      "cluster: expected minSize <= desiredSize <= maxSize, got 5, 3, 12",
    ],
  ])("rejects %o over %i zones", (total, zones, message) => {
    it("with the values", () => expect(() => perZoneSizes(total, zones)).toThrow(message));
  });
});

describe("who can reach the Kubernetes API", () => {
  // The problems name the key; the schema reports them as platform:cluster.<key> (config.test.ts).
  describe.each([
    [
      "a deployer outside the VPC with no public endpoint",
      { deployerNetwork: "internet", publicAccessCidrs: [], allowPublicAccessFromAnywhere: false },
      [
        "publicAccessCidrs: empty, so the API has no public endpoint, but cluster.deployerNetwork is internet: the deployer could not reach the API; list its egress CIDRs here, or deploy from inside the VPC and set cluster.deployerNetwork: vpc",
      ],
    ],
    [
      "0.0.0.0/0 without the acknowledgement",
      {
        deployerNetwork: "internet",
        publicAccessCidrs: ["0.0.0.0/0"],
        allowPublicAccessFromAnywhere: false,
      },
      [
        "publicAccessCidrs: 0.0.0.0/0 opens the Kubernetes API's public endpoint to the whole internet (IAM authentication still applies); list the deployer's egress CIDRs, or accept it with cluster.allowPublicAccessFromAnywhere: true",
      ],
    ],
    [
      "an acknowledgement with nothing to acknowledge",
      {
        deployerNetwork: "internet",
        publicAccessCidrs: ["203.0.113.0/24"],
        allowPublicAccessFromAnywhere: true,
      },
      [
        "allowPublicAccessFromAnywhere: true, but cluster.publicAccessCidrs does not contain 0.0.0.0/0: there is nothing to accept; remove the setting",
      ],
    ],
    [
      "a private range on the public endpoint",
      {
        deployerNetwork: "vpc",
        publicAccessCidrs: ["10.0.0.0/8"],
        allowPublicAccessFromAnywhere: false,
      },
      [
        "publicAccessCidrs: 10.0.0.0/8 is a private range, which never reaches the public endpoint; callers in the VPC use the private endpoint (set cluster.deployerNetwork: vpc for a deployer there)",
      ],
    ],
  ] as const)("%s", (_, access, expected) => {
    it("is refused, naming the key", () =>
      expect(
        endpointAccessProblems({ ...access, publicAccessCidrs: [...access.publicAccessCidrs] }).map(
          (p) => `${p.key}: ${p.message}`,
        ),
      ).toEqual(expected));
  });

  describe.each([
    ["the pipeline default", "internet", ["0.0.0.0/0"], true],
    ["a deployer with fixed egress", "internet", ["203.0.113.0/24"], false],
    ["a deployer in the VPC", "vpc", [], false],
  ] as const)("%s", (_, deployerNetwork, cidrs, allow) => {
    it("is accepted", () =>
      expect(
        endpointAccessProblems({
          deployerNetwork,
          publicAccessCidrs: [...cidrs],
          allowPublicAccessFromAnywhere: allow,
        }),
      ).toEqual([]));
  });

  it("is reported by the schema on the key of the stack file", () => {
    const raw = rawRegion();
    raw.cluster.deployerNetwork = "internet";
    raw.cluster.publicAccessCidrs = [];
    const parsed = regionSchema.safeParse(raw);
    expect(parsed.success).toBe(false);
    expect(
      problemsFromZod("eu-central-1", raw, parsed.error!).map((p) => formatProblem(p)),
    ).toEqual([
      'stack "eu-central-1": config key platform:cluster.publicAccessCidrs = []: empty, so the API has no public endpoint, but cluster.deployerNetwork is internet: the deployer could not reach the API; list its egress CIDRs here, or deploy from inside the VPC and set cluster.deployerNetwork: vpc',
    ]);
  });

  it("fails the platform before any resource is declared", async () => {
    const config = regionConfig();
    const unchecked = { ...config, cluster: { ...config.cluster, deployerNetwork: "internet" } };
    await expect(evaluatePlatform(unchecked as typeof config)).rejects.toThrow(
      "cluster.publicAccessCidrs: empty, so the API has no public endpoint",
    );
  });
});

describe("add-on IAM documents", () => {
  it("trusts exactly one service account", () => {
    const trust = irsaTrust(
      "arn:aws:iam::1:oidc-provider/oidc.example/id/X",
      "oidc.example/id/X",
      "kube-system",
      "cluster-autoscaler",
    );
    expect(trust.Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Federated: "arn:aws:iam::1:oidc-provider/oidc.example/id/X" },
        Action: ["sts:AssumeRoleWithWebIdentity"],
        Condition: {
          StringEquals: {
            "oidc.example/id/X:sub": "system:serviceaccount:kube-system:cluster-autoscaler",
            "oidc.example/id/X:aud": "sts.amazonaws.com",
          },
        },
      },
    ]);
  });

  it("lets cluster-autoscaler change only the groups tagged as this cluster's", () => {
    const p = clusterAutoscalerPolicy(
      { partition: "aws-cn", region: "cn-north-1", accountId: "1" },
      "c1",
    );
    expect(p.Statement[1]).toEqual({
      Sid: "ScaleOwnGroups",
      Effect: "Allow",
      Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
      Resource: "arn:aws-cn:autoscaling:cn-north-1:1:autoScalingGroup:*:autoScalingGroupName/*",
      Condition: { StringEquals: { "aws:ResourceTag/k8s.io/cluster-autoscaler/c1": "owned" } },
    });
  });

  it("lets the Load Balancer Controller register targets only in the ingress target group", () => {
    const p = loadBalancerControllerPolicy("arn:aws:elasticloadbalancing:r:1:targetgroup/tg/1");
    const writes = p.Statement.filter((s) => s.Resource !== "*");
    expect(writes).toEqual([
      {
        Sid: "RegisterTargets",
        Effect: "Allow",
        Action: ["elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets"],
        Resource: "arn:aws:elasticloadbalancing:r:1:targetgroup/tg/1",
      },
    ]);
    const reads = p.Statement.find((s) => s.Resource === "*")!;
    expect([reads.Action].flat().every((a) => /:(Describe|Get)/.test(a))).toBe(true);
  });
});

describe("Cluster under the mock monitor", () => {
  let ev: StackEvaluation;
  beforeAll(async () => {
    ev = await evaluatePlatform(regionConfig());
  });

  it("declares EKS with secrets encryption, a private endpoint, all logs and API auth", () => {
    const cluster = one(ev.records, "eks:index:Cluster");
    expect(cluster.remote).toBe(true);
    const vpcOut = one(ev.records, "awsx:ec2:Vpc").outputs as { privateSubnetIds: string[] };
    expect(cluster.inputs).toMatchObject({
      name: "platform-euc1",
      version: "1.35",
      privateSubnetIds: vpcOut.privateSubnetIds,
      encryptionConfigKeyArn: KEY_ARN,
      endpointPrivateAccess: true,
      endpointPublicAccess: false,
      enabledClusterLogTypes: [...CONTROL_PLANE_LOG_TYPES],
      authenticationMode: "API",
      skipDefaultNodeGroup: true,
      createOidcProvider: true,
      deletionProtection: true,
    });
    expect(cluster.inputs.publicAccessCidrs).toBeUndefined();
    const logs = one(
      ev.records,
      "aws:cloudwatch/logGroup:LogGroup",
      "platform-cluster-control-plane",
    );
    expect(logs.inputs).toMatchObject({
      name: "/aws/eks/platform-euc1/cluster",
      kmsKeyId: KEY_ARN,
    });
    expect(cluster.dependencies).toContain(logs.urn);
  });

  it("opens the public endpoint only to the configured CIDRs", async () => {
    const open = await evaluatePlatform(
      regionConfig((raw) => {
        raw.cluster.deployerNetwork = "internet";
        raw.cluster.publicAccessCidrs = ["203.0.113.0/24"];
      }),
    );
    expect(one(open.records, "eks:index:Cluster").inputs).toMatchObject({
      endpointPrivateAccess: true,
      endpointPublicAccess: true,
      publicAccessCidrs: ["203.0.113.0/24"],
    });
  });

  it("runs one managed node group per zone on an IMDSv2-only, encrypted launch template", () => {
    const lt = one(ev.records, "aws:ec2/launchTemplate:LaunchTemplate");
    // Hop limit 1: pods on the pod network cannot reach the node's credentials.
    expect(lt.inputs.metadataOptions).toEqual({
      httpEndpoint: "enabled",
      httpTokens: "required",
      httpPutResponseHopLimit: 1,
    });
    expect(lt.inputs.blockDeviceMappings).toEqual([
      {
        deviceName: "/dev/xvda",
        ebs: {
          encrypted: "true",
          kmsKeyId: KEY_ARN,
          volumeSize: 80,
          volumeType: "gp3",
          deleteOnTermination: "true",
        },
      },
    ]);
    const nodeSg = one(ev.records, "aws:ec2/securityGroup:SecurityGroup", "platform-network-nodes");
    expect(lt.inputs.vpcSecurityGroupIds).toEqual([nodeSg.id]);
    const groups = ofType(ev.records, "aws:eks/nodeGroup:NodeGroup");
    const vpcOut = one(ev.records, "awsx:ec2:Vpc").outputs as { privateSubnetIds: string[] };
    expect(groups.map((g) => [g.name, g.inputs.subnetIds, g.inputs.scalingConfig])).toEqual(
      [0, 1, 2].map((i) => [
        `platform-cluster-zone-${i}`,
        [vpcOut.privateSubnetIds[i]],
        { minSize: 1, desiredSize: 1, maxSize: 4 },
      ]),
    );
    for (const g of groups) {
      expect(g.inputs.launchTemplate).toEqual({ id: lt.id, version: "1" });
      expect(g.inputs.instanceTypes).toEqual(["m7i.large"]);
    }
  });

  it("gives the nodes two managed policies and the VPC CNI its own role with the CNI policy", () => {
    const attached = ofType(ev.records, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").map(
      (a) => [a.name, a.inputs.policyArn],
    );
    const nodeRole = one(ev.records, "aws:iam/role:Role", "platform-cluster-nodes");
    const cniRole = one(ev.records, "aws:iam/role:Role", "platform-cluster-vpc-cni");
    expect(
      ofType(ev.records, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        .map((a) => [a.inputs.role, a.inputs.policyArn])
        .sort(),
    ).toEqual(
      [
        [nodeRole.outputs.name, "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"],
        [nodeRole.outputs.name, "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"],
        [cniRole.outputs.name, "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"],
      ].sort(),
    );
    expect(attached).toHaveLength(3);
    const oidc = one(ev.records, "eks:index:Cluster").outputs as {
      oidcProviderArn: string;
      oidcIssuer: string;
    };
    const trust = doc(cniRole.inputs.assumeRolePolicy).Statement[0];
    expect((trust.Principal as { Federated: string }).Federated).toBe(oidc.oidcProviderArn);
    expect(trust.Condition?.StringEquals[`${oidc.oidcIssuer}:sub`]).toBe(
      "system:serviceaccount:kube-system:aws-node",
    );
  });

  it("runs the VPC CNI add-on with network policy enforcement, before the nodes", () => {
    const cluster = one(ev.records, "eks:index:Cluster");
    // The component's own CNI add-on is off: it could not carry the IRSA role.
    expect(cluster.inputs.useDefaultVpcCni).toBe(true);
    const addon = ofType(ev.records, "aws:eks/addon:Addon").filter(
      (a) => a.inputs.addonName === "vpc-cni",
    );
    expect(addon).toHaveLength(1);
    const cniRole = one(ev.records, "aws:iam/role:Role", "platform-cluster-vpc-cni");
    expect(addon[0].inputs).toMatchObject({
      serviceAccountRoleArn: cniRole.outputs.arn,
      resolveConflictsOnCreate: "OVERWRITE",
    });
    expect(JSON.parse(String(addon[0].inputs.configurationValues))).toEqual({
      enableNetworkPolicy: "true",
    });
    for (const g of ofType(ev.records, "aws:eks/nodeGroup:NodeGroup")) {
      expect(g.dependencies).toContain(addon[0].urn);
    }
  });

  it("installs pinned charts through the cluster's Kubernetes provider", () => {
    const provider = one(ev.records, "pulumi:providers:kubernetes");
    // Provider inputs travel as strings.
    expect(provider.inputs.enableServerSideApply).toBe("true");
    expect(JSON.parse(String(provider.inputs.kubeconfig)).clusters[0].name).toBe("platform-euc1");
    const releases = ofType(ev.records, "kubernetes:helm.sh/v3:Release");
    // Records arrive in completion order: compare as sorted sets.
    expect(releases.map((r) => `${r.inputs.chart}@${r.inputs.version}`).sort()).toEqual(
      [
        CHARTS.clusterAutoscaler,
        CHARTS.metricsServer,
        CHARTS.loadBalancerController,
        CHARTS.collector,
      ]
        .map((c) => `${c.chart}@${c.version}`)
        .sort(),
    );
    for (const r of releases) expect(r.provider.startsWith(provider.urn)).toBe(true);
  });

  it("gives each add-on an IRSA role trusting only its service account", () => {
    const oidc = one(ev.records, "eks:index:Cluster").outputs as {
      oidcProviderArn: string;
      oidcIssuer: string;
    };
    const trusts = ["platform-cluster-cluster-autoscaler", "platform-cluster-lb-controller"].map(
      (n) => doc(one(ev.records, "aws:iam/role:Role", n).inputs.assumeRolePolicy).Statement[0],
    );
    expect(
      trusts.map((t) => [
        (t.Principal as { Federated: string }).Federated,
        t.Condition?.StringEquals[`${oidc.oidcIssuer}:sub`],
      ]),
    ).toEqual([
      [oidc.oidcProviderArn, "system:serviceaccount:kube-system:cluster-autoscaler"],
      [oidc.oidcProviderArn, "system:serviceaccount:kube-system:aws-load-balancer-controller"],
    ]);
    const lbc = doc(
      one(ev.records, "aws:iam/rolePolicy:RolePolicy", "platform-cluster-lb-controller").inputs
        .policy,
    );
    const tg = one(ev.records, "aws:lb/targetGroup:TargetGroup");
    expect(lbc.Statement[1].Resource).toBe(tg.outputs.arn);
  });

  it("lets the control plane and the nodes reach each other through the cluster group", () => {
    const clusterSg = (
      one(ev.records, "eks:index:Cluster").outputs as { clusterSecurityGroupId: string }
    ).clusterSecurityGroupId;
    const rules = ofType(
      ev.records,
      "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    ).filter(
      (r) =>
        r.inputs.securityGroupId === clusterSg || r.inputs.referencedSecurityGroupId === clusterSg,
    );
    expect(rules.map((r) => r.name).sort()).toEqual([
      "platform-cluster-cluster-in-nodes",
      "platform-cluster-nodes-in-cluster-high",
      "platform-cluster-nodes-in-cluster-https",
    ]);
  });
});

/**
 * The region's EKS cluster (@pulumi/eks v4) in the private-app subnets: secrets encrypted with
 * the region key, a private API endpoint (public only for the configured CIDRs, which must admit
 * the deployer: lib/config/endpoint-access.ts), all control-plane logs, API authentication mode
 * (access entries), the VPC CNI as a managed add-on with network-policy enforcement and its own
 * IRSA role, one managed node group per zone on a launch template that requires IMDSv2 with a
 * hop limit of 1 and encrypts volumes with the region key; then the add-ons that make it a
 * platform (addons.ts) and a Kubernetes provider that only exists once the nodes do.
 *
 * eks.Cluster is a remote component: the offline plan sees its inputs, so the settings policies
 * check (encryptionConfigKeyArn, endpoint access, log types) are all explicit inputs here.
 */
import { checkEndpointAccess, type DeployerNetwork } from "../../lib/config/endpoint-access";
import { serviceTrustPolicy } from "../../lib/iam";
import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { installClusterAddons } from "./addons";

import { irsaRoleWithGrants } from "./irsa";
import { CONTROL_PLANE_LOG_TYPES, perZoneSizes } from "./node-groups";
import { createSecurityGroupRules } from "./security-groups";
import type { SgRule } from "./sg-rules";

/**
 * The AWS-managed policies a node needs. AmazonEKS_CNI_Policy is not among them: the VPC CNI
 * (aws-node) gets it through its own IRSA role, as AWS recommends, so that no pod can borrow it
 * from the node (https://docs.aws.amazon.com/eks/latest/userguide/cni-iam-role.html).
 */
export const NODE_MANAGED_POLICIES = [
  "AmazonEKSWorkerNodePolicy",
  "AmazonEC2ContainerRegistryReadOnly",
] as const;

/** The policy the VPC CNI's service account gets (kube-system/aws-node). */
export const CNI_MANAGED_POLICY = "AmazonEKS_CNI_Policy";
export const CNI_SERVICE_ACCOUNT = { namespace: "kube-system", name: "aws-node" } as const;

/**
 * The vpc-cni add-on's configuration: the network policy agent enforces NetworkPolicies, which
 * the VPC CNI leaves off by default
 * (https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html). The add-on
 * schema takes the flag as a string.
 */
export const VPC_CNI_CONFIGURATION = { enableNetworkPolicy: "true" } as const;

/**
 * IMDSv2 only, with a hop limit of 1: the node itself (and host-network pods such as aws-node)
 * reach the instance metadata, pods on the pod network cannot, so they cannot take the node
 * role's credentials (https://docs.aws.amazon.com/eks/latest/userguide/best-practices/identity-and-access-management.html,
 * "Restrict access to the instance profile assigned to the worker node"). EKS managed node groups
 * use the launch template's metadata options as given
 * (https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html).
 */
export const NODE_METADATA_OPTIONS = {
  httpEndpoint: "enabled",
  httpTokens: "required",
  httpPutResponseHopLimit: 1,
} as const;

export interface ClusterArgs {
  /** The EKS cluster's physical name (the control-plane log group is named after it). */
  clusterName: string;
  kubernetesVersion: string;
  vpcId: pulumi.Input<string>;
  /** The private-app subnets, one per zone, in zone order. */
  appSubnetIds: pulumi.Input<string[]>;
  azCount: number;
  instanceTypes: string[];
  minSize: number;
  desiredSize: number;
  maxSize: number;
  /** @default internet - where the deploy runs (lib/config/endpoint-access.ts) */
  deployerNetwork?: DeployerNetwork;
  /** @default [] - no public endpoint */
  publicAccessCidrs?: string[];
  /** @default false - accept 0.0.0.0/0 in publicAccessCidrs */
  allowPublicAccessFromAnywhere?: boolean;
  kmsKeyArn: pulumi.Input<string>;
  logRetentionDays: number;
  nodeSecurityGroupId: pulumi.Input<string>;
  /** Security-group rules that involve the EKS-managed cluster group (from the Network). */
  clusterRules: readonly SgRule[];
  /** The ALB's target group, the only one the Load Balancer Controller may register into. */
  ingressTargetGroupArn: pulumi.Input<string>;
  region: string;
}

export class Cluster extends pulumi.ComponentResource {
  public readonly clusterName: pulumi.Output<string>;
  public readonly kubernetesProvider: k8s.Provider;
  public readonly oidcProviderArn: pulumi.Output<string>;
  public readonly oidcProviderUrl: pulumi.Output<string>;
  public readonly clusterSecurityGroupId: pulumi.Output<string>;
  /** The managed node groups: everything that runs in the cluster waits for them. */
  public readonly nodeGroups: aws.eks.NodeGroup[];

  constructor(name: string, args: ClusterArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:region:Cluster", name, {}, opts);
    const publicAccessCidrs = args.publicAccessCidrs ?? [];
    checkEndpointAccess({
      deployerNetwork: args.deployerNetwork ?? "internet",
      publicAccessCidrs,
      allowPublicAccessFromAnywhere: args.allowPublicAccessFromAnywhere ?? false,
    });
    const sizes = perZoneSizes(args, args.azCount);
    const parent = { parent: this };
    const partition = aws.getPartitionOutput({}, parent);

    // EKS creates this group on first use without a key or retention; created first, it is ours.
    const controlPlaneLogs = new aws.cloudwatch.LogGroup(
      `${name}-control-plane`,
      {
        name: `/aws/eks/${args.clusterName}/cluster`,
        kmsKeyId: args.kmsKeyArn,
        retentionInDays: args.logRetentionDays,
      },
      { ...parent, protect: true, retainOnDelete: true },
    );

    const cluster = new eks.Cluster(
      name,
      {
        name: args.clusterName,
        version: args.kubernetesVersion,
        vpcId: args.vpcId,
        privateSubnetIds: args.appSubnetIds,
        endpointPrivateAccess: true,
        endpointPublicAccess: publicAccessCidrs.length > 0,
        ...(publicAccessCidrs.length > 0 ? { publicAccessCidrs } : {}),
        encryptionConfigKeyArn: args.kmsKeyArn,
        enabledClusterLogTypes: [...CONTROL_PLANE_LOG_TYPES],
        authenticationMode: "API",
        skipDefaultNodeGroup: true,
        // The vpc-cni add-on is declared below, with its IRSA role (which needs this cluster's
        // OIDC provider, so it cannot be given to the component's own add-on).
        useDefaultVpcCni: true,
        // The node group below brings its own group (Network); the rules are in the table.
        skipDefaultSecurityGroups: true,
        createOidcProvider: true,
        nodeAssociatePublicIpAddress: false,
        deletionProtection: true,
        tags: { Name: args.clusterName },
      },
      { ...parent, dependsOn: [controlPlaneLogs] },
    );

    createSecurityGroupRules(
      name,
      args.clusterRules,
      { nodes: args.nodeSecurityGroupId, cluster: cluster.clusterSecurityGroupId },
      parent,
    );

    const nodeRole = new aws.iam.Role(
      `${name}-nodes`,
      { assumeRolePolicy: pulumi.jsonStringify(serviceTrustPolicy("ec2.amazonaws.com")) },
      parent,
    );
    const attachments = NODE_MANAGED_POLICIES.map(
      (policy) =>
        new aws.iam.RolePolicyAttachment(
          `${name}-nodes-${policy}`,
          {
            role: nodeRole.name,
            policyArn: pulumi.interpolate`arn:${partition.partition}:iam::aws:policy/${policy}`,
          },
          parent,
        ),
    );

    const launchTemplate = new aws.ec2.LaunchTemplate(
      `${name}-nodes`,
      {
        metadataOptions: { ...NODE_METADATA_OPTIONS },
        blockDeviceMappings: [
          {
            deviceName: "/dev/xvda",
            ebs: {
              encrypted: "true",
              kmsKeyId: args.kmsKeyArn,
              volumeSize: 80,
              volumeType: "gp3",
              deleteOnTermination: "true",
            },
          },
        ],
        vpcSecurityGroupIds: [args.nodeSecurityGroupId],
        tagSpecifications: [
          { resourceType: "instance", tags: { Name: `${args.clusterName}-node` } },
        ],
      },
      parent,
    );

    // The VPC CNI as a managed add-on, on its own role, before any node: nodes come up with the
    // network policy agent and never need the CNI policy themselves. A DaemonSet with no nodes
    // yet is healthy, so the add-on becomes ACTIVE before the node groups exist.
    const cni = irsaRoleWithGrants(
      `${name}-vpc-cni`,
      {
        oidcProviderArn: cluster.oidcProviderArn,
        oidcProviderUrl: cluster.oidcProviderUrl,
        namespace: CNI_SERVICE_ACCOUNT.namespace,
        serviceAccount: CNI_SERVICE_ACCOUNT.name,
        managedPolicyArns: [
          pulumi.interpolate`arn:${partition.partition}:iam::aws:policy/${CNI_MANAGED_POLICY}`,
        ],
      },
      parent,
    );
    const cniAddon = new aws.eks.Addon(
      `${name}-vpc-cni`,
      {
        clusterName: cluster.eksCluster.name,
        addonName: "vpc-cni",
        serviceAccountRoleArn: cni.role.arn,
        configurationValues: JSON.stringify(VPC_CNI_CONFIGURATION),
        // Takes over the aws-node DaemonSet EKS installs with every new cluster.
        resolveConflictsOnCreate: "OVERWRITE",
        resolveConflictsOnUpdate: "OVERWRITE",
      },
      { ...parent, dependsOn: cni.grants },
    );

    const subnetIds = pulumi.output(args.appSubnetIds);
    this.nodeGroups = [];
    for (let zone = 0; zone < args.azCount; zone++) {
      const nodeGroup = new aws.eks.NodeGroup(
        `${name}-zone-${zone}`,
        {
          clusterName: cluster.eksCluster.name,
          nodeRoleArn: nodeRole.arn,
          subnetIds: subnetIds.apply((ids) => [ids[zone]]),
          instanceTypes: args.instanceTypes,
          amiType: "AL2023_x86_64_STANDARD",
          capacityType: "ON_DEMAND",
          scalingConfig: sizes,
          updateConfig: { maxUnavailable: 1 },
          launchTemplate: {
            id: launchTemplate.id,
            version: launchTemplate.latestVersion.apply(String),
          },
          labels: { "platform/zone-index": String(zone) },
        },
        // cluster-autoscaler owns the desired size once the group exists.
        {
          ...parent,
          dependsOn: [...attachments, cniAddon],
          ignoreChanges: ["scalingConfig.desiredSize"],
        },
      );
      this.nodeGroups.push(nodeGroup);
    }

    // Every Helm release and Kubernetes object of the region goes through this provider, and a
    // resource is only sent once its provider exists: with the node groups as the provider's
    // dependencies, nothing in the cluster (an `atomic` release that waits for Ready pods above
    // all) is created before there are nodes to run it.
    this.kubernetesProvider = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: cluster.kubeconfigJson, enableServerSideApply: true },
      { ...parent, dependsOn: this.nodeGroups },
    );
    this.clusterName = cluster.eksCluster.name;
    this.oidcProviderArn = cluster.oidcProviderArn;
    this.oidcProviderUrl = cluster.oidcProviderUrl;
    this.clusterSecurityGroupId = cluster.clusterSecurityGroupId;

    installClusterAddons(
      name,
      {
        clusterName: this.clusterName,
        region: args.region,
        vpcId: args.vpcId,
        oidcProviderArn: this.oidcProviderArn,
        oidcProviderUrl: this.oidcProviderUrl,
        ingressTargetGroupArn: args.ingressTargetGroupArn,
        kubernetesVersion: args.kubernetesVersion,
      },
      { parent: this, provider: this.kubernetesProvider, dependsOn: this.nodeGroups },
    );

    this.registerOutputs({
      clusterName: this.clusterName,
      oidcProviderArn: this.oidcProviderArn,
      oidcProviderUrl: this.oidcProviderUrl,
      clusterSecurityGroupId: this.clusterSecurityGroupId,
    });
  }
}

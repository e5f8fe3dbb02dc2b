/**
 * The region's EKS cluster (@pulumi/eks v4) in the private-app subnets: secrets encrypted with
 * the region key, a private API endpoint (public only for the configured CIDRs), all control-plane
 * logs, API authentication mode (access entries), one managed node group per zone on a launch
 * template that requires IMDSv2 and encrypts volumes with the region key; then the add-ons that
 * make it a platform (addons.ts) and a Kubernetes provider for the mesh.
 *
 * eks.Cluster is a remote component: the offline plan sees its inputs, so the settings policies
 * check (encryptionConfigKeyArn, endpoint access, log types) are all explicit inputs here.
 */
import { serviceTrustPolicy } from "../../lib/iam";
import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { installClusterAddons } from "./addons";

import { CONTROL_PLANE_LOG_TYPES, checkPublicAccessCidrs, perZoneSizes } from "./node-groups";
import { createSecurityGroupRules } from "./security-groups";
import type { SgRule } from "./sg-rules";

/** The AWS-managed policies a node needs; the only managed policies this platform attaches. */
export const NODE_MANAGED_POLICIES = [
  "AmazonEKSWorkerNodePolicy",
  "AmazonEC2ContainerRegistryReadOnly",
  "AmazonEKS_CNI_Policy",
] as const;

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
  /** @default [] - no public endpoint */
  publicAccessCidrs?: string[];
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

  constructor(name: string, args: ClusterArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:region:Cluster", name, {}, opts);
    const publicAccessCidrs = args.publicAccessCidrs ?? [];
    checkPublicAccessCidrs(publicAccessCidrs);
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
        // IMDSv2 only; hop limit 2 so that pods on the VPC CNI can still reach it when they must.
        metadataOptions: {
          httpEndpoint: "enabled",
          httpTokens: "required",
          httpPutResponseHopLimit: 2,
        },
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

    const subnetIds = pulumi.output(args.appSubnetIds);
    for (let zone = 0; zone < args.azCount; zone++) {
      new aws.eks.NodeGroup(
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
        { ...parent, dependsOn: attachments, ignoreChanges: ["scalingConfig.desiredSize"] },
      );
    }

    this.kubernetesProvider = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: cluster.kubeconfigJson, enableServerSideApply: true },
      parent,
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
      },
      { parent: this, provider: this.kubernetesProvider },
    );

    this.registerOutputs({
      clusterName: this.clusterName,
      oidcProviderArn: this.oidcProviderArn,
      oidcProviderUrl: this.oidcProviderUrl,
      clusterSecurityGroupId: this.clusterSecurityGroupId,
    });
  }
}

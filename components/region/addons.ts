/**
 * What turns the cluster into a platform: node autoscaling (cluster-autoscaler on the per-zone
 * managed node groups), metrics-server (for the mesh's HPAs), and the AWS Load Balancer
 * Controller (for the mesh's TargetGroupBinding into the ALB's IP target group). Each runs as
 * its own service account with an IRSA role scoped to what it touches.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  CHARTS,
  clusterAutoscalerChart,
  clusterAutoscalerValues,
  loadBalancerControllerValues,
  type ChartPin,
} from "./charts";
import { clusterAutoscalerPolicy, loadBalancerControllerPolicy } from "./iam";
import { irsaRole } from "./irsa";

export interface ClusterAddonsArgs {
  clusterName: pulumi.Input<string>;
  region: string;
  vpcId: pulumi.Input<string>;
  oidcProviderArn: pulumi.Input<string>;
  oidcProviderUrl: pulumi.Input<string>;
  ingressTargetGroupArn: pulumi.Input<string>;
  /** Picks the cluster-autoscaler release whose minor matches (charts.ts). */
  kubernetesVersion: string;
}

/** A pinned chart as a Helm release, with the Kubernetes provider from `opts`. */
export function chartRelease(
  name: string,
  pin: ChartPin,
  values: pulumi.Input<Record<string, unknown>>,
  opts: pulumi.CustomResourceOptions,
): k8s.helm.v3.Release {
  return new k8s.helm.v3.Release(
    name,
    {
      chart: pin.chart,
      version: pin.version,
      repositoryOpts: { repo: pin.repo },
      namespace: pin.namespace,
      createNamespace: pin.namespace !== "kube-system",
      values,
      atomic: true,
      cleanupOnFail: true,
    },
    opts,
  );
}

/**
 * `opts` carries the parent, the Kubernetes provider and the node groups the releases wait for
 * (an `atomic` release rolls back when its pods are not Ready within its timeout); IAM resources
 * use the AWS default provider.
 */
export function installClusterAddons(
  name: string,
  args: ClusterAddonsArgs,
  opts: pulumi.CustomResourceOptions,
): k8s.helm.v3.Release[] {
  const awsOpts = { parent: opts.parent };
  const partition = aws.getPartitionOutput({}, awsOpts);
  const identity = aws.getCallerIdentityOutput({}, awsOpts);
  const oidc = { oidcProviderArn: args.oidcProviderArn, oidcProviderUrl: args.oidcProviderUrl };

  const autoscalerRole = irsaRole(
    `${name}-cluster-autoscaler`,
    {
      ...oidc,
      namespace: CHARTS.clusterAutoscaler.namespace,
      serviceAccount: CHARTS.clusterAutoscaler.serviceAccount,
      policy: pulumi
        .all([partition.partition, identity.accountId, args.clusterName])
        .apply(([p, accountId, cluster]) =>
          clusterAutoscalerPolicy({ partition: p, region: args.region, accountId }, cluster),
        ),
    },
    awsOpts,
  );
  const lbcRole = irsaRole(
    `${name}-lb-controller`,
    {
      ...oidc,
      namespace: CHARTS.loadBalancerController.namespace,
      serviceAccount: CHARTS.loadBalancerController.serviceAccount,
      policy: pulumi.output(args.ingressTargetGroupArn).apply(loadBalancerControllerPolicy),
    },
    awsOpts,
  );

  return [
    chartRelease(
      `${name}-cluster-autoscaler`,
      clusterAutoscalerChart(args.kubernetesVersion),
      pulumi
        .all([args.clusterName, autoscalerRole.arn])
        .apply(([cluster, role]) => clusterAutoscalerValues(cluster, args.region, role)),
      opts,
    ),
    chartRelease(`${name}-metrics-server`, CHARTS.metricsServer, { replicas: 2 }, opts),
    chartRelease(
      `${name}-lb-controller`,
      CHARTS.loadBalancerController,
      pulumi
        .all([args.clusterName, args.vpcId, lbcRole.arn])
        .apply(([cluster, vpcId, role]) =>
          loadBalancerControllerValues(cluster, args.region, vpcId, role),
        ),
      opts,
    ),
  ];
}

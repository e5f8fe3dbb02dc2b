/**
 * One service on the mesh (`platform:mesh:Service`): its namespace (sidecar injection), its pod
 * identity (a ServiceAccount bound to an IAM role scoped to what the service declares), its
 * workload (Deployments per subset, Service, HPAs, PDB), its traffic (VirtualServices,
 * DestinationRule) and its zero-trust policies (AuthorizationPolicies, NetworkPolicies).
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceConfig } from "../../lib/config/schema";
import { accessPolicy, needsKey, trustPolicy } from "./iam";
import { otlpHttpEndpoint, parseTracingEndpoint } from "./istio";
import { serviceNamespace, type Subset } from "./names";
import { serviceNetworkPolicies } from "./network-policy";
import { istioResource, networkPolicy, tracingPolicy } from "./resources";
import {
  allowCallers,
  allowNothing,
  destinationRule,
  ingressVirtualService,
  meshVirtualService,
} from "./traffic";
import {
  deploymentName,
  deploymentSpec,
  hpaSpec,
  imageTag,
  pdbSpec,
  platformEnv,
  serviceSpec,
} from "./workload";

export interface MicroserviceArgs {
  /** The region the service runs in: its pods are told it (`PLATFORM_REGION`). */
  readonly region: string;
  /** The service, as validated by the config schema. */
  readonly service: ServiceConfig;
  /** Every service of the mesh: the ports of those this one may call. */
  readonly services: readonly ServiceConfig[];
  /** The service's ECR repository in this region (image `<url>:<tag>`). */
  readonly repositoryUrl: pulumi.Input<string>;
  readonly tableArn: pulumi.Input<string>;
  readonly bucketArn: pulumi.Input<string>;
  readonly busArn: pulumi.Input<string>;
  /** The region's event bus, which the pods are told (`EVENT_BUS_NAME`). */
  readonly busName: pulumi.Input<string>;
  /** The table and the bucket by name, which the pods are told (`TABLE_NAME`, `BUCKET_NAME`). */
  readonly tableName: pulumi.Input<string>;
  readonly bucketName: pulumi.Input<string>;
  readonly workQueueArn: pulumi.Input<string>;
  /** The work queue's URL, which the pods are told (`WORK_QUEUE_URL`). */
  readonly workQueueUrl: pulumi.Input<string>;
  /** The region's key of the multi-region KMS key. */
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly oidcProviderArn: pulumi.Input<string>;
  /** The cluster's OIDC issuer URL (with or without `https://`). */
  readonly oidcProviderUrl: pulumi.Input<string>;
  /** The public names the ingress gateway serves the service's routes on. */
  readonly ingressHosts: readonly string[];
  readonly vpcCidr: string;
  /** OTLP/gRPC address of the trace collector the sidecars send spans to. */
  readonly tracingEndpoint: pulumi.Input<string>;
  /**
   * The service answers the region's health check: the gateway may call its readiness path.
   * @default false
   */
  readonly answersHealthCheck?: boolean;
}

export class Microservice extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  public readonly roleArn: pulumi.Output<string>;

  constructor(name: string, args: MicroserviceArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:mesh:Service", name, {}, opts);
    const { service } = args;
    const ns = serviceNamespace(service.name);

    // The namespace roots every Kubernetes child, so it carries the component's ordering
    // (after istiod: its injection webhook must exist before the first pod).
    const namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      { metadata: { name: ns, labels: { "istio-injection": "enabled" } } },
      { parent: this, dependsOn: opts.dependsOn },
    );
    const inNamespace: pulumi.CustomResourceOptions = { parent: this, dependsOn: [namespace] };

    const role = new aws.iam.Role(
      `${name}-role`,
      {
        description: `Pod role of ${service.name} (IRSA)`,
        assumeRolePolicy: pulumi.jsonStringify(
          pulumi
            .all([args.oidcProviderArn, args.oidcProviderUrl])
            .apply(([arn, url]) => trustPolicy(arn, url, ns, service.name)),
        ),
      },
      { parent: this },
    );
    if (needsKey(service.access)) {
      const document = pulumi
        .all([args.tableArn, args.bucketArn, args.busArn, args.kmsKeyArn, args.workQueueArn])
        .apply(([tableArn, bucketArn, busArn, kmsKeyArn, workQueueArn]) =>
          accessPolicy(service.access, { tableArn, bucketArn, busArn, kmsKeyArn, workQueueArn }),
        );
      new aws.iam.RolePolicy(
        `${name}-access`,
        { role: role.name, policy: pulumi.jsonStringify(document) },
        { parent: this },
      );
    }

    const serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      {
        metadata: {
          name: service.name,
          namespace: ns,
          annotations: { "eks.amazonaws.com/role-arn": role.arn },
        },
      },
      inNamespace,
    );

    const subsets: Subset[] = service.canaryWeight > 0 ? ["stable", "canary"] : ["stable"];
    for (const subset of subsets) {
      new k8s.apps.v1.Deployment(
        `${name}-${subset}`,
        {
          metadata: { name: deploymentName(service.name, subset), namespace: ns },
          spec: deploymentSpec(
            service,
            subset,
            pulumi.interpolate`${args.repositoryUrl}:${imageTag(service, subset)}`,
            platformEnv(service, args.services, {
              region: args.region,
              busName: args.busName,
              tableName: args.tableName,
              bucketName: args.bucketName,
              kmsKeyArn: args.kmsKeyArn,
              workQueueUrl: args.workQueueUrl,
              otlpEndpoint: pulumi
                .output(args.tracingEndpoint)
                .apply((e) => otlpHttpEndpoint(parseTracingEndpoint(e))),
            }),
          ),
        },
        { parent: this, dependsOn: [namespace, serviceAccount] },
      );
      new k8s.autoscaling.v2.HorizontalPodAutoscaler(
        `${name}-${subset}-hpa`,
        {
          metadata: { name: deploymentName(service.name, subset), namespace: ns },
          spec: hpaSpec(service, subset),
        },
        // An HPA may precede its target (it waits for it), so it needs no edge to the Deployment.
        inNamespace,
      );
    }

    new k8s.core.v1.Service(
      `${name}-service`,
      { metadata: { name: service.name, namespace: ns }, spec: serviceSpec(service) },
      inNamespace,
    );
    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      { metadata: { name: service.name, namespace: ns }, spec: pdbSpec(service) },
      inNamespace,
    );

    istioResource(`${name}-vs`, meshVirtualService(service), inNamespace);
    const ingress = ingressVirtualService(service, args.ingressHosts);
    if (ingress) istioResource(`${name}-ingress-vs`, ingress, inNamespace);
    istioResource(`${name}-dr`, destinationRule(service), inNamespace);
    istioResource(`${name}-allow-nothing`, allowNothing(ns), inNamespace);
    const allow = allowCallers(service, args.answersHealthCheck ?? false);
    if (allow) istioResource(`${name}-allow`, allow, inNamespace);

    for (const model of serviceNetworkPolicies(service, args.services, args.vpcCidr)) {
      networkPolicy(`${name}-np-${model.name}`, model, inNamespace);
    }
    tracingPolicy(`${name}-np-allow-tracing`, ns, args.tracingEndpoint, inNamespace);

    this.namespace = namespace.metadata.name;
    this.roleArn = role.arn;
    this.registerOutputs({
      namespace: this.namespace,
      roleArn: this.roleArn,
    });
  }
}

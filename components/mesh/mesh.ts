/**
 * The service mesh of one region (`platform:mesh:Mesh`): Istio installed from its Helm charts
 * (base, istiod, the ingress gateway the ALB's target group reaches), the mesh-wide policy
 * (strict mTLS, default traffic policy, telemetry, default-deny NetworkPolicies), the region's
 * health route (health.ts) and one Microservice per configured service. Every Kubernetes child
 * uses the provider of the component's options (pass the cluster's provider:
 * `{ providers: [provider] }`).
 */
import { DestinationRule } from "@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { RegionConfig, ServiceConfig } from "../../lib/config/schema";
import type { RegionalFabric } from "../../lib/contract";
import { healthCheckService, healthVirtualService } from "./health";
import {
  gatewayValues,
  ISTIO_HELM_REPOSITORY,
  istiodValues,
  parseTracingEndpoint,
  RELEASES,
  type IstioChart,
} from "./istio";
import {
  apiServerDestinationRule,
  collectorDestinationRule,
  defaultDestinationRule,
  ingressGateway,
  meshTelemetry,
  strictMtls,
} from "./mesh-policy";
import { Microservice } from "./microservice";
import { INGRESS_GATEWAY, INGRESS_NAMESPACE, ISTIO_NAMESPACE } from "./names";
import { ingressNetworkPolicies, istioNetworkPolicies } from "./network-policy";
import { istioResource, networkPolicy, tracingPolicy } from "./resources";
import {
  repositoryUrlOf,
  validateHealthCheckPath,
  validateIngressHosts,
  validateServices,
  validateVpcCidr,
} from "./validate";

export interface ServiceMeshArgs {
  readonly region: string;
  /** Istio version (all three charts) and ingress gateway replicas. */
  readonly mesh: RegionConfig["mesh"];
  /** The services, identical in every region. */
  readonly services: readonly ServiceConfig[];
  /** The global fabric in this region: data resources, key, image repositories. */
  readonly fabric: pulumi.Input<RegionalFabric>;
  readonly workQueueArn: pulumi.Input<string>;
  /** The work queue's URL, which the services' pods are told. */
  readonly workQueueUrl: pulumi.Input<string>;
  readonly clusterName: pulumi.Input<string>;
  readonly oidcProviderArn: pulumi.Input<string>;
  readonly oidcProviderUrl: pulumi.Input<string>;
  /** The ALB target group (target type ip) the ingress gateway's pods are registered in. */
  readonly ingressTargetGroupArn: pulumi.Input<string>;
  /**
   * The gateway's plain-HTTP port, on its Service and pods: the target group's traffic port (the
   * ALB terminates TLS). Health checks go to the status port 15021, `/healthz/ready`.
   */
  readonly ingressGatewayPort: number;
  /** OTLP/gRPC address of the region's trace collector: `host:port` or `http(s)://host[:port]`. */
  readonly tracingEndpoint: pulumi.Input<string>;
  /** The VPC's block: the ALB, the EKS control plane and the interface endpoints live in it. */
  readonly vpcCidr: string;
  /** The public names (global and regional) the ingress gateway serves routes on. */
  readonly ingressHosts: readonly string[];
  /**
   * The path Route 53's health check requests on the regional name
   * (`platform:ingress.healthCheckPath`); the gateway answers it with the readiness of the first
   * service with routes (health.ts).
   */
  readonly healthCheckPath: string;
}

export class ServiceMesh extends pulumi.ComponentResource {
  /** The services deployed on the mesh, once their namespaces exist. */
  public readonly serviceNames: pulumi.Output<string[]>;
  /** Service name -> its pod role's ARN. */
  public readonly serviceRoleArns: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: ServiceMeshArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:mesh:Mesh", name, {}, opts);
    validateServices(args.services);
    validateVpcCidr(args.vpcCidr);
    validateIngressHosts(args.ingressHosts, args.services);
    validateHealthCheckPath(args.healthCheckPath, args.services);
    const healthService = healthCheckService(args.services);

    const namespaces = [ISTIO_NAMESPACE, INGRESS_NAMESPACE].map(
      (ns) =>
        new k8s.core.v1.Namespace(`${name}-${ns}`, { metadata: { name: ns } }, { parent: this }),
    );

    const release = (
      chart: IstioChart,
      values: pulumi.Input<Record<string, unknown>>,
      after: pulumi.Resource[],
    ) =>
      new k8s.helm.v3.Release(
        `${name}-${RELEASES[chart].releaseName}`,
        {
          name: RELEASES[chart].releaseName,
          chart,
          version: args.mesh.istioVersion,
          repositoryOpts: { repo: ISTIO_HELM_REPOSITORY },
          namespace: RELEASES[chart].namespace,
          createNamespace: false,
          // Roll back a failed upgrade rather than leave the control plane half-applied.
          atomic: true,
          values,
        },
        { parent: this, dependsOn: [...namespaces, ...after] },
      );
    const base = release("base", { defaultRevision: "default" }, []);
    const istiod = release(
      "istiod",
      pulumi.all([args.tracingEndpoint, args.clusterName]).apply(([endpoint, clusterName]) => ({
        ...istiodValues(parseTracingEndpoint(endpoint)),
        global: { multiCluster: { clusterName } },
      })),
      [base],
    );
    const gateway = release(
      "gateway",
      gatewayValues(args.mesh.ingressGatewayReplicas, args.ingressGatewayPort),
      [istiod],
    );

    // Istio's CRDs come with base, and istiod's webhook validates every Istio object.
    const afterIstiod: pulumi.CustomResourceOptions = { parent: this, dependsOn: [base, istiod] };
    istioResource(`${name}-peer-authentication`, strictMtls(), afterIstiod);
    istioResource(`${name}-default-destination-rule`, defaultDestinationRule(), afterIstiod);
    istioResource(
      `${name}-kubernetes-api-destination-rule`,
      apiServerDestinationRule(),
      afterIstiod,
    );
    istioResource(`${name}-telemetry`, meshTelemetry(), afterIstiod);
    // The collector's name is known once the endpoint resolves; the rule exists in every region.
    const collectorRule = pulumi
      .output(args.tracingEndpoint)
      .apply((endpoint) => collectorDestinationRule(parseTracingEndpoint(endpoint).service));
    new k8s.apiextensions.CustomResource(
      `${name}-tracing-destination-rule`,
      {
        apiVersion: DestinationRule.apiVersion,
        kind: DestinationRule.kind,
        metadata: collectorRule.metadata,
        spec: collectorRule.spec,
      },
      afterIstiod,
    );
    istioResource(`${name}-gateway`, ingressGateway(args.ingressHosts, args.ingressGatewayPort), {
      parent: this,
      dependsOn: [istiod, gateway],
    });
    if (healthService) {
      istioResource(
        `${name}-health-vs`,
        healthVirtualService(args.healthCheckPath, healthService, args.ingressHosts),
        { parent: this, dependsOn: [istiod, gateway] },
      );
    }

    // The AWS Load Balancer Controller registers the gateway pods' IPs in the ALB's target group.
    new k8s.apiextensions.CustomResource(
      `${name}-ingress-target-group-binding`,
      {
        apiVersion: "elbv2.k8s.aws/v1beta1",
        kind: "TargetGroupBinding",
        metadata: { name: INGRESS_GATEWAY, namespace: INGRESS_NAMESPACE },
        spec: {
          targetGroupARN: args.ingressTargetGroupArn,
          targetType: "ip",
          serviceRef: { name: INGRESS_GATEWAY, port: args.ingressGatewayPort },
        },
      },
      { parent: this, dependsOn: [gateway] },
    );

    for (const model of [
      ...istioNetworkPolicies(args.vpcCidr),
      ...ingressNetworkPolicies(args.services, args.vpcCidr, args.ingressGatewayPort),
    ]) {
      networkPolicy(`${name}-np-${model.namespace}-${model.name}`, model, {
        parent: this,
        dependsOn: namespaces,
      });
    }
    tracingPolicy(
      `${name}-np-${INGRESS_NAMESPACE}-allow-tracing`,
      INGRESS_NAMESPACE,
      args.tracingEndpoint,
      {
        parent: this,
        dependsOn: namespaces,
      },
    );

    const fabric = pulumi.output(args.fabric);
    const services = args.services.map(
      (service) =>
        new Microservice(
          `${name}-${service.name}`,
          {
            region: args.region,
            service,
            services: args.services,
            repositoryUrl: fabric.ecrRepositoryUrls.apply((urls) =>
              repositoryUrlOf(urls, service.name, args.region),
            ),
            tableArn: fabric.tableArn,
            bucketArn: fabric.bucketArn,
            busArn: fabric.busArn,
            busName: fabric.busName,
            tableName: fabric.tableName,
            bucketName: fabric.bucketName,
            kmsKeyArn: fabric.kmsKeyArn,
            workQueueArn: args.workQueueArn,
            workQueueUrl: args.workQueueUrl,
            oidcProviderArn: args.oidcProviderArn,
            oidcProviderUrl: args.oidcProviderUrl,
            ingressHosts: args.ingressHosts,
            vpcCidr: args.vpcCidr,
            tracingEndpoint: args.tracingEndpoint,
            answersHealthCheck: service.name === healthService?.name,
          },
          { parent: this, dependsOn: [istiod] },
        ),
    );

    this.serviceNames = pulumi.all(services.map((s) => s.namespace));
    this.serviceRoleArns = pulumi
      .all(services.map((s) => s.roleArn))
      .apply((arns) => Object.fromEntries(args.services.map((s, i) => [s.name, arns[i]])));
    this.registerOutputs({
      serviceNames: this.serviceNames,
      serviceRoleArns: this.serviceRoleArns,
    });
  }
}

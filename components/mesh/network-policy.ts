/**
 * Kubernetes NetworkPolicies, the layer under Istio's: every namespace of the mesh denies all
 * traffic by default, then allows what the mesh and the services need. Pure: the ServiceMesh
 * component turns these into NetworkPolicy resources. Enforced on EKS by the VPC CNI's network
 * policy agent.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { ServiceConfig } from "../../lib/config/schema";
import { OTLP_HTTP_PORT, type OtlpEndpoint } from "./istio";
import {
  callerNamespace,
  INGRESS_GATEWAY,
  INGRESS_NAMESPACE,
  INGRESS_STATUS_PORT,
  ISTIO_NAMESPACE,
  serviceNamespace,
} from "./names";

type Spec = k8s.types.input.networking.v1.NetworkPolicySpec;
type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type Port = k8s.types.input.networking.v1.NetworkPolicyPort;

export interface NetworkPolicyModel {
  readonly name: string;
  readonly namespace: string;
  readonly spec: Spec;
}

/** Ports of istiod: xDS and certificates (15012), the injection/validation webhook (15017). */
export const ISTIOD_XDS_PORT = 15012;
export const ISTIOD_WEBHOOK_PORT = 15017;
/** The sidecars' merged Prometheus metrics and the rewritten kubelet probes. */
export const SIDECAR_STATUS_PORT = 15020;

const tcp = (port: number): Port => ({ protocol: "TCP", port });
const inNamespace = (namespace: string, matchLabels?: Record<string, string>): Peer => ({
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
  ...(matchLabels ? { podSelector: { matchLabels } } : {}),
});
const inVpc = (vpcCidr: string): Peer => ({ ipBlock: { cidr: vpcCidr } });

const DENY_ALL: Spec = { podSelector: {}, policyTypes: ["Ingress", "Egress"] };

type EgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;

const DNS_EGRESS: EgressRule = {
  to: [inNamespace("kube-system", { "k8s-app": "kube-dns" })],
  ports: [
    { protocol: "UDP", port: 53 },
    { protocol: "TCP", port: 53 },
  ],
};

/** What every pod of the mesh needs: cluster DNS, and (for its sidecar) istiod. */
const MESH_EGRESS: Spec = {
  podSelector: {},
  policyTypes: ["Egress"],
  egress: [
    DNS_EGRESS,
    { to: [inNamespace(ISTIO_NAMESPACE, { app: "istiod" })], ports: [tcp(ISTIOD_XDS_PORT)] },
  ],
};

/** Egress from `caller` to the services that name it in their allowFrom, on their ports. */
function calleeEgress(caller: string, services: readonly ServiceConfig[]): EgressRule[] {
  return services
    .filter((s) => s.allowFrom.includes(caller))
    .map((s) => ({
      to: [inNamespace(serviceNamespace(s.name), { app: s.name })],
      ports: [tcp(s.port)],
    }));
}

/** One service's namespace. */
export function serviceNetworkPolicies(
  service: ServiceConfig,
  services: readonly ServiceConfig[],
  vpcCidr: string,
): NetworkPolicyModel[] {
  const namespace = serviceNamespace(service.name);
  const dataAccess = service.access.table !== "none" || service.access.bucket !== "none";
  const policies: NetworkPolicyModel[] = [
    { name: "default-deny", namespace, spec: DENY_ALL },
    { name: "allow-mesh", namespace, spec: MESH_EGRESS },
    {
      name: "allow-ingress",
      namespace,
      spec: {
        podSelector: { matchLabels: { app: service.name } },
        policyTypes: ["Ingress"],
        ingress: [
          ...(service.allowFrom.length > 0
            ? [
                {
                  from: service.allowFrom.map((caller) =>
                    inNamespace(
                      callerNamespace(caller),
                      caller === INGRESS_GATEWAY ? { app: INGRESS_GATEWAY } : { app: caller },
                    ),
                  ),
                  ports: [tcp(service.port)],
                },
              ]
            : []),
          // Kubelet probes (rewritten to the sidecar) and Prometheus scrapers come from the VPC.
          { from: [inVpc(vpcCidr)], ports: [tcp(SIDECAR_STATUS_PORT)] },
        ],
      },
    },
    {
      name: "allow-egress",
      namespace,
      spec: {
        podSelector: { matchLabels: { app: service.name } },
        policyTypes: ["Egress"],
        egress: [
          ...calleeEgress(service.name, services),
          // Interface VPC endpoints (STS for the pod role, SQS, EventBridge, KMS) are in the VPC.
          { to: [inVpc(vpcCidr)], ports: [tcp(443)] },
          // DynamoDB and S3 are reached through gateway endpoints, at the services' public
          // addresses (a prefix list the route tables send to the endpoint), which a
          // NetworkPolicy cannot name: HTTPS anywhere, only for the services that use them.
          ...(dataAccess ? [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [tcp(443)] }] : []),
        ],
      },
    },
  ];
  return policies;
}

/** The ingress gateway's namespace: from the ALB (in the VPC) to the gateway, on to services. */
export function ingressNetworkPolicies(
  services: readonly ServiceConfig[],
  vpcCidr: string,
  gatewayPort: number,
): NetworkPolicyModel[] {
  const namespace = INGRESS_NAMESPACE;
  return [
    { name: "default-deny", namespace, spec: DENY_ALL },
    { name: "allow-mesh", namespace, spec: MESH_EGRESS },
    {
      name: "allow-gateway",
      namespace,
      spec: {
        podSelector: { matchLabels: { app: INGRESS_GATEWAY } },
        policyTypes: ["Ingress", "Egress"],
        ingress: [
          {
            from: [inVpc(vpcCidr)],
            ports: [tcp(gatewayPort), tcp(INGRESS_STATUS_PORT), tcp(SIDECAR_STATUS_PORT)],
          },
        ],
        egress: calleeEgress(INGRESS_GATEWAY, services),
      },
    },
  ];
}

/** istiod's namespace: sidecars connect to it, the API server calls its webhook. */
export function istioNetworkPolicies(vpcCidr: string): NetworkPolicyModel[] {
  const namespace = ISTIO_NAMESPACE;
  return [
    { name: "default-deny", namespace, spec: DENY_ALL },
    {
      name: "allow-istiod",
      namespace,
      spec: {
        podSelector: { matchLabels: { app: "istiod" } },
        policyTypes: ["Ingress", "Egress"],
        ingress: [
          { from: [{ namespaceSelector: {} }], ports: [tcp(ISTIOD_XDS_PORT)] },
          // The EKS control plane's ENIs (webhook calls) and metrics scrapers live in the VPC.
          { from: [inVpc(vpcCidr)], ports: [tcp(ISTIOD_WEBHOOK_PORT), tcp(15014)] },
        ],
        egress: [
          DNS_EGRESS,
          // The API server (private endpoint ENIs in the VPC).
          { to: [inVpc(vpcCidr)], ports: [tcp(443)] },
        ],
      },
    },
  ];
}

/**
 * Egress from every pod of a namespace to the trace collector (the sidecars send the spans):
 * to the collector's namespace when it is an in-cluster Service name, else to its port anywhere.
 */
export function tracingNetworkPolicy(
  namespace: string,
  collector: OtlpEndpoint,
): NetworkPolicyModel {
  const inCluster = /^[a-z0-9-]+\.([a-z0-9-]+)\.svc(\.cluster\.local)?$/.exec(collector.service);
  return {
    name: "allow-tracing",
    namespace,
    spec: {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          ...(inCluster ? { to: [inNamespace(inCluster[1])] } : {}),
          // gRPC for the sidecars, HTTP for the services' SDKs (workload.ts).
          ports: [...new Set([collector.port, OTLP_HTTP_PORT])].map(tcp),
        },
      ],
    },
  };
}

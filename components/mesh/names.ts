/**
 * The names the mesh is built on: namespaces, the gateway, labels and SPIFFE identities. Other
 * objects refer to these by value (principals, hosts, selectors), so they are said once, here.
 */
import { INGRESS_GATEWAY_CALLER } from "../../lib/config/schema";

/** Istio's root namespace: a policy here applies mesh-wide. */
export const ISTIO_NAMESPACE = "istio-system";
/** The ingress gateway runs apart from istiod, as Istio's Helm guide recommends. */
export const INGRESS_NAMESPACE = "istio-ingress";
/** Helm release name of the gateway; the chart names its Deployment, Service and SA after it. */
export const INGRESS_GATEWAY = INGRESS_GATEWAY_CALLER;
/** The chart's `istio` pod label: the release name without its `istio-` prefix. */
export const INGRESS_GATEWAY_SELECTOR = { istio: "ingressgateway" } as const;
/** The Istio Gateway resource the ALB's traffic enters through, as VirtualServices name it. */
export const INGRESS_GATEWAY_REF = `${INGRESS_NAMESPACE}/ingress`;
/** The gateway's readiness endpoint port (`/healthz/ready`). */
export const INGRESS_STATUS_PORT = 15021;

export const TRUST_DOMAIN = "cluster.local";

/** Subsets of every service: the stable release and the canary. */
export const SUBSETS = ["stable", "canary"] as const;
export type Subset = (typeof SUBSETS)[number];

/** One namespace per service, named after it; its ServiceAccount and workloads too. */
export const serviceNamespace = (service: string): string => service;
export const serviceFqdn = (service: string): string =>
  `${service}.${serviceNamespace(service)}.svc.cluster.local`;

/** SPIFFE identity as AuthorizationPolicy principals write it (without `spiffe://`). */
export function principal(namespace: string, serviceAccount: string): string {
  return `${TRUST_DOMAIN}/ns/${namespace}/sa/${serviceAccount}`;
}

/** The principal of a caller named in `allowFrom`. */
export function callerPrincipal(caller: string): string {
  return caller === INGRESS_GATEWAY
    ? principal(INGRESS_NAMESPACE, INGRESS_GATEWAY)
    : principal(serviceNamespace(caller), caller);
}

/** The namespace a caller named in `allowFrom` runs in. */
export const callerNamespace = (caller: string): string =>
  caller === INGRESS_GATEWAY ? INGRESS_NAMESPACE : serviceNamespace(caller);

/**
 * Every service publishes domain events as `source: platform.<service>`: the region's async
 * layer routes sources with this prefix (components/region/async.ts), see docs/events.md.
 */
export const EVENT_SOURCE_PREFIX = "platform.";
export const eventSource = (service: string): string => `${EVENT_SOURCE_PREFIX}${service}`;

/** Pod labels: `app` for the Service and policies, `version` for the DestinationRule subsets. */
export function podLabels(service: string, subset: Subset): Record<string, string> {
  return { app: service, version: subset };
}

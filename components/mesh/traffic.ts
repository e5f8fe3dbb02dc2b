/**
 * One service's Istio objects, built from the typed models and validated against Istio's CRD
 * schemas: its VirtualServices (timeouts, retries, stable/canary weights), its DestinationRule
 * (subsets and the mesh's traffic policy) and its AuthorizationPolicies (deny by default, then
 * exactly the callers of `allowFrom`).
 */
import { DestinationRule } from "@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule";
import {
  VirtualService,
  type IVirtualService,
} from "@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService";
import { AuthorizationPolicy } from "@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy";
import type { ServiceConfig } from "../../lib/config/schema";
import { checked, DEFAULT_TRAFFIC_POLICY, type IstioObject } from "./mesh-policy";
import {
  callerPrincipal,
  INGRESS_GATEWAY,
  INGRESS_GATEWAY_REF,
  podLabels,
  SUBSETS,
  serviceFqdn,
  serviceNamespace,
  type Subset,
} from "./names";
import { HEALTH_PATH } from "./workload";

type HttpRoute = NonNullable<NonNullable<IVirtualService["spec"]>["http"]>[number];

/** @default 10s - whole request, retries included */
export const REQUEST_TIMEOUT = "10s";
/** Three tries of 3s fit inside the 10s request timeout. */
export const RETRY_POLICY = {
  attempts: 3,
  perTryTimeout: "3s",
  retryOn: "5xx,reset,connect-failure,retriable-4xx",
} as const;

export interface RouteWeight {
  readonly subset: Subset;
  readonly weight: number;
}

/**
 * The weighted destinations: the canary gets `canaryWeight`, stable the rest, so they sum to
 * 100 by construction; a subset with weight 0 is left out (Istio wants no empty destination).
 */
export function routeWeights(canaryWeight: number): RouteWeight[] {
  if (!Number.isInteger(canaryWeight) || canaryWeight < 0 || canaryWeight > 100) {
    throw new Error(`canaryWeight ${canaryWeight}: the canary's share of 100, allowed 0-100`);
  }
  const weights: RouteWeight[] = [
    { subset: "stable", weight: 100 - canaryWeight },
    { subset: "canary", weight: canaryWeight },
  ];
  return weights.filter((w) => w.weight > 0);
}

/** `/a` matches `/a` and `/a/...`, never `/ab`. */
export function routeMatches(route: string): Array<{ exact: string } | { prefix: string }> {
  if (route.endsWith("/")) return [{ prefix: route }];
  return [{ exact: route }, { prefix: `${route}/` }];
}

function httpRoute(service: ServiceConfig, name: string, match: HttpRoute["match"]): HttpRoute {
  return {
    name,
    match,
    timeout: REQUEST_TIMEOUT,
    retries: { ...RETRY_POLICY },
    route: routeWeights(service.canaryWeight).map(({ subset, weight }) => ({
      destination: { host: serviceFqdn(service.name), subset, port: { number: service.port } },
      weight,
    })),
  };
}

/** In-mesh traffic to the service: sidecars of its callers apply timeouts, retries, weights. */
export function meshVirtualService(service: ServiceConfig): IstioObject {
  return checked(
    new VirtualService({
      metadata: { name: service.name, namespace: serviceNamespace(service.name) },
      spec: {
        hosts: [serviceFqdn(service.name)],
        gateways: ["mesh"],
        http: [httpRoute(service, "mesh", undefined)],
      },
    }),
  );
}

/**
 * The service's path prefixes on the ingress gateway, for the platform's public names. Kept
 * apart from the mesh VirtualService: public hosts bound to `mesh` would clash between services
 * (sidecars do not merge VirtualServices of one host; gateways do).
 */
export function ingressVirtualService(
  service: ServiceConfig,
  hosts: readonly string[],
): IstioObject | undefined {
  if (service.routes.length === 0) return undefined;
  return checked(
    new VirtualService({
      metadata: { name: `${service.name}-ingress`, namespace: serviceNamespace(service.name) },
      spec: {
        hosts: [...hosts],
        gateways: [INGRESS_GATEWAY_REF],
        http: [
          httpRoute(
            service,
            "ingress",
            service.routes.flatMap((route) => routeMatches(route).map((uri) => ({ uri }))),
          ),
        ],
      },
    }),
  );
}

/** Subsets stable and canary by the `version` label, with the mesh's traffic policy. */
export function destinationRule(service: ServiceConfig): IstioObject {
  return checked(
    new DestinationRule({
      metadata: { name: service.name, namespace: serviceNamespace(service.name) },
      spec: {
        host: serviceFqdn(service.name),
        // A host's own DestinationRule replaces the mesh default rather than merging with it.
        trafficPolicy: DEFAULT_TRAFFIC_POLICY,
        subsets: SUBSETS.map((subset) => ({
          name: subset,
          labels: { version: podLabels(service.name, subset).version },
        })),
      },
    }),
  );
}

/** An empty spec allows nothing: with it, only an ALLOW policy lets a request through. */
export function allowNothing(namespace: string): IstioObject {
  return checked(
    new AuthorizationPolicy({ metadata: { name: "allow-nothing", namespace }, spec: {} }),
  );
}

/**
 * ALLOW the callers of `allowFrom` by SPIFFE identity, to the service port only; the ingress
 * gateway only on the service's route prefixes, and, when the service answers the region's
 * health check (health.ts), on its deep health path, read-only. Undefined when nobody may call the
 * service.
 */
export function allowCallers(
  service: ServiceConfig,
  answersHealthCheck: boolean,
): IstioObject | undefined {
  const port = [String(service.port)];
  const services = service.allowFrom.filter((c) => c !== INGRESS_GATEWAY);
  const gateway = [{ source: { principals: [callerPrincipal(INGRESS_GATEWAY)] } }];
  const fromGateway = service.allowFrom.includes(INGRESS_GATEWAY);
  const rules = [
    // Without routes the gateway has no way to the service, and an empty `paths` would mean any.
    ...(fromGateway && service.routes.length > 0
      ? [
          {
            from: gateway,
            to: [
              {
                operation: {
                  ports: port,
                  paths: service.routes.flatMap((r) =>
                    routeMatches(r).map((m) => ("exact" in m ? m.exact : `${m.prefix}*`)),
                  ),
                },
              },
            ],
          },
        ]
      : []),
    // The health route rewrites the public health path to this path before the sidecar sees it.
    ...(fromGateway && answersHealthCheck
      ? [
          {
            from: gateway,
            to: [{ operation: { ports: port, paths: [HEALTH_PATH], methods: ["GET", "HEAD"] } }],
          },
        ]
      : []),
    ...(services.length > 0
      ? [
          {
            from: [{ source: { principals: services.map(callerPrincipal) } }],
            to: [{ operation: { ports: port } }],
          },
        ]
      : []),
  ];
  if (rules.length === 0) return undefined;
  return checked(
    new AuthorizationPolicy({
      metadata: { name: `${service.name}-allow`, namespace: serviceNamespace(service.name) },
      spec: { selector: { matchLabels: { app: service.name } }, action: "ALLOW", rules },
    }),
  );
}

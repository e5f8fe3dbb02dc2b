/**
 * The region's health endpoint: what Route 53's health check requests, through the ALB, at
 * `https://<regionalName><healthCheckPath>` (`platform:ingress.healthCheckPath`), answered on the
 * ingress gateway by a VirtualService of its own.
 *
 * It answers with the deep health endpoint of a service (the first one with routes), not with the
 * gateway's own `/healthz/ready`: the ALB already sends traffic only to gateway pods whose status
 * port says ready (its target group checks exactly that), so the gateway's readiness would add
 * nothing but "the ALB has a target". Going through to a service's `/healthz` proves what users
 * need from this region: the gateway has its routes from istiod, mutual TLS and the
 * AuthorizationPolicies let the gateway through, and the service has ready pods whose own checks
 * (its dependencies in this region) pass. It asks the stable subset: a failing canary is the
 * rollout's problem, not a reason to take the whole region out of rotation.
 */
import { VirtualService } from "@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService";
import type { ServiceConfig } from "../../lib/config/schema";
import { checked, type IstioObject } from "./mesh-policy";
import { INGRESS_GATEWAY_REF, INGRESS_NAMESPACE, serviceFqdn } from "./names";
import { HEALTH_PATH } from "./workload";

/**
 * Route 53 counts a check as failed unless the answer comes within 2 seconds of connecting; the
 * gateway gives up first, so a slow region shows as a 504 in the gateway's logs, not a timeout.
 */
export const HEALTH_ROUTE_TIMEOUT = "1.5s";
/**
 * Three tries of 0.5s, each on another pod (Istio retries on a different host): one bad pod is
 * for outlier detection to eject, only a service with no pod that answers fails the region.
 */
export const HEALTH_RETRY_POLICY = {
  attempts: 2,
  perTryTimeout: "0.5s",
  retryOn: "5xx,reset,connect-failure",
} as const;

/** Metadata of the health VirtualService: the gateway's namespace, as the mesh's own object. */
export const HEALTH_VIRTUAL_SERVICE = { name: "regional-health", namespace: INGRESS_NAMESPACE };

/**
 * The service that answers the region's health check: the first of `platform:services` with
 * routes (list first the one whose loss should take the region out of latency routing).
 * Undefined when no service is routed (validateHealthCheckPath rejects that).
 */
export function healthCheckService(services: readonly ServiceConfig[]): ServiceConfig | undefined {
  return services.find((s) => s.routes.length > 0);
}

/** `healthCheckPath` on the public names, rewritten to the service's deep health endpoint. */
export function healthVirtualService(
  healthCheckPath: string,
  service: ServiceConfig,
  hosts: readonly string[],
): IstioObject {
  return checked(
    new VirtualService({
      metadata: { ...HEALTH_VIRTUAL_SERVICE },
      spec: {
        hosts: [...hosts],
        gateways: [INGRESS_GATEWAY_REF],
        http: [
          {
            name: "health",
            match: [{ uri: { exact: healthCheckPath } }],
            rewrite: { uri: HEALTH_PATH },
            timeout: HEALTH_ROUTE_TIMEOUT,
            retries: { ...HEALTH_RETRY_POLICY },
            route: [
              {
                destination: {
                  host: serviceFqdn(service.name),
                  subset: "stable",
                  port: { number: service.port },
                },
                weight: 100,
              },
            ],
          },
        ],
      },
    }),
  );
}

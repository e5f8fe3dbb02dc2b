/**
 * Mesh-wide Istio objects, built from the typed `@kubernetes-models/istio` classes and validated
 * against Istio's CRD schemas before they leave this module: strict mTLS, the default traffic
 * policy (mutual TLS, connection-pool limits, outlier detection), telemetry, and the ingress
 * Gateway. The models are generated from Istio 1.18's CRDs (the newest that the package's Node 20
 * line ships), so they use the v1beta1 / v1alpha1 API versions, which later Istio releases still
 * serve alongside v1.
 */
import {
  DestinationRule,
  type IDestinationRule,
} from "@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule";
import { Gateway } from "@kubernetes-models/istio/networking.istio.io/v1beta1/Gateway";
import { PeerAuthentication } from "@kubernetes-models/istio/security.istio.io/v1beta1/PeerAuthentication";
import { Telemetry } from "@kubernetes-models/istio/telemetry.istio.io/v1alpha1/Telemetry";
import { METRICS_PROVIDER, TRACE_SAMPLING_PERCENT, TRACING_PROVIDER } from "./istio";
import { INGRESS_GATEWAY_SELECTOR, INGRESS_NAMESPACE, ISTIO_NAMESPACE } from "./names";

export type TrafficPolicy = NonNullable<NonNullable<IDestinationRule["spec"]>["trafficPolicy"]>;

/** An Istio object as the Kubernetes API takes it: what a CustomResource is built from. */
export interface IstioObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace: string };
  readonly spec: Record<string, unknown>;
}

/** Validates a model against its CRD schema and returns the plain object. */
export function checked(model: { validate(): void; toJSON(): unknown }): IstioObject {
  model.validate();
  return model.toJSON() as IstioObject;
}

/**
 * Every connection between sidecars is mutual TLS; circuit breaking through connection-pool
 * limits and outlier detection (a host answering 5 consecutive 5xx is ejected for 30s, at most
 * half of a service's hosts at a time, so a bad rollout cannot empty the pool).
 */
export const DEFAULT_TRAFFIC_POLICY: TrafficPolicy = {
  tls: { mode: "ISTIO_MUTUAL" },
  connectionPool: {
    tcp: { maxConnections: 1024, connectTimeout: "5s" },
    http: { http1MaxPendingRequests: 1024, http2MaxRequests: 1024, maxRetries: 3 },
  },
  outlierDetection: {
    consecutive5xxErrors: 5,
    interval: "10s",
    baseEjectionTime: "30s",
    maxEjectionPercent: 50,
  },
};

/** PeerAuthentication in the root namespace: STRICT mutual TLS for the whole mesh. */
export function strictMtls(): IstioObject {
  return checked(
    new PeerAuthentication({
      metadata: { name: "default", namespace: ISTIO_NAMESPACE },
      spec: { mtls: { mode: "STRICT" } },
    }),
  );
}

/** The default DestinationRule for every in-mesh host. */
export function defaultDestinationRule(): IstioObject {
  return checked(
    new DestinationRule({
      metadata: { name: "default", namespace: ISTIO_NAMESPACE },
      spec: { host: "*.local", trafficPolicy: DEFAULT_TRAFFIC_POLICY },
    }),
  );
}

/**
 * The API server is outside the mesh: `*.local` would otherwise make sidecars wrap its TLS in
 * Istio's, and every in-cluster client of the API would fail.
 */
export function apiServerDestinationRule(): IstioObject {
  return checked(
    new DestinationRule({
      metadata: { name: "kubernetes-api", namespace: ISTIO_NAMESPACE },
      spec: {
        host: "kubernetes.default.svc.cluster.local",
        trafficPolicy: { tls: { mode: "DISABLE" } },
      },
    }),
  );
}

/** The DestinationRule that takes the trace collector out of the mesh's mutual TLS. */
export const COLLECTOR_DESTINATION_RULE = "tracing-collector";

/**
 * The trace collector runs without a sidecar, so it cannot answer Istio's mutual TLS: without
 * this rule `*.local` would make every sidecar (and every span it exports, through the tracing
 * provider's outbound cluster) open ISTIO_MUTUAL connections the collector drops. Istio applies
 * the DestinationRule whose host matches most specifically, so this one wins over `*.local` for
 * the collector's name only (https://istio.io/latest/docs/ops/best-practices/traffic-management/,
 * "Cross-namespace configuration"; https://istio.io/latest/docs/reference/config/networking/destination-rule/).
 */
export function collectorDestinationRule(collectorHost: string): IstioObject {
  return checked(
    new DestinationRule({
      metadata: { name: COLLECTOR_DESTINATION_RULE, namespace: ISTIO_NAMESPACE },
      spec: { host: collectorHost, trafficPolicy: { tls: { mode: "DISABLE" } } },
    }),
  );
}

/** Mesh-wide telemetry: traces to the region's tracing backend, metrics to Prometheus. */
export function meshTelemetry(): IstioObject {
  return checked(
    new Telemetry({
      metadata: { name: "mesh-default", namespace: ISTIO_NAMESPACE },
      spec: {
        tracing: [
          {
            providers: [{ name: TRACING_PROVIDER }],
            randomSamplingPercentage: TRACE_SAMPLING_PERCENT,
          },
        ],
        metrics: [{ providers: [{ name: METRICS_PROVIDER }] }],
      },
    }),
  );
}

/**
 * The Gateway the ALB's traffic enters through: plain HTTP on the gateway pods (the ALB holds
 * the certificate), for the platform's public names only.
 */
export function ingressGateway(hosts: readonly string[], port: number): IstioObject {
  return checked(
    new Gateway({
      metadata: { name: "ingress", namespace: INGRESS_NAMESPACE },
      spec: {
        selector: { ...INGRESS_GATEWAY_SELECTOR },
        servers: [
          {
            port: { number: port, name: "http", protocol: "HTTP" },
            hosts: [...hosts],
          },
        ],
      },
    }),
  );
}

/**
 * The Istio installation as data: the three charts (base, istiod, gateway) from Istio's Helm
 * repository, and their values. Pure: the ServiceMesh component turns these into Releases.
 */
import {
  INGRESS_GATEWAY,
  INGRESS_NAMESPACE,
  INGRESS_STATUS_PORT,
  ISTIO_NAMESPACE,
  TRUST_DOMAIN,
} from "./names";

export const ISTIO_HELM_REPOSITORY = "https://istio-release.storage.googleapis.com/charts";

/** The extension provider name the Telemetry resource selects for traces. */
export const TRACING_PROVIDER = "otel-tracing";
/** Istio's built-in metrics provider (scraped from the sidecars' merged metrics port). */
export const METRICS_PROVIDER = "prometheus";
/** @default 10 - percentage of requests traced */
export const TRACE_SAMPLING_PERCENT = 10;

export const CHARTS = ["base", "istiod", "gateway"] as const;
export type IstioChart = (typeof CHARTS)[number];

export interface ChartRelease {
  readonly chart: IstioChart;
  /** Helm release name: istiod and the gateway chart derive object names from it. */
  readonly releaseName: string;
  readonly namespace: string;
}

export const RELEASES: Readonly<Record<IstioChart, ChartRelease>> = {
  base: { chart: "base", releaseName: "istio-base", namespace: ISTIO_NAMESPACE },
  istiod: { chart: "istiod", releaseName: "istiod", namespace: ISTIO_NAMESPACE },
  gateway: { chart: "gateway", releaseName: INGRESS_GATEWAY, namespace: INGRESS_NAMESPACE },
};

export interface OtlpEndpoint {
  readonly service: string;
  readonly port: number;
}

/**
 * The tracing backend's OTLP/gRPC address, given as `host:port` or `scheme://host[:port]`, as
 * istiod's opentelemetry provider wants it (a host and a port, no scheme). Port 4317 (OTLP/gRPC)
 * when none is given.
 */
export function parseTracingEndpoint(endpoint: string): OtlpEndpoint {
  const match = /^(?:[a-z][a-z0-9+.-]*:\/\/)?([A-Za-z0-9.-]+)(?::(\d{1,5}))?\/?$/.exec(
    endpoint.trim(),
  );
  const port = match?.[2] === undefined ? 4317 : Number(match[2]);
  if (!match || port < 1 || port > 65535) {
    throw new Error(
      `tracingEndpoint "${endpoint}" is not an OTLP/gRPC address (allowed: host:port or http(s)://host[:port])`,
    );
  }
  return { service: match[1], port };
}

/**
 * The collector's OTLP/HTTP port: the services' OpenTelemetry SDKs export over HTTP (the
 * sidecars over gRPC), and the collector listens on both (components/region/charts.ts).
 */
export const OTLP_HTTP_PORT = 4318;

/** The OTLP/HTTP base URL the services are given (OTEL_EXPORTER_OTLP_ENDPOINT). */
export function otlpHttpEndpoint(collector: OtlpEndpoint): string {
  return `http://${collector.service}:${OTLP_HTTP_PORT}`;
}

/** istiod: the mesh config (trust domain, tracing provider, proxy start order), HA control plane. */
export function istiodValues(tracing: OtlpEndpoint): Record<string, unknown> {
  return {
    pilot: { autoscaleMin: 2, replicaCount: 2 },
    meshConfig: {
      trustDomain: TRUST_DOMAIN,
      enableTracing: true,
      extensionProviders: [
        { name: TRACING_PROVIDER, opentelemetry: { service: tracing.service, port: tracing.port } },
      ],
      defaultProviders: { metrics: [METRICS_PROVIDER] },
      // The application's first outbound calls would fail while its sidecar is still starting.
      defaultConfig: { holdApplicationUntilProxyStarts: true },
    },
  };
}

/**
 * The ingress gateway: a ClusterIP Service (the ALB reaches the pods directly through a
 * TargetGroupBinding, target type ip), spread over the zones, never below `replicas`.
 */
export function gatewayValues(replicas: number, port: number): Record<string, unknown> {
  return {
    // One HTTP port, the same on the Service and the pods: the TargetGroupBinding registers pod
    // IPs on the Service's targetPort, which the ALB's target group and security groups expect.
    service: {
      type: "ClusterIP",
      ports: [
        {
          name: "status-port",
          port: INGRESS_STATUS_PORT,
          targetPort: INGRESS_STATUS_PORT,
          protocol: "TCP",
        },
        { name: "http", port, targetPort: port, protocol: "TCP" },
      ],
    },
    autoscaling: {
      enabled: true,
      minReplicas: replicas,
      maxReplicas: replicas * 3,
      targetCPUUtilizationPercentage: 70,
    },
    podDisruptionBudget: { maxUnavailable: 1 },
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: "topology.kubernetes.io/zone",
        whenUnsatisfiable: "DoNotSchedule",
        labelSelector: { matchLabels: { app: INGRESS_GATEWAY } },
      },
    ],
  };
}

/**
 * The Helm charts the region installs, pinned, and the values each one gets. Pure: no Pulumi.
 * Bumping a chart is a one-line change here, reviewed like any other.
 */
import { DEFAULT_EKS_VERSION, type EksVersion } from "../../lib/support-dates";

export interface ChartPin {
  readonly chart: string;
  readonly version: string;
  readonly repo: string;
  readonly namespace: string;
  /** The service account the chart runs as (the IRSA trust names exactly this one). */
  readonly serviceAccount: string;
}

/**
 * cluster-autoscaler per Kubernetes minor: its app minor must match the cluster's ("use the
 * Cluster Autoscaler release that matches the Kubernetes minor version",
 * https://github.com/kubernetes/autoscaler/tree/master/cluster-autoscaler#releases). Chart ->
 * appVersion from the chart repository's index (https://kubernetes.github.io/autoscaler/index.yaml).
 * One row per version of lib/support-dates.ts, so a new EKS version cannot go without its chart.
 */
export const CLUSTER_AUTOSCALER_CHARTS = {
  "1.33": { version: "9.51.0", appVersion: "1.33.0" },
  "1.34": { version: "9.53.0", appVersion: "1.34.2" },
  "1.35": { version: "9.59.0", appVersion: "1.35.0" },
} as const satisfies Record<EksVersion, { version: string; appVersion: string }>;

/** The cluster-autoscaler chart for a cluster version, named in the error when there is none. */
export function clusterAutoscalerChart(kubernetesVersion: string): ChartPin {
  const row = Object.hasOwn(CLUSTER_AUTOSCALER_CHARTS, kubernetesVersion)
    ? CLUSTER_AUTOSCALER_CHARTS[kubernetesVersion as EksVersion]
    : undefined;
  if (row === undefined) {
    throw new Error(
      `cluster.kubernetesVersion: "${kubernetesVersion}" has no cluster-autoscaler chart (allowed: ${Object.keys(CLUSTER_AUTOSCALER_CHARTS).join(", ")})`,
    );
  }
  return { ...CHARTS.clusterAutoscaler, version: row.version };
}

export const CHARTS = {
  clusterAutoscaler: {
    chart: "cluster-autoscaler",
    // The default cluster version's; clusterAutoscalerChart() picks the one for the cluster.
    version: CLUSTER_AUTOSCALER_CHARTS[DEFAULT_EKS_VERSION].version,
    repo: "https://kubernetes.github.io/autoscaler",
    namespace: "kube-system",
    serviceAccount: "cluster-autoscaler",
  },
  metricsServer: {
    chart: "metrics-server",
    version: "3.12.2",
    repo: "https://kubernetes-sigs.github.io/metrics-server/",
    namespace: "kube-system",
    serviceAccount: "metrics-server",
  },
  loadBalancerController: {
    chart: "aws-load-balancer-controller",
    version: "1.13.3",
    repo: "https://aws.github.io/eks-charts",
    namespace: "kube-system",
    serviceAccount: "aws-load-balancer-controller",
  },
  collector: {
    chart: "opentelemetry-collector",
    version: "0.127.2",
    repo: "https://open-telemetry.github.io/opentelemetry-helm-charts",
    namespace: "observability",
    serviceAccount: "adot-collector",
  },
  kubePrometheusStack: {
    chart: "kube-prometheus-stack",
    version: "75.15.1",
    repo: "https://prometheus-community.github.io/helm-charts",
    namespace: "monitoring",
    serviceAccount: "kube-prometheus-stack-prometheus",
  },
} as const satisfies Record<string, ChartPin>;

/** The ADOT collector image (AWS Distro for OpenTelemetry), pinned. */
export const ADOT_IMAGE = {
  repository: "public.ecr.aws/aws-observability/aws-otel-collector",
  tag: "v0.43.3",
} as const;

/** The in-cluster OTLP endpoint every workload sends traces to. */
export function collectorEndpoint(): string {
  const c = CHARTS.collector;
  return `http://${c.serviceAccount}.${c.namespace}.svc.cluster.local:4317`;
}

const irsa = (roleArn: string) => ({ "eks.amazonaws.com/role-arn": roleArn });

export function clusterAutoscalerValues(clusterName: string, region: string, roleArn: string) {
  return {
    autoDiscovery: { clusterName },
    awsRegion: region,
    rbac: {
      serviceAccount: {
        create: true,
        name: CHARTS.clusterAutoscaler.serviceAccount,
        annotations: irsa(roleArn),
      },
    },
    // One node group per zone: balance keeps the zones even when scaling.
    extraArgs: {
      "balance-similar-node-groups": true,
      expander: "least-waste",
      "skip-nodes-with-system-pods": false,
    },
  };
}

export function loadBalancerControllerValues(
  clusterName: string,
  region: string,
  vpcId: string,
  roleArn: string,
) {
  return {
    clusterName,
    region,
    vpcId,
    serviceAccount: {
      create: true,
      name: CHARTS.loadBalancerController.serviceAccount,
      annotations: irsa(roleArn),
    },
    // Used for TargetGroupBinding only: it must not provision load balancers for Services.
    enableServiceMutatorWebhook: false,
    replicaCount: 2,
  };
}

/**
 * The collector's pipeline: OTLP in; traces to X-Ray; metrics to the managed Prometheus
 * workspace when there is one (SigV4-signed remote write), else to the in-cluster Prometheus.
 */
export function collectorValues(
  region: string,
  roleArn: string,
  remoteWriteUrl: string | undefined,
) {
  const metricsExporters = remoteWriteUrl ? ["prometheusremotewrite"] : ["prometheus"];
  return {
    mode: "deployment",
    replicaCount: 2,
    fullnameOverride: CHARTS.collector.serviceAccount,
    image: { repository: ADOT_IMAGE.repository, tag: ADOT_IMAGE.tag },
    command: { name: "awscollector" },
    serviceAccount: {
      create: true,
      name: CHARTS.collector.serviceAccount,
      annotations: irsa(roleArn),
    },
    config: {
      receivers: {
        otlp: {
          protocols: { grpc: { endpoint: "0.0.0.0:4317" }, http: { endpoint: "0.0.0.0:4318" } },
        },
      },
      processors: { batch: {} },
      extensions: { health_check: {}, ...(remoteWriteUrl ? { sigv4auth: { region } } : {}) },
      exporters: {
        awsxray: { region },
        ...(remoteWriteUrl
          ? {
              prometheusremotewrite: {
                endpoint: remoteWriteUrl,
                auth: { authenticator: "sigv4auth" },
              },
            }
          : { prometheus: { endpoint: "0.0.0.0:8889" } }),
      },
      service: {
        extensions: ["health_check", ...(remoteWriteUrl ? ["sigv4auth"] : [])],
        pipelines: {
          traces: { receivers: ["otlp"], processors: ["batch"], exporters: ["awsxray"] },
          metrics: { receivers: ["otlp"], processors: ["batch"], exporters: metricsExporters },
        },
      },
    },
  };
}

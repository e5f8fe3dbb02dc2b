/**
 * The Helm charts the region installs, pinned, and the values each one gets. Pure: no Pulumi.
 * Bumping a chart is a one-line change here, reviewed like any other.
 */
export interface ChartPin {
  readonly chart: string;
  readonly version: string;
  readonly repo: string;
  readonly namespace: string;
  /** The service account the chart runs as (the IRSA trust names exactly this one). */
  readonly serviceAccount: string;
}

export const CHARTS = {
  clusterAutoscaler: {
    chart: "cluster-autoscaler",
    version: "9.46.6",
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

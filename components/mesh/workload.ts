/**
 * One service's Kubernetes workload as typed `@pulumi/kubernetes` inputs: the Deployment of a
 * subset (hardened pod, probes, zone spread), the Service, the HPA and the PodDisruptionBudget.
 * Pure: the Microservice component creates the resources.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { ServiceConfig } from "../../lib/config/schema";
import { DEFAULT_VISIBILITY_TIMEOUT_SECONDS } from "../region/async";
import { eventSource, podLabels, serviceFqdn, type Subset } from "./names";

type DeploymentSpec = k8s.types.input.apps.v1.DeploymentSpec;
type ServiceSpec = k8s.types.input.core.v1.ServiceSpec;
type HpaSpec = k8s.types.input.autoscaling.v2.HorizontalPodAutoscalerSpec;
type PdbSpec = k8s.types.input.policy.v1.PodDisruptionBudgetSpec;
type EnvVar = k8s.types.input.core.v1.EnvVar;

/**
 * The probe paths every service serves on its port: liveness is shallow (the process answers),
 * readiness fails from the start of a drain, and the health path is deep (the region's data path
 * answers, services/lib/health.ts): the regional health check's route goes there, so a data
 * outage fails the region over instead of restarting its pods.
 */
export const LIVENESS_PATH = "/livez";
export const READINESS_PATH = "/ready";
export const HEALTH_PATH = "/healthz";
/** @default - per pod; the HPA scales on CPU against the request */
export const RESOURCES = {
  requests: { cpu: "250m", memory: "256Mi" },
  limits: { cpu: "1", memory: "512Mi" },
} as const;
/** A non-root uid/gid that no image user is likely to own files as. */
export const RUN_AS = 10001;

/** Kubernetes object name of a subset's Deployment (and its HPA). */
export const deploymentName = (service: string, subset: Subset): string =>
  subset === "stable" ? service : `${service}-canary`;

/** The image of a subset, from the service's repository in this region. */
export function imageTag(service: ServiceConfig, subset: Subset): string {
  return subset === "canary" ? (service.canaryImageTag ?? service.imageTag) : service.imageTag;
}

/** What the pods of a region are told about the region's fabric. */
export interface PlatformEnvArgs {
  readonly region: string;
  readonly busName: pulumi.Input<string>;
  readonly tableName: pulumi.Input<string>;
  readonly bucketName: pulumi.Input<string>;
  /** The region's key: svc-c encrypts the objects it stores with it (SSE-KMS). */
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly workQueueUrl: pulumi.Input<string>;
  /** The collector's OTLP/HTTP base URL (istio.ts `otlpHttpEndpoint`). */
  readonly otlpEndpoint: pulumi.Input<string>;
}

/** `svc-c` -> `SVC_C_URL`: where a caller finds a service it may call. */
export const serviceUrlVariable = (service: string): string =>
  `${service.toUpperCase().replace(/-/g, "_")}_URL`;

/**
 * The environment of every service's pods, sorted by name (a stable order keeps the Deployment
 * from showing a diff):
 * - events (docs/events.md): the region, to stamp `detail.originRegion` with (the global
 *   forwarding rules only forward events whose originRegion is the region of the bus they were
 *   put on), the region's bus, and the `source` the regional rules match (`platform.<service>`);
 * - the data layer: table, bucket, key and work queue by name and URL, and AWS_REGION for the
 *   SDK (the EKS pod identity webhook sets it too; set here so it never depends on it);
 * - `<SERVICE>_URL` of each service that lists this one in `allowFrom`: the only calls through
 *   the mesh the AuthorizationPolicies and NetworkPolicies allow;
 * - OpenTelemetry: the collector's OTLP/HTTP endpoint and the service name;
 * - the port to listen on, and the work queue's visibility timeout, which a consumer renews.
 */
export function platformEnv(
  service: ServiceConfig,
  services: readonly ServiceConfig[],
  args: PlatformEnvArgs,
): EnvVar[] {
  const callees = services
    .filter((s) => s.name !== service.name && s.allowFrom.includes(service.name))
    .map((s) => ({
      name: serviceUrlVariable(s.name),
      value: `http://${serviceFqdn(s.name)}:${s.port}`,
    }));
  const env: EnvVar[] = [
    { name: "AWS_REGION", value: args.region },
    { name: "BUCKET_NAME", value: args.bucketName },
    { name: "EVENT_BUS_NAME", value: args.busName },
    { name: "EVENT_SOURCE", value: eventSource(service.name) },
    { name: "KMS_KEY_ARN", value: args.kmsKeyArn },
    { name: "OTEL_EXPORTER_OTLP_ENDPOINT", value: args.otlpEndpoint },
    { name: "OTEL_SERVICE_NAME", value: service.name },
    { name: "PLATFORM_REGION", value: args.region },
    { name: "PORT", value: String(service.port) },
    { name: "TABLE_NAME", value: args.tableName },
    { name: "WORK_QUEUE_URL", value: args.workQueueUrl },
    { name: "WORK_VISIBILITY_TIMEOUT_SECONDS", value: String(DEFAULT_VISIBILITY_TIMEOUT_SECONDS) },
    ...callees,
  ];
  return env.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function deploymentSpec(
  service: ServiceConfig,
  subset: Subset,
  image: pulumi.Input<string>,
  env: EnvVar[],
): DeploymentSpec {
  const labels = podLabels(service.name, subset);
  const probe = (path: string, periodSeconds: number) => ({
    httpGet: { path, port: "http" },
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold: 3,
  });
  return {
    // No `replicas`: the HPA owns the count, and a fixed one here would fight it on every update.
    selector: { matchLabels: labels },
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
    template: {
      metadata: { labels },
      spec: {
        serviceAccountName: service.name,
        securityContext: {
          runAsNonRoot: true,
          runAsUser: RUN_AS,
          runAsGroup: RUN_AS,
          fsGroup: RUN_AS,
          seccompProfile: { type: "RuntimeDefault" },
        },
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: "topology.kubernetes.io/zone",
            whenUnsatisfiable: "DoNotSchedule",
            labelSelector: { matchLabels: labels },
          },
          {
            maxSkew: 1,
            topologyKey: "kubernetes.io/hostname",
            whenUnsatisfiable: "ScheduleAnyway",
            labelSelector: { matchLabels: labels },
          },
        ],
        containers: [
          {
            name: service.name,
            image,
            ports: [{ name: "http", containerPort: service.port, protocol: "TCP" }],
            env,
            resources: RESOURCES,
            readinessProbe: probe(READINESS_PATH, 5),
            livenessProbe: { ...probe(LIVENESS_PATH, 10), initialDelaySeconds: 10 },
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              runAsNonRoot: true,
              capabilities: { drop: ["ALL"] },
            },
            // A read-only root still needs somewhere to write temporary files.
            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
          },
        ],
        volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
      },
    },
  };
}

/** Both subsets behind one Service; the DestinationRule splits them by `version`. */
export function serviceSpec(service: ServiceConfig): ServiceSpec {
  return {
    type: "ClusterIP",
    selector: { app: service.name },
    ports: [
      {
        name: "http",
        port: service.port,
        targetPort: "http",
        protocol: "TCP",
        appProtocol: "http",
      },
    ],
  };
}

/**
 * Replica bounds of a subset: stable has the configured ones; the canary a share of them in
 * proportion to its weight, at least one pod.
 */
export function replicaBounds(
  service: ServiceConfig,
  subset: Subset,
): { min: number; max: number } {
  if (subset === "stable") return { min: service.minReplicas, max: service.maxReplicas };
  const share = (n: number) => Math.max(1, Math.ceil((n * service.canaryWeight) / 100));
  return { min: share(service.minReplicas), max: share(service.maxReplicas) };
}

export function hpaSpec(service: ServiceConfig, subset: Subset): HpaSpec {
  const { min, max } = replicaBounds(service, subset);
  return {
    scaleTargetRef: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: deploymentName(service.name, subset),
    },
    minReplicas: min,
    maxReplicas: max,
    metrics: [
      {
        type: "Resource",
        resource: {
          name: "cpu",
          target: { type: "Utilization", averageUtilization: service.cpuTargetPercent },
        },
      },
    ],
  };
}

/** One pod of the service (either subset) down at a time during voluntary disruptions. */
export function pdbSpec(service: ServiceConfig): PdbSpec {
  return { maxUnavailable: 1, selector: { matchLabels: { app: service.name } } };
}

export const namespaceLabels = { "istio-injection": "enabled" } as const;

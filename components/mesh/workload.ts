/**
 * One service's Kubernetes workload as typed `@pulumi/kubernetes` inputs: the Deployment of a
 * subset (hardened pod, probes, zone spread), the Service, the HPA and the PodDisruptionBudget.
 * Pure: the Microservice component creates the resources.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { ServiceConfig } from "../../lib/config/schema";
import { eventSource, podLabels, type Subset } from "./names";

type DeploymentSpec = k8s.types.input.apps.v1.DeploymentSpec;
type ServiceSpec = k8s.types.input.core.v1.ServiceSpec;
type HpaSpec = k8s.types.input.autoscaling.v2.HorizontalPodAutoscalerSpec;
type PdbSpec = k8s.types.input.policy.v1.PodDisruptionBudgetSpec;
type EnvVar = k8s.types.input.core.v1.EnvVar;

/** The probe paths every service serves on its port. */
export const LIVENESS_PATH = "/healthz";
export const READINESS_PATH = "/ready";
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

/**
 * What a service needs to publish events the platform routes and forwards (docs/events.md): the
 * region, to stamp `detail.originRegion` with (the global forwarding rules only forward events
 * whose originRegion is the region of the bus they were put on), the region's bus, and the
 * `source` the regional rules match (`platform.<service>`), and the port to listen on. Sorted by name: a stable order keeps
 * the Deployment from showing a diff.
 */
export function platformEnv(
  service: ServiceConfig,
  region: string,
  busName: pulumi.Input<string>,
): EnvVar[] {
  return [
    { name: "EVENT_BUS_NAME", value: busName },
    { name: "EVENT_SOURCE", value: eventSource(service.name) },
    { name: "PLATFORM_REGION", value: region },
    { name: "PORT", value: String(service.port) },
  ];
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

/** Shared inputs of the mesh tests: the project's own services and a region's fabric. */
import { DestinationRule } from "@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule";
import { Gateway } from "@kubernetes-models/istio/networking.istio.io/v1beta1/Gateway";
import { VirtualService } from "@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService";
import { AuthorizationPolicy } from "@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy";
import { PeerAuthentication } from "@kubernetes-models/istio/security.istio.io/v1beta1/PeerAuthentication";
import { Telemetry } from "@kubernetes-models/istio/telemetry.istio.io/v1alpha1/Telemetry";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import { ServiceMesh } from "../components/mesh/mesh";
import { parseRegionConfig, rawSettings } from "../lib/config/parse";
import { readProjectConfig, readStackFlatConfig } from "../lib/config/project";
import type { RegionConfig, ServiceConfig } from "../lib/config/schema";
import type { RegionalFabric } from "../lib/contract";
import type { StackEvaluation } from "../plan/evaluate";
import { evaluateInRegion } from "./fixtures";

export const ROOT = path.resolve(__dirname, "..");
export const REGION = "us-east-1";
export const ACCOUNT = "123456789012";

/** The us-east-1 stack's raw settings, as the engine would hand them to the program. */
export function regionRaw(): Record<string, unknown> {
  return rawSettings(readStackFlatConfig(ROOT, REGION, readProjectConfig(ROOT)));
}

export function regionConfig(): RegionConfig {
  return parseRegionConfig(REGION, regionRaw());
}

export const FABRIC: RegionalFabric = {
  kmsKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/mrk-0123456789abcdef0123456789abcdef`,
  tableName: "platform-table",
  tableArn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/platform-table`,
  tableStreamArn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/platform-table/stream/2026-01-01T00:00:00.000`,
  bucketName: "platform-data-us-east-1",
  bucketArn: "arn:aws:s3:::platform-data-us-east-1",
  busName: "platform-bus",
  busArn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/platform-bus`,
  ecrRepositoryUrls: {
    "svc-a": `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/svc-a`,
    "svc-b": `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/svc-b`,
    "svc-c": `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/svc-c`,
  },
};
export const WORK_QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:platform-work`;
export const WORK_QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/platform-work";
export const TARGET_GROUP_ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/platform-ingress/0123456789abcdef`;
export const OIDC_URL = `https://oidc.eks.${REGION}.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF`;
export const OIDC_ARN = `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.${REGION}.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF`;
export const TRACING_ENDPOINT = "http://adot-collector.observability.svc.cluster.local:4317";

export interface MeshRun extends StackEvaluation {
  readonly providerUrn: string;
}

/** Evaluates a ServiceMesh alone, as a region stack would declare it, under the mock monitor. */
export async function runMesh(
  options: {
    services?: ServiceConfig[];
    fabric?: RegionalFabric;
    preview?: boolean;
    healthCheckPath?: string;
  } = {},
): Promise<MeshRun> {
  const config = regionConfig();
  const ev = await evaluateInRegion(
    REGION,
    async () => {
      const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
      const mesh = new ServiceMesh(
        "platform",
        {
          region: REGION,
          mesh: config.mesh,
          services: options.services ?? config.services,
          fabric: options.fabric ?? FABRIC,
          workQueueArn: WORK_QUEUE_ARN,
          workQueueUrl: WORK_QUEUE_URL,
          clusterName: "platform-us-east-1",
          oidcProviderArn: OIDC_ARN,
          oidcProviderUrl: OIDC_URL,
          ingressTargetGroupArn: TARGET_GROUP_ARN,
          ingressGatewayPort: config.ingress.gatewayPort,
          tracingEndpoint: TRACING_ENDPOINT,
          vpcCidr: config.network.vpcCidr,
          ingressHosts: [config.dns.globalName, config.dns.regionalName],
          healthCheckPath: options.healthCheckPath ?? config.ingress.healthCheckPath,
        },
        { providers: [provider] },
      );
      return { names: mesh.serviceNames, roles: mesh.serviceRoleArns };
    },
    { preview: options.preview },
  );
  const provider = ev.records.find((r) => r.type === "pulumi:providers:kubernetes");
  if (!provider) throw new Error("no kubernetes provider recorded");
  return { ...ev, providerUrn: provider.urn };
}

/** The typed Istio models, by apiVersion/kind, for validating recorded objects against their schema. */
export const ISTIO_MODELS: Record<string, { new (data: never): { validate(): void } }> = {
  "networking.istio.io/v1beta1/VirtualService": VirtualService,
  "networking.istio.io/v1beta1/DestinationRule": DestinationRule,
  "networking.istio.io/v1beta1/Gateway": Gateway,
  "security.istio.io/v1/AuthorizationPolicy": AuthorizationPolicy,
  "security.istio.io/v1beta1/PeerAuthentication": PeerAuthentication,
  "telemetry.istio.io/v1alpha1/Telemetry": Telemetry,
};

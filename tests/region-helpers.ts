/** Shared helpers of the region tests: a parsed region config, a global view, an evaluation. */
import * as pulumi from "@pulumi/pulumi";
import { regionSchema, type RegionConfig } from "../lib/config/schema";
import type { GlobalView, RegionalFabric } from "../lib/contract";
import type { StackEvaluation } from "../plan/evaluate";
import type { PolicyDocument } from "../components/region/iam";
import { RegionalPlatform } from "../components/region/platform";
import { evaluateInRegion } from "./fixtures";
import { ACCOUNT_ID, hex } from "../plan/fakes";

export { countByType, ofType, one } from "./fixtures";

export const KEY_ARN =
  "arn:aws:kms:eu-central-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef";

export const FABRIC: RegionalFabric = {
  kmsKeyArn: KEY_ARN,
  tableName: "platform-data",
  tableArn: "arn:aws:dynamodb:eu-central-1:123456789012:table/platform-data",
  tableStreamArn:
    "arn:aws:dynamodb:eu-central-1:123456789012:table/platform-data/stream/2026-11-21T00:00:00.000",
  bucketName: "platform-assets-euc1",
  bucketArn: "arn:aws:s3:::platform-assets-euc1",
  busName: "platform-events",
  busArn: "arn:aws:events:eu-central-1:123456789012:event-bus/platform-events",
  ecrRepositoryUrls: {},
};

export const ZONE_ID = "Z0123456789ABCDEFGHIJ";

/**
 * The global name's validation record the global stack exports: what the plan's ACM answer gives
 * every certificate of the account for the name (plan/answers.ts).
 */
export const GLOBAL_NAME_VALIDATION_FQDN = `_${hex(`${ACCOUNT_ID}api.platform.example.com`, 32)}.api.platform.example.com`;

/** The Aurora global database's identifier the global stack exports when it has one. */
export const GLOBAL_CLUSTER_ID = "platform-aurora";
/** The master password the global stack exports with its global database. */
export const MASTER_PASSWORD = "Pa55w0rdFromTheGlobalStack0123456789abcd";

export function globalView(
  acceleratorListenerArn = "",
  { homeRegion = "us-east-1", auroraGlobalClusterId = "" } = {},
): GlobalView {
  return {
    zoneId: pulumi.output(ZONE_ID),
    zoneName: pulumi.output("platform.example.com"),
    globalName: pulumi.output("api.platform.example.com"),
    globalNameValidationFqdn: pulumi.output(GLOBAL_NAME_VALIDATION_FQDN),
    homeRegion: pulumi.output(homeRegion),
    fabric: pulumi.output(FABRIC),
    acceleratorListenerArn: pulumi.output(acceleratorListenerArn),
    auroraGlobalClusterId: pulumi.output(auroraGlobalClusterId),
    auroraEngineVersion: pulumi.output(auroraGlobalClusterId === "" ? "" : "16.6"),
    auroraMasterPassword: pulumi.secret(auroraGlobalClusterId === "" ? "" : MASTER_PASSWORD),
  };
}

/** The raw settings of the eu-central-1 stack, as its YAML file gives them. */
/** Raw settings before the schema: sections are loose objects a test may edit. */
export interface RawRegion {
  [key: string]: unknown;
  network: Record<string, unknown>;
  cluster: Record<string, unknown>;
  observability: Record<string, unknown>;
  ingress?: Record<string, unknown>;
  aurora?: Record<string, unknown>;
}

export function rawRegion(region = "eu-central-1"): RawRegion {
  return {
    kind: "region",
    region,
    globalStack: "organization/platform/global",
    network: { vpcCidr: "10.20.0.0/16", azCount: 3, natGateways: "perAz" },
    // A deployer inside the VPC: the API stays private (the stack files' pipeline default is
    // tested in region-cluster.test.ts).
    cluster: { deployerNetwork: "vpc", publicAccessCidrs: [] },
    dns: {
      globalName: "api.platform.example.com",
      regionalName: `${region}.api.platform.example.com`,
    },
    observability: {
      prometheus: "managed",
      logRetentionDays: 90,
      alarmEmails: ["oncall@example.com"],
    },
    services: [
      { name: "svc-a", imageTag: "1.0.0", routes: ["/a"], allowFrom: ["istio-ingressgateway"] },
    ],
  };
}

export function regionConfig(
  edit: (raw: RawRegion) => void = () => {},
  region?: string,
): RegionConfig {
  const raw = rawRegion(region);
  edit(raw);
  return regionSchema.parse(raw);
}

export async function evaluatePlatform(
  config: RegionConfig,
  options: { preview?: boolean; global?: GlobalView } = {},
): Promise<StackEvaluation> {
  return evaluateInRegion(
    config.region,
    async () => {
      const p = new RegionalPlatform("platform", {
        config,
        global: options.global ?? globalView(),
      });
      return {
        vpcId: p.vpcId,
        clusterName: p.clusterName,
        albDnsName: p.albDnsName,
        ingressTargetGroupArn: p.ingressTargetGroupArn,
        workQueueArn: p.workQueueArn,
        workQueueUrl: p.workQueueUrl,
        tracingEndpoint: p.tracingEndpoint,
        oidcProviderArn: p.oidcProviderArn,
      };
    },
    { preview: options.preview },
  );
}

/** A policy document input (a JSON string) as an object. */
export const doc = <T = PolicyDocument>(value: unknown): T => JSON.parse(String(value)) as T;

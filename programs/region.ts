/**
 * A region stack: one complete execution plane. It reads the global contract through a
 * StackReference to the global stack (never to another region) and wires the components.
 */
import * as pulumi from "@pulumi/pulumi";
import { FailoverDrills } from "../components/region/drills";
import { RegionalPlatform } from "../components/region/platform";
import { ServiceMesh } from "../components/mesh/mesh";
import type { RegionConfig } from "../lib/config/schema";
import { readGlobalOutputs } from "../lib/contract";
import { ELB_ALIAS_TTL_SECONDS, failoverBudget } from "../lib/failover";

export async function regionProgram(config: RegionConfig): Promise<Record<string, unknown>> {
  const globalRef = new pulumi.StackReference("global", { name: config.globalStack });
  const global = readGlobalOutputs(globalRef, config.globalStack, config.region);

  const platform = new RegionalPlatform("platform", { config, global });
  const mesh = new ServiceMesh(
    "platform",
    {
      region: config.region,
      mesh: config.mesh,
      services: config.services,
      fabric: global.fabric,
      workQueueArn: platform.workQueueArn,
      workQueueUrl: platform.workQueueUrl,
      clusterName: platform.clusterName,
      oidcProviderArn: platform.oidcProviderArn,
      oidcProviderUrl: platform.oidcProviderUrl,
      ingressTargetGroupArn: platform.ingressTargetGroupArn,
      ingressGatewayPort: config.ingress.gatewayPort,
      tracingEndpoint: platform.tracingEndpoint,
      vpcCidr: config.network.vpcCidr,
      ingressHosts: [config.dns.globalName, config.dns.regionalName],
      healthCheckPath: config.ingress.healthCheckPath,
    },
    // Every Kubernetes child of the mesh (Helm releases included) goes to this region's cluster.
    { providers: [platform.kubernetesProvider], dependsOn: [platform] },
  );

  if (config.drills.experiments) {
    const target =
      config.drills.targetService ??
      config.services.find((s) => s.routes.length > 0)?.name ??
      config.services[0].name;
    const alarm = (key: string) => {
      const arn = platform.alarmArns[key];
      if (arn === undefined)
        throw new Error(`drills: no alarm "${key}" in region ${config.region}`);
      return arn;
    };
    new FailoverDrills(
      "platform-drills",
      {
        region: config.region,
        clusterName: platform.clusterName,
        vpcId: platform.vpcId,
        vpcCidr: config.network.vpcCidr,
        appSubnetIds: platform.appSubnetIds,
        tableArn: global.fabric.tableArn,
        targetService: target,
        durationMinutes: config.drills.durationMinutes,
        podPercent: config.drills.podPercent,
        serviceStopAlarmArns: [
          alarm("alb-5xx-rate"),
          ...(config.drills.canaries ? [alarm("canary-global")] : []),
        ],
        failoverStopAlarmArns: config.drills.canaries ? [alarm("canary-global")] : [],
      },
      // The pod experiments' RBAC lives in the service's namespace, which the mesh creates.
      { providers: [platform.kubernetesProvider], dependsOn: [mesh] },
    );
  }

  // What a portal or `pulumi stack output` reads: the same formula as the plan's figures.
  const { healthCheckIntervalSeconds, healthCheckFailureThreshold } = config.ingress;
  const failover = (cacheSeconds: number) =>
    failoverBudget({
      intervalSeconds: healthCheckIntervalSeconds,
      failureThreshold: healthCheckFailureThreshold,
      cacheSeconds,
    }).totalSeconds;

  return {
    region: config.region,
    // The plan shows which regions serve the global name (platform:dns.evacuate).
    globalRouting: config.dns.evacuate ? "evacuated" : "serving",
    vpcId: platform.vpcId,
    clusterName: platform.clusterName,
    albDnsName: platform.albDnsName,
    regionalEndpoint: `https://${config.dns.regionalName}`,
    globalEndpoint: `https://${config.dns.globalName}`,
    healthCheckUrl: `https://${config.dns.regionalName}${config.ingress.healthCheckPath}`,
    // Route 53: detection, then the alias record's fixed TTL (lib/failover.ts).
    failoverBudgetSeconds: failover(ELB_ALIAS_TTL_SECONDS),
    // Global Accelerator's static anycast addresses are not cached by resolvers: detection only.
    ...(config.ingress.globalAccelerator ? { acceleratorFailoverSeconds: failover(0) } : {}),
    workQueueUrl: platform.workQueueUrl,
    services: mesh.serviceNames,
  };
}

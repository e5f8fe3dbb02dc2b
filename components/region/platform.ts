/**
 * One region's complete execution plane: Network -> Ingress -> Cluster -> AsyncLayer ->
 * Observability (and Aurora by config), wired from the region's settings and its slice of the
 * global fabric (key, table, bus), as seed 002 draws it.
 *
 * Args are `{ config, global }` rather than flat (STYLE.md 5) on purpose: this is the top of the
 * region program, its input is the stack's settings after the one schema has validated them and
 * applied the defaults, and restating ~30 of them here would make a second place for defaults.
 * The parts below it take flat, typed args.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { RegionConfig } from "../../lib/config/schema";
import type { GlobalView } from "../../lib/contract";
import { regionCode } from "../../lib/regions";
import { AsyncLayer } from "./async";
import { Aurora, requireAuroraGlobalCluster } from "./aurora";
import { RegionCanaries } from "./canaries";
import { Cluster } from "./cluster";
import { Ingress } from "./ingress";
import { Network } from "./network";
import { Observability } from "./observability";
import { WebAcl } from "./waf";

export interface RegionalPlatformArgs {
  /** The region stack's parsed settings. */
  config: RegionConfig;
  /** What the region reads from the global stack. */
  global: GlobalView;
}

export class RegionalPlatform extends pulumi.ComponentResource {
  public readonly kubernetesProvider: k8s.Provider;
  public readonly vpcId: pulumi.Output<string>;
  public readonly clusterName: pulumi.Output<string>;
  public readonly oidcProviderArn: pulumi.Output<string>;
  public readonly oidcProviderUrl: pulumi.Output<string>;
  public readonly albDnsName: pulumi.Output<string>;
  public readonly ingressTargetGroupArn: pulumi.Output<string>;
  public readonly workQueueArn: pulumi.Output<string>;
  public readonly workQueueUrl: pulumi.Output<string>;
  public readonly tracingEndpoint: pulumi.Output<string>;
  public readonly healthCheckId: pulumi.Output<string>;
  public readonly alarmTopicArn: pulumi.Output<string>;
  public readonly appSubnetIds: pulumi.Output<string[]>;
  /** Alarm key -> ARN: the region's alarms, and the canaries' (`canary-regional`, `canary-global`). */
  public readonly alarmArns: Readonly<Record<string, pulumi.Output<string>>>;
  /** The web ACL on the ALB; "" with platform:waf off. */
  public readonly webAclArn: pulumi.Output<string>;

  constructor(
    name: string,
    args: RegionalPlatformArgs,
    opts: pulumi.ComponentResourceOptions = {},
  ) {
    super("platform:region:Platform", name, {}, opts);
    const { config, global } = args;
    const parent = { parent: this };
    const fabric = global.fabric;
    const kmsKeyArn = fabric.kmsKeyArn;
    const logRetentionDays = config.observability.logRetentionDays;
    const clusterName = `${name}-${regionCode(config.region)}`;

    const network = new Network(
      `${name}-network`,
      {
        vpcCidr: config.network.vpcCidr,
        azCount: config.network.azCount,
        natGateways: config.network.natGateways,
        kmsKeyArn,
        logRetentionDays,
        ingressPort: config.ingress.gatewayPort,
        ingressHealthPort: config.ingress.gatewayHealthPort,
        database: config.aurora.enabled,
      },
      parent,
    );

    const ingress = new Ingress(
      `${name}-ingress`,
      {
        region: config.region,
        vpcId: network.vpcId,
        publicSubnetIds: network.publicSubnetIds,
        albSecurityGroupId: network.securityGroupIds.alb,
        zoneId: global.zoneId,
        globalName: config.dns.globalName,
        globalNameValidationFqdn: pulumi
          .all([global.globalName, global.globalNameValidationFqdn])
          .apply(([globalName, fqdn]) => {
            if (globalName !== config.dns.globalName) {
              throw new Error(
                `platform:dns.globalName is ${config.dns.globalName}, but the global stack serves ${globalName} (platform:edgeOriginName, default api.<domain>); set the same name in both`,
              );
            }
            return fqdn;
          }),
        regionalName: config.dns.regionalName,
        targetPort: config.ingress.gatewayPort,
        targetHealthCheckPort: config.ingress.gatewayHealthPort,
        targetHealthCheckPath: config.ingress.gatewayHealthPath,
        healthCheckPath: config.ingress.healthCheckPath,
        healthCheckIntervalSeconds: config.ingress.healthCheckIntervalSeconds,
        healthCheckFailureThreshold: config.ingress.healthCheckFailureThreshold,
        apiGateway: config.ingress.apiGateway,
        kmsKeyArn,
        logRetentionDays,
        globalAccelerator: config.ingress.globalAccelerator,
        acceleratorListenerArn: global.acceleratorListenerArn,
        evacuate: config.dns.evacuate,
      },
      parent,
    );

    // Edge protection: the web ACL on the ALB, logging to a group on the region key.
    this.webAclArn = config.waf.enabled
      ? new WebAcl(
          `${name}-waf`,
          { scope: "REGIONAL", waf: config.waf, kmsKeyArn, resourceArn: ingress.albArn },
          parent,
        ).arn
      : pulumi.output("");

    const cluster = new Cluster(
      `${name}-cluster`,
      {
        clusterName,
        kubernetesVersion: config.cluster.kubernetesVersion,
        vpcId: network.vpcId,
        appSubnetIds: network.appSubnetIds,
        azCount: config.network.azCount,
        instanceTypes: config.cluster.instanceTypes,
        minSize: config.cluster.minSize,
        desiredSize: config.cluster.desiredSize,
        maxSize: config.cluster.maxSize,
        deployerNetwork: config.cluster.deployerNetwork,
        publicAccessCidrs: config.cluster.publicAccessCidrs,
        allowPublicAccessFromAnywhere: config.cluster.allowPublicAccessFromAnywhere,
        kmsKeyArn,
        logRetentionDays,
        nodeSecurityGroupId: network.securityGroupIds.nodes,
        clusterRules: network.clusterRules,
        ingressTargetGroupArn: ingress.targetGroupArn,
        region: config.region,
      },
      parent,
    );

    const asyncLayer = new AsyncLayer(
      `${name}-async`,
      {
        kmsKeyArn,
        busName: fabric.busName,
        tableName: fabric.tableName,
        tableArn: fabric.tableArn,
        appSubnetIds: network.appSubnetIds,
        vpcId: network.vpcId,
        lambdaSecurityGroupId: network.securityGroupIds.lambda,
        logRetentionDays,
      },
      parent,
    );

    const observability = new Observability(
      `${name}-observability`,
      {
        region: config.region,
        clusterName,
        oidcProviderArn: cluster.oidcProviderArn,
        oidcProviderUrl: cluster.oidcProviderUrl,
        kmsKeyArn,
        logRetentionDays,
        alarmEmails: config.observability.alarmEmails,
        prometheus: config.observability.prometheus,
        albArnSuffix: ingress.albArnSuffix,
        targetGroupArnSuffix: ingress.targetGroupArnSuffix,
        dlqName: asyncLayer.dlqName,
        tableName: fabric.tableName,
        healthCheckId: ingress.healthCheckId,
        nodeGroups: cluster.nodeGroups,
      },
      // The Helm releases and the add-on need the cluster's nodes, not only its API: the add-on
      // waits for the node groups (nodeGroups), the releases through their provider.
      { parent: this, providers: [cluster.kubernetesProvider], dependsOn: [cluster] },
    );

    let canaryAlarms: Record<string, pulumi.Output<string>> = {};
    if (config.drills.canaries) {
      const canaries = new RegionCanaries(
        `${name}-canaries`,
        {
          region: config.region,
          namePrefix: regionCode(config.region),
          regionalName: config.dns.regionalName,
          globalName: config.dns.globalName,
          path: config.ingress.healthCheckPath,
          kmsKeyArn,
          alarmTopicArn: observability.alarmTopicArn,
        },
        parent,
      );
      canaryAlarms = Object.fromEntries(
        Object.entries(canaries.alarmArns).map(([k, arn]) => [`canary-${k}`, arn]),
      );
    }

    if (config.aurora.enabled) {
      const sg = network.securityGroupIds.database;
      if (sg === undefined) {
        // The network creates the group whenever Aurora is enabled; the check keeps types honest.
        throw new Error("platform:aurora.enabled needs the network's database security group");
      }
      new Aurora(
        `${name}-aurora`,
        {
          // Checked here, in the apply, because only the global stack's outputs can tell.
          globalClusterIdentifier: global.auroraGlobalClusterId.apply((id) =>
            requireAuroraGlobalCluster(config.region, id),
          ),
          primary: global.homeRegion.apply((home) => home === config.region),
          engineVersion: global.auroraEngineVersion,
          instanceClass: config.aurora.instanceClass,
          instances: config.aurora.instances,
          masterUsername: config.aurora.masterUsername,
          masterPassword: global.auroraMasterPassword,
          backupRetentionDays: config.aurora.backupRetentionDays,
          performanceInsights: config.aurora.performanceInsights,
          dataSubnetIds: network.dataSubnetIds,
          securityGroupId: sg,
          kmsKeyArn,
        },
        parent,
      );
    }

    this.kubernetesProvider = cluster.kubernetesProvider;
    this.vpcId = network.vpcId;
    this.clusterName = cluster.clusterName;
    this.oidcProviderArn = cluster.oidcProviderArn;
    this.oidcProviderUrl = cluster.oidcProviderUrl;
    this.albDnsName = ingress.albDnsName;
    this.ingressTargetGroupArn = ingress.targetGroupArn;
    this.workQueueArn = asyncLayer.queueArn;
    this.workQueueUrl = asyncLayer.queueUrl;
    this.tracingEndpoint = observability.tracingEndpoint;
    this.healthCheckId = ingress.healthCheckId;
    this.alarmTopicArn = observability.alarmTopicArn;
    this.appSubnetIds = network.appSubnetIds;
    this.alarmArns = { ...observability.alarmArns, ...canaryAlarms };
    this.registerOutputs({
      vpcId: this.vpcId,
      clusterName: this.clusterName,
      oidcProviderArn: this.oidcProviderArn,
      oidcProviderUrl: this.oidcProviderUrl,
      albDnsName: this.albDnsName,
      ingressTargetGroupArn: this.ingressTargetGroupArn,
      workQueueArn: this.workQueueArn,
      workQueueUrl: this.workQueueUrl,
      tracingEndpoint: this.tracingEndpoint,
      healthCheckId: this.healthCheckId,
      alarmTopicArn: this.alarmTopicArn,
    });
  }
}

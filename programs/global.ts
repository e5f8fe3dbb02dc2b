/**
 * The global stack: the data and event fabric that joins the regions (with the optional Aurora
 * global database), and the hosted zone.
 * Its outputs are the global contract (lib/contract.ts), read by every region stack.
 */
import * as pulumi from "@pulumi/pulumi";
import { GlobalFabric } from "../components/global/fabric";
import { cloudTrailKeyStatements, trailArn } from "../components/global/audit-policies";
import { ZoneSecurity } from "../components/global/dnssec";
import { GlobalRouting } from "../components/global/routing";
import { GlobalSecurity } from "../components/global/security";
import type { GlobalConfig } from "../lib/config/schema";
import type { GlobalStackExports } from "../lib/contract";

export async function globalProgram(config: GlobalConfig): Promise<GlobalStackExports> {
  const fabric = new GlobalFabric("platform", {
    homeRegion: config.region,
    regions: config.regions,
    services: config.services.map((s) => s.name),
    tableConsistency: config.table.consistency,
    witnessRegion: config.table.witnessRegion,
    replicationTimeControl: config.replication.replicationTimeControl,
    eventBridgeGlobalEndpoint: config.events.globalEndpoint,
    aurora: config.aurora.enabled,
    auroraEngineVersion: config.aurora.engineVersion,
    auroraDatabaseName: config.aurora.databaseName,
    // The trail encrypts with the home region's key (audit: components/global/audit.ts).
    extraKeyStatements: (region, account) =>
      region === config.region
        ? cloudTrailKeyStatements(account, trailArn(account, config.region, "platform"))
        : [],
  });
  const security = new GlobalSecurity("platform", {
    homeRegion: config.region,
    regions: config.regions,
    fabric: fabric.regional,
    audit: config.audit,
    guardDuty: config.threatDetection.guardDuty,
    securityHub: config.threatDetection.securityHub,
    cloudFrontWaf: config.edge === "cloudfront" && config.waf.enabled ? config.waf : undefined,
    usEast1Logs: config.dnsSecurity.queryLogging,
  });
  const routing = new GlobalRouting("platform", {
    domain: config.domain,
    hostedZone: config.hostedZone,
    edge: config.edge,
    edgeOriginName: config.edgeOriginName,
    homeRegion: config.region,
    regions: config.regions,
    webAclArn: security.cloudFrontWebAclArn,
  });
  new ZoneSecurity("platform", {
    zoneId: routing.zoneId,
    domain: config.domain,
    account: security.account,
    provider: security.usEast1Provider,
    dnssec: config.dnsSecurity.dnssec,
    queryLogging: config.dnsSecurity.queryLogging,
    queryLogRetentionDays: config.dnsSecurity.queryLogRetentionDays,
    logKeyArn: security.usEast1LogKeyArn,
  });
  return {
    homeRegion: pulumi.output(config.region),
    regions: pulumi.output([...config.regions]),
    zoneId: routing.zoneId,
    zoneName: routing.zoneName,
    nameServers: routing.nameServers,
    globalName: pulumi.output(routing.globalName),
    globalNameValidationFqdn: routing.globalNameValidationFqdn,
    fabric: fabric.regional,
    acceleratorListenerArn: routing.acceleratorListenerArn,
    auroraGlobalClusterId: fabric.auroraGlobalClusterId,
    auroraEngineVersion: pulumi.output(config.aurora.enabled ? config.aurora.engineVersion : ""),
    auroraMasterPassword: pulumi.secret(fabric.auroraMasterPassword),
  };
}

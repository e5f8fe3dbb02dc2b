/**
 * The global stack: the data and event fabric that joins the regions (with the optional Aurora
 * global database), and the hosted zone.
 * Its outputs are the global contract (lib/contract.ts), read by every region stack.
 */
import * as pulumi from "@pulumi/pulumi";
import { GlobalFabric } from "../components/global/fabric";
import { GlobalRouting } from "../components/global/routing";
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
  });
  const routing = new GlobalRouting("platform", {
    domain: config.domain,
    hostedZone: config.hostedZone,
    edge: config.edge,
    edgeOriginName: config.edgeOriginName,
    homeRegion: config.region,
    regions: config.regions,
  });
  return {
    homeRegion: pulumi.output(config.region),
    regions: pulumi.output([...config.regions]),
    zoneId: routing.zoneId,
    zoneName: routing.zoneName,
    fabric: fabric.regional,
    acceleratorListenerArn: routing.acceleratorListenerArn,
    auroraGlobalClusterId: fabric.auroraGlobalClusterId,
    auroraEngineVersion: pulumi.output(config.aurora.enabled ? config.aurora.engineVersion : ""),
  };
}

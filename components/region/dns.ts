/**
 * The region's place in global routing, in the zone the global stack owns:
 * - a Route 53 health check on the regional endpoint (HTTPS, by name, so it tests the
 *   certificate and the whole path through the ALB and the mesh);
 * - a latency alias record for the global name, identified by the region, with that health
 *   check attached: when the check fails, Route 53 stops answering with this region;
 * - a simple alias record for the regional name, which always points here (for the health
 *   check itself and for operators).
 * - optionally, the ALB as the endpoint group of this region in the global stack's Global
 *   Accelerator listener.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Global Accelerator's API lives in us-west-2 whatever the endpoint's region. */
export const GLOBAL_ACCELERATOR_API_REGION = "us-west-2";

export interface RegionRoutingArgs {
  region: string;
  zoneId: pulumi.Input<string>;
  globalName: string;
  regionalName: string;
  albDnsName: pulumi.Input<string>;
  albZoneId: pulumi.Input<string>;
  albArn: pulumi.Input<string>;
  healthCheckPath: string;
  healthCheckIntervalSeconds: 10 | 30;
  healthCheckFailureThreshold: number;
  globalAccelerator: boolean;
  acceleratorListenerArn: pulumi.Input<string>;
  /**
   * @default false - out of the global name's routing: no latency record (Route 53 answers with
   * the other regions only) and, with Global Accelerator, a traffic dial of 0; the health check
   * and the regional name stay, so the region can still be checked before it is restored
   */
  evacuate?: boolean;
}

export interface RegionRouting {
  readonly healthCheck: aws.route53.HealthCheck;
  /** Absent while the region is evacuated. */
  readonly latencyRecord?: aws.route53.Record;
  readonly regionalRecord: aws.route53.Record;
}

export function registerRegion(
  name: string,
  args: RegionRoutingArgs,
  parent: pulumi.Resource,
): RegionRouting {
  const opts = { parent };
  const healthCheck = new aws.route53.HealthCheck(
    `${name}-health`,
    {
      type: "HTTPS",
      fqdn: args.regionalName,
      port: 443,
      resourcePath: args.healthCheckPath,
      requestInterval: args.healthCheckIntervalSeconds,
      failureThreshold: args.healthCheckFailureThreshold,
      enableSni: true,
      measureLatency: true,
      tags: { Name: `${args.regionalName}${args.healthCheckPath}` },
    },
    opts,
  );
  const alias = { name: args.albDnsName, zoneId: args.albZoneId, evaluateTargetHealth: true };
  const evacuate = args.evacuate ?? false;
  // Evacuated: the record goes, which removes this region from the global name's answers on the
  // next `up` (the other regions' latency records keep answering).
  // https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-policy-latency.html
  const latencyRecord = evacuate
    ? undefined
    : new aws.route53.Record(
        `${name}-global`,
        {
          zoneId: args.zoneId,
          name: args.globalName,
          type: "A",
          setIdentifier: args.region,
          latencyRoutingPolicies: [{ region: args.region }],
          healthCheckId: healthCheck.id,
          aliases: [alias],
        },
        opts,
      );
  const regionalRecord = new aws.route53.Record(
    `${name}-regional`,
    { zoneId: args.zoneId, name: args.regionalName, type: "A", aliases: [alias] },
    opts,
  );

  if (args.globalAccelerator) {
    // Created from config, not from inside an apply: the listener's ARN is only a value here.
    const provider = new aws.Provider(
      `${name}-${GLOBAL_ACCELERATOR_API_REGION}`,
      { region: GLOBAL_ACCELERATOR_API_REGION },
      opts,
    );
    new aws.globalaccelerator.EndpointGroup(
      `${name}-accelerator`,
      {
        listenerArn: pulumi.output(args.acceleratorListenerArn).apply((arn) => {
          if (!arn) {
            throw new Error(
              "ingress.globalAccelerator is true but the global stack exports no acceleratorListenerArn; set platform:edge to globalAccelerator on the global stack",
            );
          }
          return arn;
        }),
        endpointGroupRegion: args.region,
        // 0 sends no new traffic to the group while evacuated.
        // https://docs.aws.amazon.com/global-accelerator/latest/dg/about-endpoint-groups-traffic-dial.html
        trafficDialPercentage: evacuate ? 0 : 100,
        healthCheckProtocol: "HTTPS",
        healthCheckPort: 443,
        healthCheckPath: args.healthCheckPath,
        healthCheckIntervalSeconds: args.healthCheckIntervalSeconds,
        thresholdCount: args.healthCheckFailureThreshold,
        endpointConfigurations: [
          { endpointId: args.albArn, weight: 100, clientIpPreservationEnabled: true },
        ],
      },
      { parent, provider },
    );
  }
  return { healthCheck, latencyRecord, regionalRecord };
}

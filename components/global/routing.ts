/**
 * GlobalRouting: the platform's public hosted zone (created, or looked up when it already exists)
 * and, optionally, what sits in front of the latency-routed name: a CloudFront distribution, or a
 * Global Accelerator whose listener the region stacks attach their ALBs to.
 *
 * With Global Accelerator, each region stack creates the endpoint group of its own region on the
 * exported listener (one endpoint group per region, holding that region's ALB). AWS allows one
 * endpoint group per region and listener, and endpoints are a property of the group: a group made
 * here would have to list every region's ALB, which would make the global stack depend on the
 * region stacks, against the one-way global -> region dependency.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsRegion } from "../../lib/regions";
import { providerFor, regionalProviders } from "./providers";
import { validateRegions } from "./validate";

export const EDGES = ["none", "cloudfront", "globalAccelerator"] as const;
export type Edge = (typeof EDGES)[number];

export type HostedZoneSpec = { readonly create: true } | { readonly existingZoneId: string };

export interface GlobalRoutingArgs {
  /** The platform's domain, the hosted zone's name. */
  readonly domain: string;
  /** @default { create: true } - create the public hosted zone */
  readonly hostedZone?: HostedZoneSpec;
  /** @default "none" */
  readonly edge?: Edge;
  readonly homeRegion: AwsRegion;
  readonly regions: readonly AwsRegion[];
  /**
   * @default api.<domain> - the latency-routed name every region serves (and CloudFront's origin)
   */
  readonly edgeOriginName?: string;
  /** @default none - the WAF web ACL (scope CLOUDFRONT) in front of the distribution */
  readonly webAclArn?: pulumi.Input<string>;
}

/** AWS managed CloudFront policies (fixed ids, the same in every account). */
const CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

/** Route 53 reports zone names with or without the final dot; compare without it. */
export const sameDomain = (a: string, b: string): boolean =>
  a.replace(/\.$/, "").toLowerCase() === b.replace(/\.$/, "").toLowerCase();

export class GlobalRouting extends pulumi.ComponentResource {
  public readonly zoneId: pulumi.Output<string>;
  public readonly zoneName: pulumi.Output<string>;
  /**
   * The zone's name servers: the parent zone (or the registrar) must delegate the domain to them
   * before ACM can validate a certificate or a health check can resolve a name in it.
   */
  public readonly nameServers: pulumi.Output<string[]>;
  /** The latency-routed name every region serves. */
  public readonly globalName: string;
  /** The ACM validation record of the global name, created once here for every region. */
  public readonly globalNameValidationFqdn: pulumi.Output<string>;
  /** The Global Accelerator listener the region stacks attach to; "" without an accelerator. */
  public readonly acceleratorListenerArn: pulumi.Output<string>;
  /** The DNS name of the edge (CloudFront or the accelerator); "" without one. */
  public readonly edgeDomainName: pulumi.Output<string>;

  constructor(name: string, args: GlobalRoutingArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:global:Routing", name, {}, opts);
    validateRegions(args.homeRegion, args.regions);
    const hostedZone = args.hostedZone ?? { create: true };
    const edge = args.edge ?? "none";
    // Route 53, CloudFront and Global Accelerator are global services; their API calls go to the
    // region AWS prescribes (the provider does that), so the home region's provider serves them.
    const providers = regionalProviders(name, [args.homeRegion], this);
    const home = { parent: this, provider: providerFor(providers, args.homeRegion) };

    if ("existingZoneId" in hostedZone) {
      const zone = aws.route53.getZoneOutput({ zoneId: hostedZone.existingZoneId }, home);
      this.zoneId = zone.zoneId;
      this.zoneName = zone.name.apply((found) => {
        if (!sameDomain(found, args.domain)) {
          throw new Error(
            `hostedZone.existingZoneId ${hostedZone.existingZoneId} is the zone of ${found}, not of the domain ${args.domain}`,
          );
        }
        return args.domain;
      });
      this.nameServers = zone.nameServers;
    } else {
      const zone = new aws.route53.Zone(
        `${name}-zone`,
        {
          name: args.domain,
          comment: `${name}: latency-routed names of every region`,
          forceDestroy: false,
        },
        { ...home, protect: true },
      );
      this.zoneId = zone.zoneId;
      this.zoneName = zone.name;
      this.nameServers = zone.nameServers;
    }

    // Every region's certificate names the global name, and ACM asks every certificate of the
    // account for the same validation CNAME for it
    // (https://github.com/hashicorp/terraform-provider-aws/issues/13653; each region still needs
    // its own certificate: https://docs.aws.amazon.com/acm/latest/userguide/acm-regions.html). The
    // record is created once, here, so that no region stack owns what another renews with. A
    // certificate for the name, in the home region, is how ACM tells what the record is.
    this.globalName = args.edgeOriginName ?? `api.${args.domain}`;
    const anchor = new aws.acm.Certificate(
      `${name}-global-name`,
      { domainName: this.globalName, validationMethod: "DNS" },
      home,
    );
    const option = anchor.domainValidationOptions.apply((options) => {
      const found = options.find((o) => o.domainName === this.globalName);
      if (!found) throw new Error(`ACM returned no validation option for ${this.globalName}`);
      return found;
    });
    const validationRecord = new aws.route53.Record(
      `${name}-global-name-validation`,
      {
        zoneId: this.zoneId,
        name: option.resourceRecordName,
        type: option.resourceRecordType,
        records: [option.resourceRecordValue],
        ttl: 300,
      },
      home,
    );
    this.globalNameValidationFqdn = validationRecord.fqdn;

    let listenerArn: pulumi.Output<string> = pulumi.output("");
    let edgeDomainName: pulumi.Output<string> = pulumi.output("");
    switch (edge) {
      case "none":
        break;
      case "cloudfront": {
        const origin = args.edgeOriginName ?? `api.${args.domain}`;
        const distribution = new aws.cloudfront.Distribution(
          `${name}-edge`,
          {
            enabled: true,
            comment: `${name}: in front of ${origin}`,
            isIpv6Enabled: true,
            httpVersion: "http2and3",
            priceClass: "PriceClass_All",
            origins: [
              {
                originId: "latency-routed",
                domainName: origin,
                customOriginConfig: {
                  httpPort: 80,
                  httpsPort: 443,
                  originProtocolPolicy: "https-only",
                  originSslProtocols: ["TLSv1.2"],
                },
              },
            ],
            defaultCacheBehavior: {
              targetOriginId: "latency-routed",
              viewerProtocolPolicy: "redirect-to-https",
              allowedMethods: ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
              cachedMethods: ["GET", "HEAD"],
              compress: true,
              // An API: nothing cached, every viewer header but Host forwarded (the origin's TLS
              // certificate is for the latency-routed name, which CloudFront sends as Host).
              cachePolicyId: CACHING_DISABLED,
              originRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
            },
            restrictions: { geoRestriction: { restrictionType: "none" } },
            viewerCertificate: { cloudfrontDefaultCertificate: true },
            // WAFv2 web ACLs are named by ARN here.
            ...(args.webAclArn !== undefined ? { webAclId: args.webAclArn } : {}),
          },
          home,
        );
        edgeDomainName = distribution.domainName;
        break;
      }
      case "globalAccelerator": {
        const accelerator = new aws.globalaccelerator.Accelerator(
          `${name}-accelerator`,
          { name: `${name}-accelerator`, ipAddressType: "IPV4", enabled: true },
          home,
        );
        const listener = new aws.globalaccelerator.Listener(
          `${name}-accelerator-https`,
          {
            acceleratorArn: accelerator.arn,
            protocol: "TCP",
            portRanges: [{ fromPort: 443, toPort: 443 }],
            clientAffinity: "NONE",
          },
          home,
        );
        listenerArn = listener.arn;
        edgeDomainName = accelerator.dnsName;
        break;
      }
      default: {
        const never: never = edge;
        throw new Error(`edge ${String(never)} is not one of ${EDGES.join(", ")}`);
      }
    }
    this.acceleratorListenerArn = listenerArn;
    this.edgeDomainName = edgeDomainName;
    this.registerOutputs({
      zoneId: this.zoneId,
      zoneName: this.zoneName,
      nameServers: this.nameServers,
      globalNameValidationFqdn: this.globalNameValidationFqdn,
      acceleratorListenerArn: this.acceleratorListenerArn,
      edgeDomainName: this.edgeDomainName,
    });
  }
}

/**
 * GlobalSecurity: the global stack's audit and threat detection, and the pieces of edge security
 * that must live in us-east-1 before the edge exists (the CloudFront web ACL). Built on the
 * fabric's keys: the trail, its log group and the notification topic on the home region's key,
 * the us-east-1 log groups on the us-east-1 key (the fabric's replica when us-east-1 is a platform
 * region, else a key of their own). The hosted zone's DNSSEC and query logging come after the
 * zone (ZoneSecurity, dnssec.ts), with `usEast1Provider` and `usEast1LogKeyArn` from here.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { WafConfig } from "../../lib/config/schema";
import type { RegionalFabric } from "../../lib/contract";
import type { AwsRegion } from "../../lib/regions";
import { WebAcl } from "../region/waf";
import { PlatformAudit } from "./audit";
import { logsOnlyKeyPolicy } from "./audit-policies";
import { ROUTE53_CONTROL_REGION } from "./dnssec";
import type { Account } from "./policies";
import { providerFor, regionalProviders } from "./providers";
import { ThreatDetection } from "./threat-detection";

export interface GlobalSecurityArgs {
  readonly homeRegion: AwsRegion;
  readonly regions: readonly AwsRegion[];
  /** The fabric's per-region slice (keys, table and bucket ARNs). */
  readonly fabric: pulumi.Input<Record<string, RegionalFabric>>;
  readonly audit: {
    readonly dataEvents: boolean;
    readonly retentionDays: number;
    readonly archiveAfterDays: number;
    readonly objectLock: boolean;
    readonly notificationEmails: readonly string[];
  };
  readonly guardDuty: boolean;
  readonly securityHub: boolean;
  /** With a CloudFront edge and waf.enabled: the distribution's web ACL. */
  readonly cloudFrontWaf?: WafConfig;
  /** Whether a us-east-1 log group is needed beyond the CloudFront ACL's (query logging). */
  readonly usEast1Logs: boolean;
}

export class GlobalSecurity extends pulumi.ComponentResource {
  public readonly notificationTopicArn: pulumi.Output<string>;
  public readonly trailArn: pulumi.Output<string>;
  /** The CloudFront web ACL's ARN; undefined without one. */
  public readonly cloudFrontWebAclArn?: pulumi.Output<string>;
  public readonly usEast1Provider: aws.Provider;
  /** The key of us-east-1 log groups; undefined when none is needed. */
  public readonly usEast1LogKeyArn?: pulumi.Output<string>;
  public readonly account: Account;

  constructor(name: string, args: GlobalSecurityArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:global:Security", name, {}, opts);
    const { homeRegion, regions } = args;
    const needed = [...new Set<AwsRegion>([...regions, ROUTE53_CONTROL_REGION as AwsRegion])];
    const providers = regionalProviders(`${name}-security`, needed, this);
    const home = { parent: this, provider: providerFor(providers, homeRegion) };
    const partition = aws.getPartitionOutput({}, home);
    const identity = aws.getCallerIdentityOutput({}, home);
    const a: Account = {
      partition: partition.partition,
      dnsSuffix: partition.dnsSuffix,
      accountId: identity.accountId,
    };
    const fabric = pulumi.output(args.fabric);
    const at = (region: string) =>
      fabric.apply((f) => {
        const slice = f[region];
        if (!slice) throw new Error(`the fabric has no slice for region ${region}`);
        return slice;
      });

    const audit = new PlatformAudit(
      name,
      {
        homeRegion,
        provider: providerFor(providers, homeRegion),
        account: a,
        kmsKeyArn: at(homeRegion).kmsKeyArn,
        dataEvents: args.audit.dataEvents,
        // The table's ARN in every region (data events are logged where the call is made) and
        // every region's bucket.
        tableArns: regions.map((r) => at(r).tableArn),
        bucketArns: regions.map((r) => at(r).bucketArn),
        retentionDays: args.audit.retentionDays,
        archiveAfterDays: args.audit.archiveAfterDays,
        objectLock: args.audit.objectLock,
        notificationEmails: args.audit.notificationEmails,
      },
      { parent: this },
    );
    new ThreatDetection(
      name,
      {
        homeRegion,
        regions,
        providers,
        account: a,
        topicArn: audit.topicArn,
        guardDuty: args.guardDuty,
        securityHub: args.securityHub,
      },
      { parent: this },
    );

    this.usEast1Provider = providerFor(providers, ROUTE53_CONTROL_REGION as AwsRegion);
    const east = { parent: this, provider: this.usEast1Provider };
    if (args.cloudFrontWaf !== undefined || args.usEast1Logs) {
      this.usEast1LogKeyArn = regions.includes(ROUTE53_CONTROL_REGION as AwsRegion)
        ? at(ROUTE53_CONTROL_REGION).kmsKeyArn
        : new aws.kms.Key(
            `${name}-logs-${ROUTE53_CONTROL_REGION}`,
            {
              description: `${name}: log groups that must live in ${ROUTE53_CONTROL_REGION}`,
              enableKeyRotation: true,
              deletionWindowInDays: 30,
              policy: pulumi.jsonStringify(logsOnlyKeyPolicy(a, ROUTE53_CONTROL_REGION)),
            },
            { ...east, protect: true },
          ).arn;
    }
    if (args.cloudFrontWaf !== undefined && this.usEast1LogKeyArn !== undefined) {
      this.cloudFrontWebAclArn = new WebAcl(
        `${name}-cloudfront`,
        { scope: "CLOUDFRONT", waf: args.cloudFrontWaf, kmsKeyArn: this.usEast1LogKeyArn },
        east,
      ).arn;
    }
    this.notificationTopicArn = audit.topicArn;
    this.trailArn = audit.trailArn;
    this.account = a;
    this.registerOutputs({
      notificationTopicArn: this.notificationTopicArn,
      trailArn: this.trailArn,
    });
  }
}

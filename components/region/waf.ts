/**
 * WebAcl: AWS WAF in front of one public entry point, a regional ALB (scope REGIONAL) or the
 * CloudFront distribution (scope CLOUDFRONT, which AWS requires in us-east-1):
 * - the AWS managed rule groups Core rule set (AWSManagedRulesCommonRuleSet), Known bad inputs
 *   (AWSManagedRulesKnownBadInputsRuleSet) and Amazon IP reputation list
 *   (AWSManagedRulesAmazonIpReputationList), blocking, or counting while rules are tuned;
 *   https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-list.html
 * - a rate-based rule per client IP, limit and window from config;
 *   https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based.html
 * - logging to a CloudWatch Logs group named `aws-waf-logs-...` (the prefix WAF requires),
 *   encrypted with the region's key, in the web ACL's region;
 *   https://docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html
 * - with `resourceArn`, the association with the ALB.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { WafConfig } from "../../lib/config/schema";

export const WAF_SCOPES = ["REGIONAL", "CLOUDFRONT"] as const;
export type WafScope = (typeof WAF_SCOPES)[number];

/** The managed rule groups, in evaluation order after the rate rule. */
export const MANAGED_RULE_GROUPS = [
  "AWSManagedRulesAmazonIpReputationList",
  "AWSManagedRulesCommonRuleSet",
  "AWSManagedRulesKnownBadInputsRuleSet",
] as const;

/** WAF only delivers to log groups whose name starts with this. */
export const WAF_LOG_GROUP_PREFIX = "aws-waf-logs-";

const visibility = (metricName: string) => ({
  cloudwatchMetricsEnabled: true,
  metricName,
  sampledRequestsEnabled: true,
});

/** The web ACL's rules, as data: the rate rule first (cheapest), then the managed groups. */
export function webAclRules(
  name: string,
  waf: Pick<WafConfig, "rateLimit" | "rateWindowSeconds" | "managedRulesAction">,
): aws.types.input.wafv2.WebAclRule[] {
  const rate: aws.types.input.wafv2.WebAclRule = {
    name: "rate-per-ip",
    priority: 0,
    action: { block: {} },
    statement: {
      rateBasedStatement: {
        aggregateKeyType: "IP",
        limit: waf.rateLimit,
        evaluationWindowSec: waf.rateWindowSeconds,
      },
    },
    visibilityConfig: visibility(`${name}-rate-per-ip`),
  };
  const managed = MANAGED_RULE_GROUPS.map((group, i): aws.types.input.wafv2.WebAclRule => ({
    name: group,
    priority: i + 1,
    // A rule group's own actions apply (none), or every match is only counted (count).
    overrideAction: waf.managedRulesAction === "count" ? { count: {} } : { none: {} },
    statement: { managedRuleGroupStatement: { vendorName: "AWS", name: group } },
    visibilityConfig: visibility(`${name}-${group}`),
  }));
  return [rate, ...managed];
}

export interface WebAclArgs {
  scope: WafScope;
  waf: Pick<
    WafConfig,
    "rateLimit" | "rateWindowSeconds" | "managedRulesAction" | "logRetentionDays"
  >;
  /** The key of the web ACL's region, for its log group. */
  kmsKeyArn: pulumi.Input<string>;
  /** @default none - the regional resource (ALB) to associate; CloudFront names the ACL itself */
  resourceArn?: pulumi.Input<string>;
}

export class WebAcl extends pulumi.ComponentResource {
  public readonly arn: pulumi.Output<string>;
  public readonly logGroupName: pulumi.Output<string>;

  /** `opts.provider` picks the region (us-east-1 for CLOUDFRONT). */
  constructor(name: string, args: WebAclArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:edge:WebAcl", name, {}, opts);
    if (!WAF_SCOPES.includes(args.scope)) {
      throw new Error(`waf scope "${String(args.scope)}" is not one of ${WAF_SCOPES.join(", ")}`);
    }
    if (args.scope === "CLOUDFRONT" && args.resourceArn !== undefined) {
      throw new Error("a CLOUDFRONT web ACL is named by the distribution, not associated");
    }
    const o = { parent: this, ...(opts.provider ? { provider: opts.provider } : {}) };
    const acl = new aws.wafv2.WebAcl(
      name,
      {
        scope: args.scope,
        description: `${name}: managed rule groups and a per-IP rate limit`,
        defaultAction: { allow: {} },
        rules: webAclRules(name, args.waf),
        visibilityConfig: visibility(name),
      },
      o,
    );
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      {
        name: `${WAF_LOG_GROUP_PREFIX}${name}`,
        kmsKeyId: args.kmsKeyArn,
        retentionInDays: args.waf.logRetentionDays,
      },
      o,
    );
    new aws.wafv2.WebAclLoggingConfiguration(
      name,
      {
        resourceArn: acl.arn,
        logDestinationConfigs: [logGroup.arn],
        // Never log credentials.
        redactedFields: [{ singleHeader: { name: "authorization" } }],
      },
      o,
    );
    if (args.resourceArn !== undefined) {
      new aws.wafv2.WebAclAssociation(
        name,
        { resourceArn: args.resourceArn, webAclArn: acl.arn },
        o,
      );
    }
    this.arn = acl.arn;
    this.logGroupName = logGroup.name;
    this.registerOutputs({ arn: this.arn, logGroupName: this.logGroupName });
  }
}

/**
 * ThreatDetection: GuardDuty and Security Hub in every region of the platform, each by config,
 * with their findings routed to the notification topic.
 * - GuardDuty: a detector per region with S3 protection (S3_DATA_EVENTS), EKS audit-log
 *   monitoring (EKS_AUDIT_LOGS) and Runtime Monitoring with the EKS agent managed by GuardDuty
 *   (RUNTIME_MONITORING + EKS_ADDON_MANAGEMENT; it supersedes EKS_RUNTIME_MONITORING, and the two
 *   cannot both be set). https://docs.aws.amazon.com/guardduty/latest/APIReference/API_DetectorFeatureConfiguration.html
 * - Security Hub: enabled per region with the AWS Foundational Security Best Practices standard,
 *   and a finding aggregator in the home region linking every region, so that the home region
 *   emits the findings of all of them.
 *   https://docs.aws.amazon.com/securityhub/latest/userguide/finding-aggregation.html
 * - Routing: a rule in each other region forwards GuardDuty findings to the home region's default
 *   bus (EventBridge cross-region targets), where one rule per source publishes to the topic.
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsRegion } from "../../lib/regions";
import { findingsForwardPolicy, findingsForwardTrust } from "./audit-policies";
import { perRegion } from "./naming";
import type { Account } from "./policies";
import { providerFor, type RegionalProviders } from "./providers";

/** GuardDuty severities from 4.0 (medium) up reach the topic; low ones stay in the console. */
export const GUARDDUTY_MIN_SEVERITY = 4;

/** EventBridge patterns, as data (tests assert on them). */
export const guardDutyPattern = {
  source: ["aws.guardduty"],
  "detail-type": ["GuardDuty Finding"],
  detail: { severity: [{ numeric: [">=", GUARDDUTY_MIN_SEVERITY] }] },
};
/**
 * Security Hub's own control findings (failed checks of the standard), high and critical, new
 * and active. GuardDuty's findings also reach Security Hub; they are left out here because the
 * GuardDuty rule sends them already.
 */
export const securityHubPattern = {
  source: ["aws.securityhub"],
  "detail-type": ["Security Hub Findings - Imported"],
  detail: {
    findings: {
      ProductName: [{ "anything-but": "GuardDuty" }],
      Severity: { Label: ["HIGH", "CRITICAL"] },
      Workflow: { Status: ["NEW"] },
      RecordState: ["ACTIVE"],
    },
  },
};

/** The FSBP standard's ARN in a region (standards ARNs carry the region, no account). */
export const fsbpStandardArn = (partition: string, region: string): string =>
  `arn:${partition}:securityhub:${region}::standards/aws-foundational-security-best-practices/v/1.0.0`;

export interface ThreatDetectionArgs {
  readonly homeRegion: AwsRegion;
  readonly regions: readonly AwsRegion[];
  readonly providers: RegionalProviders;
  readonly account: Account;
  /** The notification topic, in the home region. */
  readonly topicArn: pulumi.Input<string>;
  /** @default false */
  readonly guardDuty?: boolean;
  /** @default false */
  readonly securityHub?: boolean;
}

export class ThreatDetection extends pulumi.ComponentResource {
  /** Region -> GuardDuty detector id ("" with GuardDuty off). */
  public readonly detectorIds: Readonly<Record<string, pulumi.Output<string>>>;

  constructor(name: string, args: ThreatDetectionArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:global:ThreatDetection", name, {}, opts);
    const { homeRegion, regions, providers, account: a } = args;
    const guardDuty = args.guardDuty ?? false;
    const securityHub = args.securityHub ?? false;
    const home = { parent: this, provider: providerFor(providers, homeRegion) };
    const homeBusArn = pulumi.interpolate`arn:${a.partition}:events:${homeRegion}:${a.accountId}:event-bus/default`;
    const detectorIds: Record<string, pulumi.Output<string>> = {};

    let forwardRole: aws.iam.Role | undefined;
    if (guardDuty && regions.some((r) => r !== homeRegion)) {
      forwardRole = new aws.iam.Role(
        `${name}-findings-forward`,
        { assumeRolePolicy: pulumi.jsonStringify(findingsForwardTrust(a)) },
        home,
      );
      new aws.iam.RolePolicy(
        `${name}-findings-forward`,
        { role: forwardRole.id, policy: pulumi.jsonStringify(findingsForwardPolicy(homeBusArn)) },
        home,
      );
    }

    const hubAccounts: aws.securityhub.Account[] = [];
    for (const region of regions) {
      const o = { parent: this, provider: providerFor(providers, region) };
      detectorIds[region] = pulumi.output("");
      if (guardDuty) {
        const detector = new aws.guardduty.Detector(
          perRegion(name, "guardduty", region),
          { enable: true, findingPublishingFrequency: "FIFTEEN_MINUTES" },
          o,
        );
        detectorIds[region] = detector.id;
        const feature = (key: string, featureName: string, extra: object = {}) =>
          new aws.guardduty.DetectorFeature(
            perRegion(name, `guardduty-${key}`, region),
            { detectorId: detector.id, name: featureName, status: "ENABLED", ...extra },
            o,
          );
        feature("s3", "S3_DATA_EVENTS");
        feature("eks-audit", "EKS_AUDIT_LOGS");
        feature("runtime", "RUNTIME_MONITORING", {
          additionalConfigurations: [{ name: "EKS_ADDON_MANAGEMENT", status: "ENABLED" }],
        });
        const rule = new aws.cloudwatch.EventRule(
          perRegion(name, "guardduty-findings", region),
          {
            description: "GuardDuty findings of medium severity and above",
            eventPattern: JSON.stringify(guardDutyPattern),
          },
          o,
        );
        if (region !== homeRegion && forwardRole !== undefined) {
          new aws.cloudwatch.EventTarget(
            perRegion(name, "guardduty-findings", region),
            { rule: rule.name, arn: homeBusArn, roleArn: forwardRole.arn },
            o,
          );
        } else {
          new aws.cloudwatch.EventTarget(
            perRegion(name, "guardduty-findings", region),
            { rule: rule.name, arn: args.topicArn },
            o,
          );
        }
      }
      if (securityHub) {
        const hub = new aws.securityhub.Account(
          perRegion(name, "securityhub", region),
          {
            enableDefaultStandards: false,
            controlFindingGenerator: "SECURITY_CONTROL",
            autoEnableControls: true,
          },
          o,
        );
        hubAccounts.push(hub);
        new aws.securityhub.StandardsSubscription(
          perRegion(name, "securityhub-fsbp", region),
          { standardsArn: pulumi.output(a.partition).apply((p) => fsbpStandardArn(p, region)) },
          { ...o, dependsOn: [hub] },
        );
      }
    }

    if (securityHub) {
      new aws.securityhub.FindingAggregator(
        `${name}-securityhub-aggregator`,
        { linkingMode: "ALL_REGIONS" },
        { ...home, dependsOn: hubAccounts },
      );
      const rule = new aws.cloudwatch.EventRule(
        `${name}-securityhub-findings`,
        {
          description: "Security Hub control findings, high and critical, of every region",
          eventPattern: JSON.stringify(securityHubPattern),
        },
        home,
      );
      new aws.cloudwatch.EventTarget(
        `${name}-securityhub-findings`,
        { rule: rule.name, arn: args.topicArn },
        home,
      );
    }

    this.detectorIds = detectorIds;
    this.registerOutputs({ detectorIds });
  }
}

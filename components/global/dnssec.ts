/**
 * ZoneSecurity: DNSSEC signing and DNS query logging of the platform's public hosted zone, each by
 * config. Both live in us-east-1, where Route 53 requires them:
 * - DNSSEC: a customer-managed KMS key of spec ECC_NIST_P256 for signing, in us-east-1
 *   (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-configuring-dnssec-cmk-requirements.html),
 *   whose policy lets the Route 53 DNSSEC service use it for this account's zones, a key-signing
 *   key on it, and signing switched on for the zone. The chain of trust is complete once the
 *   parent zone holds the DS record (README: "DNSSEC"), which no stack of this project can write.
 * - Query logging: a log group under /aws/route53/ in us-east-1 (encrypted with the us-east-1
 *   key), the CloudWatch Logs resource policy that lets Route 53 write there, and the zone's query
 *   logging configuration. https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/query-logs.html
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { dnssecKeyPolicy, queryLogResourcePolicy } from "./audit-policies";
import type { Account } from "./policies";

/** Route 53 DNSSEC keys and query-log groups must live here. */
export const ROUTE53_CONTROL_REGION = "us-east-1";

export interface ZoneSecurityArgs {
  readonly zoneId: pulumi.Input<string>;
  readonly domain: string;
  readonly account: Account;
  /** A us-east-1 provider. */
  readonly provider: aws.Provider;
  /** @default false */
  readonly dnssec?: boolean;
  /** @default false */
  readonly queryLogging?: boolean;
  /** @default 30 */
  readonly queryLogRetentionDays?: number;
  /** The us-east-1 key for the query-log group; needed with queryLogging. */
  readonly logKeyArn?: pulumi.Input<string>;
}

/** A KSK name: 3-128 letters, digits and underscores. */
export const kskName = (name: string): string =>
  `${name.replace(/[^A-Za-z0-9_]/g, "_")}_ksk`.slice(0, 128);

export class ZoneSecurity extends pulumi.ComponentResource {
  /** The DS record the parent zone must publish; "" without DNSSEC. */
  public readonly dsRecord: pulumi.Output<string>;
  public readonly queryLogGroupName: pulumi.Output<string>;

  constructor(name: string, args: ZoneSecurityArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:global:ZoneSecurity", name, {}, opts);
    const o = { parent: this, provider: args.provider };
    this.dsRecord = pulumi.output("");
    this.queryLogGroupName = pulumi.output("");

    if (args.dnssec ?? false) {
      const key = new aws.kms.Key(
        `${name}-dnssec`,
        {
          description: `${name}: DNSSEC key-signing key of ${args.domain}`,
          customerMasterKeySpec: "ECC_NIST_P256",
          keyUsage: "SIGN_VERIFY",
          deletionWindowInDays: 30,
          policy: pulumi.jsonStringify(dnssecKeyPolicy(args.account)),
        },
        // Deleting the key breaks resolution of the signed zone: keep it.
        { ...o, protect: true },
      );
      const ksk = new aws.route53.KeySigningKey(
        `${name}-ksk`,
        {
          hostedZoneId: args.zoneId,
          keyManagementServiceArn: key.arn,
          name: kskName(name),
          status: "ACTIVE",
        },
        o,
      );
      new aws.route53.HostedZoneDnsSec(
        `${name}-dnssec`,
        { hostedZoneId: args.zoneId, signingStatus: "SIGNING" },
        { ...o, dependsOn: [ksk] },
      );
      this.dsRecord = ksk.dsRecord;
    }

    if (args.queryLogging ?? false) {
      if (args.logKeyArn === undefined) {
        throw new Error("dnsSecurity.queryLogging needs a us-east-1 key for its log group");
      }
      const a = args.account;
      const logGroup = new aws.cloudwatch.LogGroup(
        `${name}-query-logs`,
        {
          name: `/aws/route53/${args.domain}`,
          kmsKeyId: args.logKeyArn,
          retentionInDays: args.queryLogRetentionDays ?? 30,
        },
        o,
      );
      const policy = new aws.cloudwatch.LogResourcePolicy(
        `${name}-query-logs`,
        {
          policyName: `${name}-route53-query-logs`,
          policyDocument: pulumi.jsonStringify(
            queryLogResourcePolicy(
              a,
              pulumi.interpolate`arn:${a.partition}:logs:${ROUTE53_CONTROL_REGION}:${a.accountId}:log-group:/aws/route53/*`,
            ),
          ),
        },
        o,
      );
      new aws.route53.QueryLog(
        `${name}-query-logs`,
        { zoneId: args.zoneId, cloudwatchLogGroupArn: logGroup.arn },
        { ...o, dependsOn: [policy] },
      );
      this.queryLogGroupName = logGroup.name;
    }
    this.registerOutputs({ dsRecord: this.dsRecord, queryLogGroupName: this.queryLogGroupName });
  }
}

/**
 * The region's front door: an ACM certificate for the regional and the global names (validated
 * in the global stack's zone; the global name's record is the global stack's), a public ALB that terminates TLS 1.2+ and redirects HTTP, writes
 * access logs and cannot be deleted by accident, and the IP target group the mesh's ingress
 * gateway registers into. Then the region's place in global routing (dns.ts) and, by config, an
 * HTTP API in front (api-gateway.ts).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ALB_LOG_PREFIX, albLogBucketPolicy } from "./alb-logs";
import { createApiGateway } from "./api-gateway";
import { registerRegion } from "./dns";

/** TLS 1.3 and 1.2 only, forward-secret ciphers. */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

export interface IngressArgs {
  region: string;
  vpcId: pulumi.Input<string>;
  publicSubnetIds: pulumi.Input<string[]>;
  albSecurityGroupId: pulumi.Input<string>;
  zoneId: pulumi.Input<string>;
  /** The name latency routing serves from every region. */
  globalName: string;
  /**
   * The global name's ACM validation record, which the global stack owns: this certificate
   * validates with it and never creates or deletes it.
   */
  globalNameValidationFqdn: pulumi.Input<string>;
  /** The name that always points to this region. */
  regionalName: string;
  /** The mesh ingress gateway's container port. */
  targetPort: number;
  targetHealthCheckPort: number;
  targetHealthCheckPath: string;
  /** @default /healthz - what the Route 53 health check requests */
  healthCheckPath?: string;
  /** @default 10 */
  healthCheckIntervalSeconds?: 10 | 30;
  /** @default 3 */
  healthCheckFailureThreshold?: number;
  /** @default false - an HTTP API in front of the ALB */
  apiGateway?: boolean;
  /** Needed with `apiGateway` (its access-log group). */
  kmsKeyArn: pulumi.Input<string>;
  logRetentionDays: number;
  /** @default false - register the ALB with the global accelerator listener */
  globalAccelerator?: boolean;
  acceleratorListenerArn: pulumi.Input<string>;
  /** @default false - out of the global name's routing (dns.ts) */
  evacuate?: boolean;
}

export function validateIngressArgs(args: Pick<IngressArgs, "globalName" | "regionalName">): void {
  if (args.globalName === args.regionalName) {
    throw new Error(
      `dns.regionalName: "${args.regionalName}" equals dns.globalName; the regional name must point to this region alone`,
    );
  }
}

export class Ingress extends pulumi.ComponentResource {
  public readonly albArn: pulumi.Output<string>;
  public readonly albArnSuffix: pulumi.Output<string>;
  public readonly albDnsName: pulumi.Output<string>;
  public readonly targetGroupArn: pulumi.Output<string>;
  public readonly targetGroupArnSuffix: pulumi.Output<string>;
  public readonly healthCheckId: pulumi.Output<string>;
  public readonly certificateArn: pulumi.Output<string>;

  constructor(name: string, args: IngressArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:region:Ingress", name, {}, opts);
    validateIngressArgs(args);
    const parent = { parent: this };
    const partition = aws.getPartitionOutput({}, parent);
    const identity = aws.getCallerIdentityOutput({}, parent);

    const certificate = new aws.acm.Certificate(
      `${name}-cert`,
      {
        domainName: args.regionalName,
        subjectAlternativeNames: [args.globalName],
        validationMethod: "DNS",
      },
      parent,
    );
    // The options come back in no guaranteed order, so look each one up.
    const optionFor = (domain: string) =>
      certificate.domainValidationOptions.apply((options) => {
        const found = options.find((o) => o.domainName === domain);
        if (!found) throw new Error(`ACM returned no validation option for ${domain}`);
        return found;
      });
    // The regional name is this region's alone: its record lives here.
    const regional = optionFor(args.regionalName);
    const regionalRecord = new aws.route53.Record(
      `${name}-cert-validation-0`,
      {
        zoneId: args.zoneId,
        name: regional.resourceRecordName,
        type: regional.resourceRecordType,
        records: [regional.resourceRecordValue],
        ttl: 300,
      },
      parent,
    );
    // The global name's record is the global stack's (components/global/routing.ts); ACM asks
    // every certificate of the account for that same record, which this checks.
    const sharedRecord = pulumi
      .all([optionFor(args.globalName), args.globalNameValidationFqdn])
      .apply(([option, fqdn]) => {
        const wanted = option.resourceRecordName.replace(/\.$/, "");
        if (wanted !== fqdn.replace(/\.$/, "")) {
          throw new Error(
            `the certificate of ${args.globalName} validates with ${wanted}, but the global stack's record is ${fqdn}; run \`pulumi up\` on the global stack (same account) first`,
          );
        }
        return fqdn;
      });
    const validation = new aws.acm.CertificateValidation(
      `${name}-cert`,
      {
        certificateArn: certificate.arn,
        validationRecordFqdns: [regionalRecord.fqdn, sharedRecord],
      },
      parent,
    );

    // Access logs: SSE-S3 because ALB log delivery supports nothing else; protected, kept.
    const stateful = { ...parent, protect: true, retainOnDelete: true };
    const logBucket = new aws.s3.Bucket(`${name}-alb-logs`, { forceDestroy: false }, stateful);
    const bucketSettings = [
      new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-alb-logs`,
        {
          bucket: logBucket.id,
          rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
        },
        parent,
      ),
      new aws.s3.BucketPublicAccessBlock(
        `${name}-alb-logs`,
        {
          bucket: logBucket.id,
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        },
        parent,
      ),
      new aws.s3.BucketOwnershipControls(
        `${name}-alb-logs`,
        { bucket: logBucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
        parent,
      ),
      new aws.s3.BucketLifecycleConfiguration(
        `${name}-alb-logs`,
        {
          bucket: logBucket.id,
          rules: [
            {
              id: "expire-access-logs",
              status: "Enabled",
              filter: { prefix: `${ALB_LOG_PREFIX}/` },
              expiration: { days: args.logRetentionDays },
            },
          ],
        },
        parent,
      ),
    ];
    const bucketPolicy = new aws.s3.BucketPolicy(
      `${name}-alb-logs`,
      {
        bucket: logBucket.id,
        policy: pulumi.jsonStringify(
          pulumi
            .all([logBucket.arn, partition.partition, identity.accountId])
            .apply(([bucketArn, p, accountId]) =>
              albLogBucketPolicy(bucketArn, args.region, p, accountId),
            ),
        ),
      },
      { ...parent, dependsOn: bucketSettings },
    );

    const alb = new aws.lb.LoadBalancer(
      `${name}-alb`,
      {
        loadBalancerType: "application",
        internal: false,
        subnets: args.publicSubnetIds,
        securityGroups: [args.albSecurityGroupId],
        dropInvalidHeaderFields: true,
        enableDeletionProtection: true,
        desyncMitigationMode: "strictest",
        accessLogs: { bucket: logBucket.bucket, prefix: ALB_LOG_PREFIX, enabled: true },
      },
      // AWS checks the bucket policy when access logs are switched on.
      { ...parent, dependsOn: [bucketPolicy] },
    );

    const targetGroup = new aws.lb.TargetGroup(
      `${name}-gateway`,
      {
        vpcId: args.vpcId,
        targetType: "ip",
        protocol: "HTTP",
        port: args.targetPort,
        deregistrationDelay: 30,
        healthCheck: {
          enabled: true,
          protocol: "HTTP",
          port: String(args.targetHealthCheckPort),
          path: args.targetHealthCheckPath,
          matcher: "200",
          interval: 10,
          healthyThreshold: 2,
          unhealthyThreshold: 3,
        },
      },
      parent,
    );

    new aws.lb.Listener(
      `${name}-https`,
      {
        loadBalancerArn: alb.arn,
        port: 443,
        protocol: "HTTPS",
        sslPolicy: TLS_POLICY,
        certificateArn: validation.certificateArn,
        defaultActions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
      },
      parent,
    );
    new aws.lb.Listener(
      `${name}-http`,
      {
        loadBalancerArn: alb.arn,
        port: 80,
        protocol: "HTTP",
        defaultActions: [
          {
            type: "redirect",
            redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" },
          },
        ],
      },
      parent,
    );

    const routing = registerRegion(
      name,
      {
        region: args.region,
        zoneId: args.zoneId,
        globalName: args.globalName,
        regionalName: args.regionalName,
        albDnsName: alb.dnsName,
        albZoneId: alb.zoneId,
        albArn: alb.arn,
        healthCheckPath: args.healthCheckPath ?? "/healthz",
        healthCheckIntervalSeconds: args.healthCheckIntervalSeconds ?? 10,
        healthCheckFailureThreshold: args.healthCheckFailureThreshold ?? 3,
        globalAccelerator: args.globalAccelerator ?? false,
        acceleratorListenerArn: args.acceleratorListenerArn,
        evacuate: args.evacuate,
      },
      this,
    );

    if (args.apiGateway ?? false) {
      createApiGateway(
        name,
        {
          regionalName: args.regionalName,
          kmsKeyArn: args.kmsKeyArn,
          logRetentionDays: args.logRetentionDays,
        },
        this,
      );
    }

    this.albArn = alb.arn;
    this.albArnSuffix = alb.arnSuffix;
    this.albDnsName = alb.dnsName;
    this.targetGroupArn = targetGroup.arn;
    this.targetGroupArnSuffix = targetGroup.arnSuffix;
    this.healthCheckId = routing.healthCheck.id;
    this.certificateArn = validation.certificateArn;
    this.registerOutputs({
      albArn: this.albArn,
      albArnSuffix: this.albArnSuffix,
      albDnsName: this.albDnsName,
      targetGroupArn: this.targetGroupArn,
      targetGroupArnSuffix: this.targetGroupArnSuffix,
      healthCheckId: this.healthCheckId,
      certificateArn: this.certificateArn,
    });
  }
}

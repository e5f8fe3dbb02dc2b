/**
 * RegionCanaries: CloudWatch Synthetics canaries in this region that call the regional name and
 * the global name every minute, an alarm on each (to the region's alarm topic), and the encrypted
 * bucket they write their artifacts to. Their CloudWatchSynthetics metrics (SuccessPercent,
 * Duration per canary) are the failover figures of a drill: how long, seen from each region, the
 * global name failed while a region was broken or evacuated (docs/runbooks/failover-drill.md).
 *
 * Runtime: syn-nodejs-puppeteer-15.0, the most recent Node.js runtime in
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Library_nodejs_puppeteer.html
 * (deprecated runtimes cannot create canaries:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Runtime_Support_Policy.html).
 * The script is a plain HTTPS check: a canary run passes when the handler resolves and fails when
 * it throws. Node.js canary code lives under nodejs/node_modules/ in the zip, the handler named
 * <file>.handler. https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_WritingCanary_Nodejs.html
 */
import { createHash } from "node:crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { strToU8, zipSync } from "fflate";
import { policyDocument as doc, serviceTrustPolicy, type PolicyDocument } from "../../lib/iam";

export const CANARY_RUNTIME = "syn-nodejs-puppeteer-15.0";
export const CANARY_SCHEDULE = "rate(1 minute)";
/** The metric namespace Synthetics publishes canary metrics to. */
export const SYNTHETICS_NAMESPACE = "CloudWatchSynthetics";
export const CANARY_FILE = "http-check";
export const CANARY_HANDLER = `${CANARY_FILE}.handler`;

/**
 * The canary script: one GET of TARGET_URL, failing on a non-2xx answer, an error or a timeout.
 * Plain Node.js (http or https by the URL's scheme), so that tests run it against a local server.
 */
export const CANARY_SOURCE = `"use strict";
const http = require("node:http");
const https = require("node:https");

function get(url, timeoutMs) {
  const client = new URL(url).protocol === "http:" ? http : https;
  return new Promise((resolve, reject) => {
    const request = client.get(url, { timeout: timeoutMs }, (response) => {
      response.resume();
      response.on("end", () => resolve(response.statusCode));
    });
    request.on("timeout", () => request.destroy(new Error("timed out after " + timeoutMs + " ms")));
    request.on("error", reject);
  });
}

exports.handler = async function handler() {
  const url = process.env.TARGET_URL;
  if (!url) throw new Error("TARGET_URL is not set");
  const timeoutMs = Number(process.env.TIMEOUT_MS || "10000");
  const status = await get(url, timeoutMs);
  if (!(status >= 200 && status < 300)) throw new Error(url + " answered " + status);
  return url + " answered " + status;
};
`;

/** Where the Node.js runtimes load a canary's handler file from inside its zip. */
export const CANARY_ZIP_PATH = `nodejs/node_modules/${CANARY_FILE}.js`;

/**
 * The canary's code as zip bytes, uploaded through `contentBase64`. Not an AssetArchive: the
 * provider declares BucketObjectv2's `source` a file asset (pulumi-aws provider/resources.go,
 * aws_s3_object "source": Kind FileAsset), and the bridge's TranslateArchive refuses any kind but
 * an archive one, so an archive there fails a real `up` while the mocks accept it.
 * The entry's timestamp is fixed (a local-time date, which is how ZIP stores it) so the bytes only
 * change with the script.
 */
export function canaryCodeZip(): Uint8Array {
  return zipSync(
    { [CANARY_ZIP_PATH]: [strToU8(CANARY_SOURCE), { mtime: new Date(1980, 0, 2) }] },
    { level: 9 },
  );
}

/** Content-addressed key: a new script is a new object, which the canaries pick up. */
export const canaryCodeKey = (): string =>
  `code/${createHash("sha256").update(CANARY_SOURCE).digest("hex").slice(0, 16)}.zip`;

/**
 * The canaries' execution role: write artifacts under canary/ of the bucket (encrypting with the
 * region key through S3), write the canaries' Lambda logs, publish CloudWatchSynthetics metrics,
 * read the environment encrypted with the key. After
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_CanaryPermissions.html
 */
export function canaryRolePolicy(s: {
  partition: string;
  region: string;
  accountId: string;
  bucketArn: string;
  kmsKeyArn: string;
}): PolicyDocument {
  return doc(
    {
      // AWS lists GetObject with PutObject on the results folder for every canary role.
      Sid: "WriteArtifacts",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject"],
      Resource: `${s.bucketArn}/canary/*`,
    },
    {
      Sid: "LocateArtifactsBucket",
      Effect: "Allow",
      Action: ["s3:GetBucketLocation"],
      Resource: s.bucketArn,
    },
    {
      Sid: "ListBucketsForArtifactUpload",
      Effect: "Allow",
      Action: ["s3:ListAllMyBuckets"],
      Resource: "*",
    },
    {
      Sid: "EncryptArtifactsThroughS3",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: s.kmsKeyArn,
      Condition: { StringEquals: { "kms:ViaService": `s3.${s.region}.amazonaws.com` } },
    },
    {
      Sid: "DecryptEnvironmentThroughLambda",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: s.kmsKeyArn,
      Condition: { StringEquals: { "kms:ViaService": `lambda.${s.region}.amazonaws.com` } },
    },
    {
      Sid: "CanaryLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: `arn:${s.partition}:logs:${s.region}:${s.accountId}:log-group:/aws/lambda/cwsyn-*`,
    },
    {
      Sid: "CanaryMetrics",
      Effect: "Allow",
      Action: ["cloudwatch:PutMetricData"],
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": SYNTHETICS_NAMESPACE } },
    },
  );
}

export interface CanaryTarget {
  /** "regional" or "global". */
  readonly key: string;
  readonly url: string;
}

/** The canaries of a region: its own name, and the global name as users there resolve it. */
export function canaryTargets(regionalName: string, globalName: string, path: string) {
  return [
    { key: "regional", url: `https://${regionalName}${path}` },
    { key: "global", url: `https://${globalName}${path}` },
  ] as const satisfies readonly CanaryTarget[];
}

/** Canary names: lower-case letters, digits, - and _, at most 255 characters. */
export const canaryName = (prefix: string, key: string): string =>
  `${prefix}-${key}`
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "-")
    .slice(0, 255);

export interface RegionCanariesArgs {
  region: string;
  /** Short prefix of the canary names, e.g. the region code. */
  namePrefix: string;
  regionalName: string;
  globalName: string;
  /** What the canaries request on each name, e.g. the health-check path. */
  path: string;
  kmsKeyArn: pulumi.Input<string>;
  alarmTopicArn: pulumi.Input<string>;
  /** @default 30 - days artifacts are kept */
  artifactRetentionDays?: number;
}

export class RegionCanaries extends pulumi.ComponentResource {
  /** Canary key -> the ARN of its failure alarm (FIS stop conditions). */
  public readonly alarmArns: Readonly<Record<string, pulumi.Output<string>>>;
  public readonly canaryNames: Readonly<Record<string, pulumi.Output<string>>>;

  constructor(name: string, args: RegionCanariesArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:region:Canaries", name, {}, opts);
    const parent = { parent: this };
    const partition = aws.getPartitionOutput({}, parent);
    const identity = aws.getCallerIdentityOutput({}, parent);
    const retention = args.artifactRetentionDays ?? 30;

    const bucket = new aws.s3.Bucket(
      `${name}-artifacts`,
      { forceDestroy: false },
      { ...parent, protect: true, retainOnDelete: true },
    );
    const settings = [
      new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-artifacts`,
        {
          bucket: bucket.id,
          rules: [
            {
              applyServerSideEncryptionByDefault: {
                sseAlgorithm: "aws:kms",
                kmsMasterKeyId: args.kmsKeyArn,
              },
              bucketKeyEnabled: true,
            },
          ],
        },
        parent,
      ),
      new aws.s3.BucketPublicAccessBlock(
        `${name}-artifacts`,
        {
          bucket: bucket.id,
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        },
        parent,
      ),
      new aws.s3.BucketOwnershipControls(
        `${name}-artifacts`,
        { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
        parent,
      ),
      new aws.s3.BucketLifecycleConfiguration(
        `${name}-artifacts`,
        {
          bucket: bucket.id,
          rules: [
            {
              id: "expire-artifacts",
              status: "Enabled",
              filter: { prefix: "canary/" },
              expiration: { days: retention },
            },
          ],
        },
        parent,
      ),
    ];
    new aws.s3.BucketPolicy(
      `${name}-artifacts`,
      {
        bucket: bucket.id,
        policy: pulumi.jsonStringify(
          doc({
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
        ),
      },
      { ...parent, dependsOn: settings },
    );

    const code = new aws.s3.BucketObjectv2(
      `${name}-code`,
      {
        bucket: bucket.id,
        key: canaryCodeKey(),
        contentBase64: Buffer.from(canaryCodeZip()).toString("base64"),
        kmsKeyId: args.kmsKeyArn,
        serverSideEncryption: "aws:kms",
      },
      { ...parent, dependsOn: settings },
    );

    const role = new aws.iam.Role(
      `${name}-canary`,
      { assumeRolePolicy: pulumi.jsonStringify(serviceTrustPolicy("lambda.amazonaws.com")) },
      parent,
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-canary`,
      {
        role: role.id,
        policy: pulumi.jsonStringify(
          pulumi
            .all([partition.partition, identity.accountId, bucket.arn, args.kmsKeyArn])
            .apply(([p, accountId, bucketArn, kmsKeyArn]) =>
              canaryRolePolicy({
                partition: p,
                region: args.region,
                accountId,
                bucketArn,
                kmsKeyArn,
              }),
            ),
        ),
      },
      parent,
    );

    const alarmArns: Record<string, pulumi.Output<string>> = {};
    const canaryNames: Record<string, pulumi.Output<string>> = {};
    for (const target of canaryTargets(args.regionalName, args.globalName, args.path)) {
      const canary = new aws.synthetics.Canary(
        `${name}-${target.key}`,
        {
          name: canaryName(args.namePrefix, target.key),
          runtimeVersion: CANARY_RUNTIME,
          handler: CANARY_HANDLER,
          executionRoleArn: role.arn,
          s3Bucket: bucket.bucket,
          s3Key: code.key,
          artifactS3Location: pulumi.interpolate`s3://${bucket.bucket}/canary/${target.key}/`,
          artifactConfig: {
            s3Encryption: { encryptionMode: "SSE_KMS", kmsKeyArn: args.kmsKeyArn },
          },
          kmsKeyArn: args.kmsKeyArn,
          schedule: { expression: CANARY_SCHEDULE },
          runConfig: {
            timeoutInSeconds: 30,
            environmentVariables: { TARGET_URL: target.url, TIMEOUT_MS: "10000" },
          },
          successRetentionPeriod: 7,
          failureRetentionPeriod: retention,
          startCanary: true,
          deleteLambda: true,
        },
        { ...parent, dependsOn: [rolePolicy, code] },
      );
      canaryNames[target.key] = canary.name;
      // Failing three minutes in a row: longer than a failover takes (health check 3 x 10 s,
      // then the 60 s TTL of alias answers), so a drill that fails over does not trip it.
      alarmArns[target.key] = new aws.cloudwatch.MetricAlarm(
        `${name}-${target.key}-failing`,
        {
          alarmDescription: `canary: ${target.url} failing from ${args.region}`,
          namespace: SYNTHETICS_NAMESPACE,
          metricName: "SuccessPercent",
          dimensions: { CanaryName: canary.name },
          statistic: "Average",
          period: 60,
          evaluationPeriods: 3,
          datapointsToAlarm: 3,
          threshold: 100,
          comparisonOperator: "LessThanThreshold",
          treatMissingData: "breaching",
          alarmActions: [args.alarmTopicArn],
          okActions: [args.alarmTopicArn],
        },
        parent,
      ).arn;
    }
    this.alarmArns = alarmArns;
    this.canaryNames = canaryNames;
    this.registerOutputs({ alarmArns, canaryNames });
  }
}

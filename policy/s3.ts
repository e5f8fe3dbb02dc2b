/**
 * S3 buckets encrypted with SSE-KMS under a customer-managed key. In @pulumi/aws v7 a bucket's
 * encryption is a separate resource (BucketServerSideEncryptionConfiguration) whose `bucket`
 * input names the bucket, so a bucket can only be judged against the whole stack: a stack policy,
 * which the engine runs over every resource of the stack (with dependencies), and the offline
 * evaluator runs the same way. The legacy inline `serverSideEncryptionConfiguration` is accepted.
 */
import type { PolicyResource } from "@pulumi/policy";
import type { StackFinding, StackPolicy } from "./types";
import { Unknown, at, isCustomerKey, keyProblem, list } from "./values";

export const BUCKET_TYPES: readonly string[] = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
export const SSE_CONFIG_TYPES: readonly string[] = [
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
];

const KMS_ALGORITHMS: ReadonlySet<string> = new Set(["aws:kms", "aws:kms:dsse"]);

/**
 * Why an encryption configuration (a config resource's props, or a bucket's inline block) is not
 * SSE-KMS with a customer-managed key; `undefined` when it is or cannot be known yet.
 */
function encryptionProblem(config: unknown, where: string): string | undefined {
  const rules = [list(config, "rules"), list(config, "rule")];
  if (rules.includes(Unknown)) return undefined;
  const all = rules.flatMap((r) => (r === Unknown ? [] : r));
  if (all.includes(Unknown)) return undefined;
  if (all.length === 0) return `${where} has no rule`;
  let problem = `${where} has no applyServerSideEncryptionByDefault`;
  for (const rule of all) {
    const defaults = at(rule, "applyServerSideEncryptionByDefault");
    if (defaults === Unknown) return undefined;
    if (defaults === undefined || defaults === null) continue;
    const algorithm = at(defaults, "sseAlgorithm");
    const key = at(defaults, "kmsMasterKeyId");
    if (algorithm !== Unknown && !KMS_ALGORITHMS.has(String(algorithm))) {
      problem = `${where} uses sseAlgorithm ${JSON.stringify(algorithm ?? "none")} (SSE-S3)`;
    } else if (!isCustomerKey(key)) {
      problem = `${where}: ${keyProblem("kmsMasterKeyId", key)} (the AWS-managed aws/s3 key is used)`;
    } else {
      return undefined;
    }
  }
  return problem;
}

/** The inline configuration of a bucket: v7 `serverSideEncryptionConfiguration`, v6 plural. */
function inlineConfigs(bucket: PolicyResource): unknown[] | Unknown {
  const single = at(bucket.props, "serverSideEncryptionConfiguration");
  const plural = list(bucket.props, "serverSideEncryptionConfigurations");
  if (single === Unknown || plural === Unknown) return Unknown;
  return [...(single === undefined || single === null ? [] : [single]), ...plural];
}

/** The names a config resource's `bucket` input may use for a bucket. */
function bucketKeys(bucket: PolicyResource): string[] {
  const keys = [bucket.urn, bucket.name];
  for (const property of ["bucket", "id", "arn"]) {
    const value = at(bucket.props, property);
    if (typeof value === "string" && value !== "") keys.push(value);
  }
  return keys;
}

function matchBuckets(
  config: PolicyResource,
  byKey: ReadonlyMap<string, PolicyResource[]>,
  buckets: readonly PolicyResource[],
): PolicyResource[] {
  const target = at(config.props, "bucket");
  if (typeof target === "string") {
    const direct = byKey.get(target) ?? byKey.get(target.replace(/^arn:[^:]+:s3:::/, ""));
    if (direct !== undefined) return direct;
  }
  // Through the engine the `bucket` input of a new bucket's configuration is unknown during
  // preview; the property's dependency still names the bucket resource.
  const viaDependency = (config.propertyDependencies?.["bucket"] ?? []).filter((r) =>
    BUCKET_TYPES.includes(r.type),
  );
  if (viaDependency.length > 0) return viaDependency;
  if (target !== Unknown) return [];
  const dependencies = (config.dependencies ?? []).filter((r) => BUCKET_TYPES.includes(r.type));
  if (dependencies.length > 0) return dependencies;
  // Last resort without dependency data: the naming convention `${bucket}-...`.
  return buckets.filter((b) => config.name.startsWith(`${b.name}-`));
}

export const s3BucketCmk: StackPolicy = {
  kind: "stack",
  name: "s3-bucket-cmk",
  domain: "kms",
  description: "S3 buckets are encrypted with SSE-KMS under a customer-managed KMS key.",
  message:
    'Add an aws.s3.BucketServerSideEncryptionConfiguration for the bucket with rules [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: <CMK ARN> }, bucketKeyEnabled: true }]',
  types: [...BUCKET_TYPES, ...SSE_CONFIG_TYPES],
  check(resources) {
    const buckets = resources.filter((r) => BUCKET_TYPES.includes(r.type));
    const configs = resources.filter((r) => SSE_CONFIG_TYPES.includes(r.type));
    const byKey = new Map<string, PolicyResource[]>();
    for (const bucket of buckets) {
      for (const key of bucketKeys(bucket)) {
        const entry = byKey.get(key) ?? [];
        if (!entry.includes(bucket)) entry.push(bucket);
        byKey.set(key, entry);
      }
    }
    const configsOf = new Map<PolicyResource, PolicyResource[]>();
    const findings: StackFinding[] = [];
    for (const config of configs) {
      const matched = matchBuckets(config, byKey, buckets);
      for (const bucket of matched)
        configsOf.set(bucket, [...(configsOf.get(bucket) ?? []), config]);
      if (matched.length === 0) {
        // Its bucket is not in this stack (or not recognisable): judge the configuration itself.
        const problem = encryptionProblem(config.props, "the encryption configuration");
        if (problem !== undefined) findings.push({ urn: config.urn, detail: problem });
      }
    }
    for (const bucket of buckets) {
      const siblings = configsOf.get(bucket) ?? [];
      const problems: string[] = [];
      if (siblings.length > 0) {
        for (const config of siblings) {
          const problem = encryptionProblem(
            config.props,
            `encryption configuration ${config.name}`,
          );
          if (problem !== undefined) problems.push(problem);
        }
      } else {
        const inline = inlineConfigs(bucket);
        if (inline === Unknown) continue;
        if (inline.length === 0) {
          problems.push(
            "no SSE-KMS configuration for the bucket in the stack (no BucketServerSideEncryptionConfiguration names it, no inline serverSideEncryptionConfiguration)",
          );
        }
        for (const config of inline) {
          const problem = encryptionProblem(config, "serverSideEncryptionConfiguration");
          if (problem !== undefined) problems.push(problem);
        }
      }
      if (problems.length > 0) findings.push({ urn: bucket.urn, detail: problems.join("; ") });
    }
    return findings;
  },
};

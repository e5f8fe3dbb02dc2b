/**
 * The pack's configuration: an enforcement level for `all` and per policy (mandatory unless
 * configured), and exemptions scoped to a policy and to resources by URN or name pattern, each
 * with a required reason. Parsed by a zod schema whose errors name the key, the value and what is
 * allowed.
 */
import { z } from "zod";
import { POLICY_NAMES } from "./policies";
import { globToRegExp } from "./values";
import type { EnforcementLevel } from "./types";

export const ENFORCEMENT_LEVELS = ["advisory", "mandatory", "remediate", "disabled"] as const;

/** Used when neither `all` nor the policy's own level is configured. */
export const DEFAULT_ENFORCEMENT: EnforcementLevel = "mandatory";

const exemptionSchema = z
  .object({
    policy: z.string().refine((p) => POLICY_NAMES.includes(p), {
      message: `must be one of the pack's policies: ${POLICY_NAMES.join(", ")}`,
    }),
    urn: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
    reason: z.string({ error: "an exemption needs a reason" }).trim().min(1, {
      message: "an exemption needs a reason",
    }),
  })
  .strict()
  .refine((e) => e.urn !== undefined || e.name !== undefined, {
    message:
      "an exemption names the resources it covers: urn or name (a pattern, * matches anything)",
  });

export const policyPackConfigSchema = z
  .object({
    enforcement: z
      .record(
        z.string().refine((k) => k === "all" || POLICY_NAMES.includes(k), {
          message: `must be "all" or one of the pack's policies: ${POLICY_NAMES.join(", ")}`,
        }),
        z.enum(ENFORCEMENT_LEVELS),
      )
      .default({}),
    exemptions: z.array(exemptionSchema).default([]),
  })
  .strict();

export type PolicyPackConfig = z.output<typeof policyPackConfigSchema>;
export type PolicyExemption = PolicyPackConfig["exemptions"][number];

/**
 * AWS requires SSE-S3 on the bucket that receives ALB access logs: the log delivery service
 * cannot use a customer-managed key
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html).
 */
export const ALB_LOGS_EXEMPTION: PolicyExemption = {
  policy: "s3-bucket-cmk",
  name: "*-alb-logs*",
  reason:
    "ALB access-log delivery supports only SSE-S3 (AES256) on the destination bucket, not SSE-KMS",
};

/**
 * Policies that flag what deploys but would not work, rather than what is unsafe: advisory unless
 * configured (a queue without a consumer is reported in the plan, and does not block a deploy).
 */
export const ADVISORY_BY_DEFAULT: readonly string[] = ["sqs-queue-has-consumer"];

export const DEFAULT_POLICY_CONFIG: PolicyPackConfig = {
  enforcement: {
    all: DEFAULT_ENFORCEMENT,
    ...Object.fromEntries(ADVISORY_BY_DEFAULT.map((p) => [p, "advisory" as const])),
  },
  exemptions: [ALB_LOGS_EXEMPTION],
};

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/**
 * Parses a configuration (from YAML or JSON) and lays it over the defaults: its enforcement
 * levels override the default ones, its exemptions are added to the default ones (the ALB log
 * bucket's is an AWS constraint, not a choice). Throws naming the key, the value and what is
 * allowed.
 */
export function parsePolicyConfig(raw: unknown): PolicyPackConfig {
  const parsed = policyPackConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = issue.path.length > 0 ? issue.path.join(".") : "(root)";
      const keyPath = issue.code === "invalid_key" ? issue.path : issue.path;
      return `${key}: ${issue.message} (got ${describe(valueAt(raw, keyPath))})`;
    });
    throw new Error(`invalid policy config:\n  ${lines.join("\n  ")}`);
  }
  return {
    enforcement: { ...DEFAULT_POLICY_CONFIG.enforcement, ...parsed.data.enforcement },
    exemptions: [...DEFAULT_POLICY_CONFIG.exemptions, ...parsed.data.exemptions],
  };
}

export function enforcementFor(config: PolicyPackConfig, policy: string): EnforcementLevel {
  return config.enforcement[policy] ?? config.enforcement["all"] ?? DEFAULT_ENFORCEMENT;
}

/** A resource's Pulumi name: the last segment of its URN. */
export function nameFromUrn(urn: string): string {
  const at = urn.lastIndexOf("::");
  return at === -1 ? urn : urn.slice(at + 2);
}

const patterns = new Map<string, RegExp>();
function matches(pattern: string | undefined, value: string): boolean {
  if (pattern === undefined) return true;
  let regex = patterns.get(pattern);
  if (regex === undefined) {
    regex = globToRegExp(pattern);
    patterns.set(pattern, regex);
  }
  return regex.test(value);
}

/** The first exemption that covers `policy` on the resource, if any (urn and name both match). */
export function exemptionFor(
  config: PolicyPackConfig,
  policy: string,
  urn: string,
  name: string = nameFromUrn(urn),
): PolicyExemption | undefined {
  return config.exemptions.find(
    (e) => e.policy === policy && matches(e.urn, urn) && matches(e.name, name),
  );
}

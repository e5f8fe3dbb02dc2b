/**
 * The shape of one platform policy: a typed constant with a kebab-case name, a description and
 * a message that says how to fix a violation. The constants are plain data plus a pure check, so
 * they can be imported (by the offline plan, the CLI, tests) without constructing the pack.
 */
import type {
  EnforcementLevel,
  PolicyResource,
  ResourceValidationArgs,
  StackValidationArgs,
} from "@pulumi/policy";

export type { EnforcementLevel };

export const DOMAINS = ["kms", "iam", "operations"] as const;
export type Domain = (typeof DOMAINS)[number];

interface PolicyBase {
  /** kebab-case, unique in the pack; the key of its enforcement level and its exemptions. */
  readonly name: string;
  readonly domain: Domain;
  readonly description: string;
  /** How to fix a violation; every violation's message ends with it. */
  readonly message: string;
}

/** Judges one resource at a time; returns one detail per way the resource fails. */
export interface ResourcePolicy extends PolicyBase {
  readonly kind: "resource";
  /** The resource types it applies to (exact type tokens). */
  readonly types: readonly string[];
  check(args: ResourceValidationArgs): readonly string[];
}

/** A violation found by a stack policy, on the resource it names. */
export interface StackFinding {
  readonly urn: string;
  readonly detail: string;
}

/**
 * Judges the stack as a whole: for what one resource cannot tell alone (an S3 bucket and the
 * separate resource that holds its encryption configuration).
 */
export interface StackPolicy extends PolicyBase {
  readonly kind: "stack";
  readonly types: readonly string[];
  check(resources: readonly PolicyResource[], args: StackValidationArgs): readonly StackFinding[];
}

export type PlatformPolicy = ResourcePolicy | StackPolicy;

/** The violation message: what is wrong, then how to fix it. */
export function violationMessage(policy: PlatformPolicy, detail: string): string {
  return `${detail}. ${policy.message}`;
}

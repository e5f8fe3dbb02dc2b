/**
 * The platform policies as CrossGuard policies: enforcement levels from the configuration, and
 * exemptions applied before a violation is reported. `index.ts` hands these to `new PolicyPack`
 * for the engine; `offline.ts` drives the very same objects the way the engine does.
 */
import type {
  Policies,
  ReportViolation,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { enforcementFor, exemptionFor, type PolicyPackConfig } from "./config";
import { ALL_POLICIES } from "./policies";
import { violationMessage, type PlatformPolicy } from "./types";

export interface ExemptionUse {
  readonly policy: string;
  readonly urn: string;
  readonly reason: string;
}

export interface PackHooks {
  /** Called for each violation an exemption suppressed. */
  onExemption?(use: ExemptionUse): void;
}

export function toCrossGuardPolicy(
  policy: PlatformPolicy,
  config: PolicyPackConfig,
  hooks: PackHooks = {},
): ResourceValidationPolicy | StackValidationPolicy {
  const types = new Set(policy.types);
  const report = (reportViolation: ReportViolation, urn: string, details: readonly string[]) => {
    const exemption = exemptionFor(config, policy.name, urn);
    if (exemption !== undefined) {
      hooks.onExemption?.({ policy: policy.name, urn, reason: exemption.reason });
      return;
    }
    reportViolation(violationMessage(policy, details.join("; ")), urn);
  };
  const base = {
    name: policy.name,
    description: policy.description,
    enforcementLevel: enforcementFor(config, policy.name),
  };
  switch (policy.kind) {
    case "resource":
      return {
        ...base,
        validateResource: (args, reportViolation) => {
          if (!types.has(args.type)) return;
          const details = policy.check(args);
          if (details.length > 0) report(reportViolation, args.urn, details);
        },
      };
    case "stack":
      return {
        ...base,
        validateStack: (args, reportViolation) => {
          const findings = policy.check(args.resources, args);
          const byUrn = new Map<string, string[]>();
          for (const f of findings) byUrn.set(f.urn, [...(byUrn.get(f.urn) ?? []), f.detail]);
          for (const [urn, details] of byUrn) report(reportViolation, urn, details);
        },
      };
    default: {
      const never: never = policy;
      throw new Error(`unknown policy kind: ${JSON.stringify(never)}`);
    }
  }
}

export function crossGuardPolicies(config: PolicyPackConfig, hooks: PackHooks = {}): Policies {
  return ALL_POLICIES.map((p) => toCrossGuardPolicy(p, config, hooks));
}

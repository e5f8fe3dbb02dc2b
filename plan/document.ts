/**
 * Plan documents shaped like `pulumi preview --json`: one per stack, with `steps[]` whose
 * `newState` holds what the engine would record, plus the stack's outputs, the policy violations
 * and the policy exemptions that were applied (each with its reason).
 */
import type { DocumentFigures } from "./figures";
import type { PolicyViolation, RecordedResource } from "./record";

export interface PreviewStep {
  readonly op: "create" | "read";
  readonly urn: string;
  readonly provider?: string;
  readonly newState: {
    readonly urn: string;
    readonly type: string;
    readonly custom: boolean;
    readonly id?: string;
    readonly parent?: string;
    readonly provider?: string;
    readonly protect?: boolean;
    readonly retainOnDelete?: boolean;
    readonly dependencies?: readonly string[];
    readonly inputs: Record<string, unknown>;
    readonly outputs?: Record<string, unknown>;
  };
}

export interface PlanDocument {
  readonly stack: string;
  readonly steps: readonly PreviewStep[];
  readonly outputs: Record<string, unknown>;
  readonly violations: readonly PolicyViolation[];
  readonly exemptions: ReadonlyArray<{ policy: string; urn: string; reason: string }>;
  readonly changeSummary: Record<string, number>;
  /** Failover, data and capacity figures, each with its source (plan/figures.ts). */
  readonly figures?: DocumentFigures;
}

/** Omits empty values the way the engine's JSON does (`omitempty`). */
function present<T>(value: T): T | undefined {
  if (value === "" || value === false) return undefined;
  if (Array.isArray(value) && value.length === 0) return undefined;
  return value;
}

export function toStep(r: RecordedResource): PreviewStep {
  return {
    op: r.op,
    urn: r.urn,
    provider: present(r.provider),
    newState: {
      urn: r.urn,
      type: r.type,
      custom: r.custom,
      id: present(r.id),
      parent: present(r.parent),
      provider: present(r.provider),
      protect: present(r.protect),
      retainOnDelete: present(r.retainOnDelete),
      dependencies: present(r.dependencies),
      inputs: r.inputs,
      outputs: r.outputs,
    },
  };
}

export function toPlanDocument(
  stack: string,
  records: readonly RecordedResource[],
  outputs: Record<string, unknown>,
  violations: readonly PolicyViolation[],
  exemptions: PlanDocument["exemptions"] = [],
): PlanDocument {
  const changeSummary: Record<string, number> = {};
  for (const r of records) changeSummary[r.op] = (changeSummary[r.op] ?? 0) + 1;
  return { stack, steps: records.map(toStep), outputs, violations, exemptions, changeSummary };
}

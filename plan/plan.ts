/**
 * The offline plan: every stack of the project evaluated under the mock monitor, the global
 * stack first, each region stack with its StackReference answered by the global stack's
 * recorded outputs, then the policy pack over every recorded resource.
 */
import { loadProject, whatIfProject, type ProjectStacks } from "../lib/config/project";
import type { AwsRegion } from "../lib/regions";
import { toPlanDocument, type PlanDocument } from "./document";
import { evaluateStack, StackProgramError, type Program } from "./evaluate";
import { RecordingMonitor } from "./monitor";
import type { PolicyViolation, RecordedResource } from "./record";
import { engineView } from "./remote";

export interface PolicyReport {
  readonly violations: PolicyViolation[];
  readonly exemptions: ReadonlyArray<{ policy: string; urn: string; reason: string }>;
}

/** Checks the recorded resources of one stack; the policy pack's offline evaluator. */
export type PolicyCheck = (resources: readonly RecordedResource[]) => PolicyReport;

export interface PlanOptions {
  /** The project directory (Pulumi.yaml and the stack files). */
  readonly dir: string;
  readonly program: Program;
  /** A what-if region set instead of the stack files' one. */
  readonly regions?: readonly AwsRegion[];
  /** Only this stack (a region stack still gets the global stack's outputs). */
  readonly stack?: string;
  readonly policies?: PolicyCheck;
}

export interface StackPlan {
  readonly stack: string;
  readonly kind: "global" | "region";
  /** What the program registered, remote components with the arguments it gave them. */
  readonly records: readonly RecordedResource[];
  /**
   * What the engine analyzes and records (plan/remote): remote components with empty inputs,
   * followed by their children. The policies run on this, and the document shows it.
   */
  readonly analyzed: readonly RecordedResource[];
  readonly document: PlanDocument;
}

export interface PlanResult {
  readonly project: ProjectStacks;
  readonly stacks: readonly StackPlan[];
}

export async function runPlan(opts: PlanOptions): Promise<PlanResult> {
  const base = loadProject(opts.dir);
  const project = opts.regions ? whatIfProject(base, opts.regions) : base;
  const names = [project.global.stack, ...project.regions.map((r) => r.stack)];
  if (opts.stack !== undefined && !names.includes(opts.stack)) {
    throw new Error(`no stack "${opts.stack}" in this plan; stacks: ${names.join(", ")}`);
  }

  const stackOutputs = new Map<string, Record<string, unknown>>();
  const monitor = new RecordingMonitor(stackOutputs);
  const stacks: StackPlan[] = [];
  const plan = async (
    stack: string,
    kind: StackPlan["kind"],
    flat: Record<string, string>,
    region: string,
  ) => {
    const evaluation = await evaluateStack({
      monitor,
      stack,
      config: flat,
      region,
      program: opts.program,
    });
    stackOutputs.set(stack, evaluation.outputs);
    if (opts.stack !== undefined && opts.stack !== stack) return;
    let analyzed: RecordedResource[];
    try {
      analyzed = engineView(evaluation.records);
    } catch (e) {
      throw new StackProgramError(stack, e);
    }
    const report = opts.policies?.(analyzed) ?? { violations: [], exemptions: [] };
    stacks.push({
      stack,
      kind,
      records: evaluation.records,
      analyzed,
      document: toPlanDocument(
        stack,
        analyzed,
        evaluation.outputs,
        report.violations,
        report.exemptions,
      ),
    });
  };

  // The global stack is always evaluated: every region stack reads its outputs.
  await plan(project.global.stack, "global", project.global.flat, project.global.config.region);
  for (const r of project.regions) {
    if (opts.stack === undefined || opts.stack === r.stack)
      await plan(r.stack, "region", r.flat, r.config.region);
  }
  return { project, stacks };
}

/** The mandatory violations of a plan; any one of them fails it. */
export function mandatoryViolations(result: PlanResult): PolicyViolation[] {
  return result.stacks.flatMap((s) =>
    s.document.violations.filter((v) => v.enforcementLevel === "mandatory"),
  );
}

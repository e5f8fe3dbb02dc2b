/**
 * The offline plan: every stack of the project evaluated under the mock monitor, the global
 * stack first, each region stack with its StackReference answered by the global stack's
 * recorded outputs, then the policy pack over every recorded resource.
 */
import { loadProject, whatIfProject, type ProjectStacks } from "../lib/config/project";
import type { AwsRegion } from "../lib/regions";
import { toPlanDocument, type PlanDocument } from "./document";
import { evaluateStack, StackProgramError, type Program } from "./evaluate";
import { planFigures } from "./figures";
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
  /** The home region of the what-if set, when it leaves out the current one. */
  readonly home?: AwsRegion;
  /** Only this stack (a region stack still gets the global stack's outputs). */
  readonly stack?: string;
  readonly policies?: PolicyCheck;
  /** Called before each reported stack is evaluated (progress for callers such as the portal). */
  readonly onStackStart?: (stack: string, kind: StackPlan["kind"]) => void;
  /** Called with each reported stack's plan as soon as it is done. */
  readonly onStackPlanned?: (plan: StackPlan) => void;
}

export interface StackPlan {
  readonly stack: string;
  readonly kind: "global" | "region";
  /** The stack's `aws:region`. */
  readonly region: string;
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
  const project = opts.regions ? whatIfProject(base, opts.regions, opts.home) : base;
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
    const reported = opts.stack === undefined || opts.stack === stack;
    if (reported) opts.onStackStart?.(stack, kind);
    const evaluation = await evaluateStack({
      monitor,
      stack,
      config: flat,
      region,
      program: opts.program,
    });
    stackOutputs.set(stack, evaluation.outputs);
    if (!reported) return;
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
      region,
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
    opts.onStackPlanned?.(stacks[stacks.length - 1]);
  };

  // The global stack is always evaluated: every region stack reads its outputs.
  await plan(project.global.stack, "global", project.global.flat, project.global.config.region);
  for (const r of project.regions) {
    if (opts.stack === undefined || opts.stack === r.stack)
      await plan(r.stack, "region", r.flat, r.config.region);
  }
  const figures = planFigures(stacks);
  return {
    project,
    stacks: stacks.map((s) => ({
      ...s,
      document: { ...s.document, figures: figures.get(s.stack) },
    })),
  };
}

/** The mandatory violations of a plan; any one of them fails it. */
export function mandatoryViolations(result: PlanResult): PolicyViolation[] {
  return result.stacks.flatMap((s) =>
    s.document.violations.filter((v) => v.enforcementLevel === "mandatory"),
  );
}

/**
 * The offline plan in a process of its own, for the portal's `plan` runs:
 *
 *   node --import tsx portal/plan-worker.ts <projectDir> [stack,...]
 *
 * prints one JSON line per event (`stack-started`, then `stack-planned` with the stack's summary)
 * on stdout; exits 0 when done, 2 with the reason on stderr when the plan cannot be made.
 *
 * A process per run because the Pulumi SDK keeps its runtime (settings, mocks, the resource
 * monitor) in process-wide state: two plans in one process would see each other's resources,
 * and killing the process is a clean cancel.
 */
import { runPlan, type StackPlan } from "../plan/plan";
import { evaluateResources } from "../policy/offline";
import { runProgram } from "../programs";
import type { PlannedStack } from "./types";

export type WorkerLine =
  | { readonly type: "stack-started"; readonly stack: string }
  | { readonly type: "stack-planned"; readonly plan: PlannedStack };

export function summarise(plan: StackPlan): PlannedStack {
  const changes: Record<string, number> = {};
  for (const r of plan.records) changes[r.op] = (changes[r.op] ?? 0) + 1;
  return {
    stack: plan.stack,
    resources: plan.records.length,
    changes,
    violations: plan.document.violations.map((v) => ({
      policy: v.policy,
      urn: v.urn,
      enforcementLevel: v.enforcementLevel,
      message: v.message,
    })),
    exemptions: plan.document.exemptions.length,
  };
}

async function main(argv: readonly string[]): Promise<void> {
  const [projectDir, list] = argv;
  const selection = (list ?? "").split(",").filter((s) => s.length > 0);
  // Same reason as tools/plan.ts: the SDK's per-promise stack traces dominate the run time.
  Error.stackTraceLimit = 0;
  const wanted = (stack: string) => selection.length === 0 || selection.includes(stack);
  const write = (line: WorkerLine) => process.stdout.write(`${JSON.stringify(line)}\n`);
  await runPlan({
    dir: projectDir,
    program: runProgram,
    stack: selection.length === 1 ? selection[0] : undefined,
    policies: (resources) => evaluateResources(resources),
    onStackStart: (stack) => {
      if (wanted(stack)) write({ type: "stack-started", stack });
    },
    onStackPlanned: (plan) => {
      if (wanted(plan.stack)) write({ type: "stack-planned", plan: summarise(plan) });
    },
  });
}

if (require.main === module) {
  process.on("disconnect", () => process.exit(1));
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(2);
    },
  );
}

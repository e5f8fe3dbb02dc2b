/**
 * The offline plan of the project's own stack files, judged by the whole policy pack: what the
 * acceptance, engine-view and queue tests read. Kept apart from fixtures.ts so that component
 * tests do not load every program.
 */
import { runPlan, type PlanResult } from "../plan/plan";
import { evaluateResources } from "../policy/offline";
import { runProgram } from "../programs";
import { PROJECT_DIR } from "./fixtures";

export function planProjectWithPack(): Promise<PlanResult> {
  return runPlan({
    dir: PROJECT_DIR,
    program: runProgram,
    policies: (resources) => evaluateResources(resources),
  });
}

/**
 * The orchestration figure for `npm run bench`.
 *
 * Definition: one global stack and `regions` region stacks, every stack taking `stackMillis`
 * through the in-memory stand-in (`MemoryStackOperations`), run as `up` with the regions in
 * ONE parallel wave (canary off, no limit on parallelism). Then
 *
 *   ratio = totalMs / (2 * stackMillis)
 *
 * i.e. the measured time of the whole run over the ideal time of "global, then one region".
 * A perfectly parallel wave gives 1.0 whatever the number of regions (the excess is
 * orchestration and timer overhead); running the regions one by one would give
 * (1 + regions) / 2. With the default canary wave (`canary = 1`) the ideal is
 * 3 * stackMillis, so the figure is ~1.5: that is the price of the canary, not of the
 * orchestration.
 */
import { MemoryStackOperations } from "./memory";
import { runWaves } from "./orchestrator";
import type { StackTarget } from "./types";
import { planWaves, type ProjectTargets } from "./waves";

/** A synthetic project: one global stack and `count` region stacks (`region-1` ...). */
export function syntheticTargets(count: number): ProjectTargets {
  const regions = Array.from({ length: count }, (_, i): StackTarget => ({
    stack: `region-${i + 1}`,
    role: "region",
    region: `region-${i + 1}`,
  }));
  return { global: { stack: "global", role: "global", region: "region-1" }, regions };
}

export async function orchestrationFigure(
  regions = 8,
  stackMillis = 50,
  canary = 0,
): Promise<{ regions: number; totalMs: number; ratio: number }> {
  const waves = planWaves(syntheticTargets(regions), "up", undefined, { canary });
  // A warm-up run, so that module loading and JIT compilation are not counted as orchestration.
  await runWaves(new MemoryStackOperations(), "up", waves);
  const operations = new MemoryStackOperations({ durationMs: stackMillis });
  const start = performance.now();
  const result = await runWaves(operations, "up", waves);
  const totalMs = performance.now() - start;
  if (!result.ok) throw new Error("the in-memory stand-in failed a stack; the figure is void");
  return { regions, totalMs, ratio: totalMs / (2 * stackMillis) };
}

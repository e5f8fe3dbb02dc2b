/**
 * Runs an operation over planned waves through a `StackOperations`: the stacks of a wave in
 * parallel, the waves one after the other. Knows nothing about Pulumi.
 *
 * Failure rules:
 * - a failed stack never rolls back the stacks that succeeded, and the other stacks of its wave
 *   are left to finish (stopping an update half-way leaves pending operations, which is worse);
 * - `onFailure: "stop"` (default) skips every later wave; `"continue"` keeps running later
 *   region waves, but never crosses the global/region boundary after a failure, because the
 *   stacks on the other side depend on (up) or are depended on by (destroy) the failed ones;
 * - running the same operation again converges: every stack operation is idempotent.
 */
import { setMaxListeners } from "node:events";
import type { Wave } from "./waves";
import type {
  Operation,
  PlatformEvent,
  RunResult,
  StackOperations,
  StackResult,
  StackTarget,
} from "./types";

export const FAILURE_POLICIES = ["stop", "continue"] as const;
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];

export interface RunOptions {
  /** Aborts the running stacks (gracefully) and cancels the waves not started. */
  readonly signal?: AbortSignal;
  /** Receives every event, synchronously, in order. It must not throw. */
  readonly onEvent?: (event: PlatformEvent) => void;
  /** @default stop - a failed stack skips every later wave */
  readonly onFailure?: FailurePolicy;
  /** Clock for durations. @default performance.now */
  readonly now?: () => number;
}

/** The message of anything thrown, on one line when it is long and multi-line. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return typeof e === "string" ? e : JSON.stringify(e);
}

/** The result with the error object attached as a non-enumerable `cause` (kept out of JSON). */
function withCause(result: StackResult, cause: unknown): StackResult {
  return Object.defineProperty(result, "cause", { value: cause, enumerable: false });
}

export async function runWaves(
  operations: StackOperations,
  operation: Operation,
  waves: readonly Wave[],
  options: RunOptions = {},
): Promise<RunResult> {
  const now = options.now ?? (() => performance.now());
  // One listener on the caller's signal, relayed to a run-wide signal: every stack of a wave
  // (and every CLI process under it) listens to that one, more than Node's default of 10.
  const relay = new AbortController();
  setMaxListeners(0, relay.signal);
  const forward = () => relay.abort(options.signal?.reason);
  if (options.signal?.aborted) forward();
  else options.signal?.addEventListener("abort", forward, { once: true });
  const signal = relay.signal;
  const emit = options.onEvent ?? (() => undefined);
  const policy = options.onFailure ?? "stop";
  const started = now();
  const results: StackResult[] = [];
  const failedTiers = new Set<Wave["tier"]>();
  let firstFailure: string | undefined;

  const notRun = (target: StackTarget, wave: number, status: "skipped" | "cancelled") => {
    const result: StackResult = {
      stack: target.stack,
      role: target.role,
      operation,
      status,
      wave,
      changes: {},
      outputs: {},
      durationMs: 0,
      error:
        status === "cancelled"
          ? "cancelled before it started"
          : `not started: ${firstFailure ?? "an earlier wave failed"}`,
    };
    emit({ type: "stack-finished", stack: target.stack, result });
    return result;
  };

  const runOne = async (target: StackTarget, wave: number): Promise<StackResult> => {
    emit({ type: "stack-started", stack: target.stack, role: target.role, operation, wave });
    const begin = now();
    const base = { stack: target.stack, role: target.role, operation, wave };
    let result: StackResult;
    try {
      const outcome = await operations.run(target, operation, signal, emit);
      result = {
        ...base,
        status: "succeeded",
        changes: outcome.changes,
        outputs: outcome.outputs,
        durationMs: now() - begin,
      };
    } catch (e) {
      result = withCause(
        {
          ...base,
          status: signal.aborted ? "cancelled" : "failed",
          changes: {},
          outputs: {},
          durationMs: now() - begin,
          error: errorMessage(e),
          ...(e instanceof Error ? { errorName: e.name } : {}),
        },
        e,
      );
    }
    emit({ type: "stack-finished", stack: target.stack, result });
    return result;
  };

  emit({ type: "run-started", operation, waves: waves.map((w) => w.stacks.map((t) => t.stack)) });
  for (const [index, wave] of waves.entries()) {
    const blocked =
      failedTiers.size > 0 &&
      (policy === "stop" || [...failedTiers].some((tier) => tier !== wave.tier));
    if (signal.aborted || blocked) {
      const status = signal.aborted ? "cancelled" : "skipped";
      results.push(...wave.stacks.map((t) => notRun(t, index, status)));
      continue;
    }
    emit({ type: "wave-started", wave: index, stacks: wave.stacks.map((t) => t.stack) });
    const done = await Promise.all(wave.stacks.map((t) => runOne(t, index)));
    results.push(...done);
    const failed = done.filter((r) => r.status === "failed");
    if (failed.length > 0) {
      failedTiers.add(wave.tier);
      firstFailure ??= `stack ${failed.map((r) => `"${r.stack}"`).join(", ")} failed in wave ${index}`;
    }
  }
  options.signal?.removeEventListener("abort", forward);
  const result: RunResult = {
    operation,
    ok: results.every((r) => r.status === "succeeded"),
    waves: waves.map((w) => w.stacks.map((t) => t.stack)),
    stacks: results,
    durationMs: now() - started,
  };
  emit({ type: "run-finished", result });
  return result;
}

/**
 * Evaluates one stack's program under the recording mock monitor, exactly as the engine would
 * run it (root Stack resource, config from the stack's settings), and waits until every
 * registration has been answered.
 */
import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../lib/config/schema";
import type { RecordingMonitor } from "./monitor";
import { plainValue, type RecordedResource } from "./record";

export type Program = () => Promise<Record<string, unknown> | undefined>;

export interface StackEvaluation {
  readonly stack: string;
  readonly records: readonly RecordedResource[];
  readonly outputs: Record<string, unknown>;
}

/** An error in a stack's program, carrying the stack's name. */
export class StackProgramError extends Error {
  constructor(
    readonly stack: string,
    readonly cause: unknown,
  ) {
    super(`stack "${stack}": ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "StackProgramError";
  }
}

export interface EvaluateOptions {
  readonly monitor: RecordingMonitor;
  readonly stack: string;
  /** The stack's settings as the engine hands them over: `ns:key` -> string. */
  readonly config: Record<string, string>;
  /** The default provider's region (`aws:region`). */
  readonly region: string;
  readonly program: Program;
  /** @default true - evaluate as `pulumi preview` does */
  readonly preview?: boolean;
}

export async function evaluateStack(opts: EvaluateOptions): Promise<StackEvaluation> {
  const failures: unknown[] = [];
  // An error thrown inside an apply() is not returned to the program; the engine would fail
  // the update, so the plan fails the stack too, and stops waiting for what depends on the
  // failed value (a resource whose input failed is never registered, so its dependents would
  // wait forever).
  let failInApply: (reason: unknown) => void = () => undefined;
  const failedInApply = new Promise<never>((_, reject) => {
    failInApply = reject;
  });
  failedInApply.catch(() => undefined);
  const onRejection = (reason: unknown) => {
    failures.push(reason);
    failInApply(reason);
  };
  process.on("unhandledRejection", onRejection);
  let outputs: Record<string, unknown> | undefined;
  let aborted: Promise<never> = new Promise<never>(() => undefined);
  try {
    pulumi.runtime.setMockOptions(opts.monitor, PROJECT, opts.stack, opts.preview ?? true);
    pulumi.runtime.setAllConfig(opts.config);
    const registrationFailed = opts.monitor.beginStack(opts.region);
    aborted = Promise.race([registrationFailed, failedInApply]);
    aborted.catch(() => undefined);
    outputs = await Promise.race([pulumi.runtime.runInPulumiStack(opts.program), aborted]);
  } catch (e) {
    failures.unshift(e);
  }
  try {
    // Drain every registration still in flight, so that nothing of this stack lands in the next
    // one. After a failed registration, what depends on it never completes: stop waiting then.
    await Promise.race([pulumi.runtime.disconnect(), aborted]);
  } catch (e) {
    failures.push(e);
  }
  await new Promise((resolve) => setImmediate(resolve));
  process.off("unhandledRejection", onRejection);
  if (failures.length) {
    const first = failures[0];
    throw first instanceof StackProgramError ? first : new StackProgramError(opts.stack, first);
  }
  return {
    stack: opts.stack,
    records: [...opts.monitor.records],
    outputs: plainValue(outputs ?? {}) as Record<string, unknown>,
  };
}

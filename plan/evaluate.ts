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
  // the update, so the plan fails the stack too.
  const onRejection = (reason: unknown) => failures.push(reason);
  process.on("unhandledRejection", onRejection);
  try {
    pulumi.runtime.setMockOptions(opts.monitor, PROJECT, opts.stack, opts.preview ?? true);
    pulumi.runtime.setAllConfig(opts.config);
    opts.monitor.beginStack(opts.region);
    const outputs = await pulumi.runtime.runInPulumiStack(opts.program);
    await pulumi.runtime.disconnect();
    // Let rejections queued by the last registrations surface before judging the stack.
    await new Promise((resolve) => setImmediate(resolve));
    if (failures.length) throw failures[0];
    return {
      stack: opts.stack,
      records: [...opts.monitor.records],
      outputs: plainValue(outputs ?? {}) as Record<string, unknown>,
    };
  } catch (e) {
    throw e instanceof StackProgramError ? e : new StackProgramError(opts.stack, e);
  } finally {
    process.off("unhandledRejection", onRejection);
  }
}

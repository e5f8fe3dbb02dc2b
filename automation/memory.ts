/**
 * An in-memory `StackOperations` for tests and the benchmark: each stack "runs" for a set time,
 * emits a resource step, and may fail or report policy violations. It records when each call
 * started and ended (on its own clock), and how many ran at once, so tests assert ordering and
 * overlap from these timestamps rather than from wall-clock thresholds.
 */
import { POLICY_OPERATIONS } from "./types";
import type { Operation, StackEvent, StackOperations, StackOutcome, StackTarget } from "./types";

export interface MemoryCall {
  readonly stack: string;
  readonly operation: Operation;
  readonly start: number;
  readonly end: number;
  readonly outcome: "succeeded" | "failed" | "cancelled";
}

export interface MemoryPolicyViolation {
  readonly policy: string;
  readonly enforcement: "advisory" | "mandatory";
  readonly message: string;
}

export interface MemoryOptions {
  /** How long each stack takes, in milliseconds. @default 0 - one timer tick */
  readonly durationMs?: number | ((target: StackTarget, operation: Operation) => number);
  /** Stacks that fail, with the error message they fail with. @default none */
  readonly failures?: Readonly<Record<string, string>>;
  /**
   * Violations reported by the policy pack during preview and up; a mandatory one fails the
   * stack, as it fails `pulumi preview` / `pulumi up`. @default none
   */
  readonly violations?: Readonly<Record<string, readonly MemoryPolicyViolation[]>>;
  /** Clock for the recorded timestamps. @default performance.now */
  readonly clock?: () => number;
}

export class MemoryCancelledError extends Error {
  constructor(stack: string) {
    super(`stack "${stack}": cancelled`);
    this.name = "MemoryCancelledError";
  }
}

function sleep(ms: number, signal: AbortSignal, stack: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new MemoryCancelledError(stack));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new MemoryCancelledError(stack));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export class MemoryStackOperations implements StackOperations {
  readonly calls: MemoryCall[] = [];
  /** The most stack operations that were running at the same time. */
  peakConcurrency = 0;
  private running = 0;
  private readonly clock: () => number;

  constructor(private readonly options: MemoryOptions = {}) {
    this.clock = options.clock ?? (() => performance.now());
  }

  /** Calls in the order they started. */
  order(): string[] {
    return [...this.calls].sort((a, b) => a.start - b.start).map((c) => c.stack);
  }

  call(stack: string): MemoryCall | undefined {
    return this.calls.find((c) => c.stack === stack);
  }

  async run(
    target: StackTarget,
    operation: Operation,
    signal: AbortSignal,
    onEvent: (event: StackEvent) => void,
  ): Promise<StackOutcome> {
    const start = this.clock();
    this.running += 1;
    this.peakConcurrency = Math.max(this.peakConcurrency, this.running);
    const d = this.options.durationMs ?? 0;
    const duration = typeof d === "number" ? d : d(target, operation);
    const urn = `urn:pulumi:${target.stack}::platform::platform:memory:Thing::${target.stack}-thing`;
    const step =
      operation === "destroy" ? "delete" : operation === "refresh" ? "refresh" : "create";
    const resourceType = "platform:memory:Thing";
    let outcome: MemoryCall["outcome"] = "failed";
    try {
      if (operation !== "outputs") {
        onEvent({
          type: "resource-step",
          stack: target.stack,
          phase: "pre",
          op: step,
          urn,
          resourceType,
        });
      }
      await sleep(duration, signal, target.stack);
      const violations = POLICY_OPERATIONS.includes(operation)
        ? (this.options.violations?.[target.stack] ?? [])
        : [];
      for (const v of violations) {
        onEvent({
          type: "policy-violation",
          stack: target.stack,
          policyPack: "platform-policies",
          policy: v.policy,
          enforcement: v.enforcement,
          message: v.message,
          urn,
        });
      }
      const mandatory = violations.filter((v) => v.enforcement === "mandatory");
      const failure =
        this.options.failures?.[target.stack] ??
        (mandatory.length > 0
          ? `mandatory policy violations: ${mandatory.map((v) => v.policy).join(", ")}`
          : undefined);
      if (failure !== undefined) {
        if (operation !== "outputs") {
          onEvent({
            type: "resource-step",
            stack: target.stack,
            phase: "failed",
            op: step,
            urn,
            resourceType,
          });
        }
        onEvent({
          type: "diagnostic",
          stack: target.stack,
          severity: "error",
          message: failure,
          urn,
        });
        throw new Error(failure);
      }
      if (operation !== "outputs") {
        onEvent({
          type: "resource-step",
          stack: target.stack,
          phase: "done",
          op: step,
          urn,
          resourceType,
        });
      }
      outcome = "succeeded";
      return {
        changes: operation === "outputs" ? {} : { [step]: 1 },
        outputs: operation === "destroy" ? {} : { stack: target.stack, region: target.region },
      };
    } catch (e) {
      if (e instanceof MemoryCancelledError) outcome = "cancelled";
      throw e;
    } finally {
      this.running -= 1;
      this.calls.push({ stack: target.stack, operation, start, end: this.clock(), outcome });
    }
  }
}

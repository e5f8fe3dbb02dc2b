/**
 * The vocabulary of the automation layer: operations, the per-stack seam (`StackOperations`),
 * the events a run streams and the result it returns. Everything here is plain data so that a
 * portal can serialise it as it is (the CLI's `--json` mode prints these events verbatim).
 */

export const OPERATIONS = ["preview", "up", "destroy", "refresh", "outputs"] as const;
export type Operation = (typeof OPERATIONS)[number];

export function isOperation(value: string): value is Operation {
  return (OPERATIONS as readonly string[]).includes(value);
}

/** Operations that change or may change what is deployed; they get the policy pack. */
export const POLICY_OPERATIONS: readonly Operation[] = ["preview", "up"];

export const STACK_ROLES = ["global", "region"] as const;
export type StackRole = (typeof STACK_ROLES)[number];

/** One stack to operate on. `region` is the AWS region the stack deploys (home region for global). */
export interface StackTarget {
  readonly stack: string;
  readonly role: StackRole;
  readonly region: string;
}

/** Resource counts by engine step (`create`, `update`, `same`, `delete`, `replace`, ...). */
export type ChangeSummary = Readonly<Record<string, number>>;

/** What one stack operation yields when it succeeds; a failure is a thrown error. */
export interface StackOutcome {
  readonly changes: ChangeSummary;
  /** Stack outputs; secret values are replaced by the string `[secret]`. */
  readonly outputs: Readonly<Record<string, unknown>>;
}

export const STACK_STATUSES = ["succeeded", "failed", "cancelled", "skipped"] as const;
export type StackStatus = (typeof STACK_STATUSES)[number];

export interface StackResult {
  readonly stack: string;
  readonly role: StackRole;
  readonly operation: Operation;
  readonly status: StackStatus;
  /** Index of the wave the stack belonged to (0 is the first wave run). */
  readonly wave: number;
  readonly changes: ChangeSummary;
  readonly outputs: Readonly<Record<string, unknown>>;
  /** Wall time of the stack's operation; 0 for a stack that never started. */
  readonly durationMs: number;
  /** Why the stack failed, was cancelled or skipped. */
  readonly error?: string;
  /**
   * The class of the error a failed or cancelled stack threw (`ConcurrentUpdateError`,
   * `StackNotFoundError`, `CommandError`, ...), for callers that answer by kind (a portal's 409
   * and 404). The error object itself is `cause`, left out of JSON.
   */
  readonly errorName?: string;
  /** The error object itself (not enumerable, so `JSON.stringify` leaves it out). */
  readonly cause?: unknown;
}

export interface RunResult {
  readonly operation: Operation;
  /** True when every selected stack succeeded. */
  readonly ok: boolean;
  readonly waves: ReadonlyArray<readonly string[]>;
  /** One entry per selected stack, in wave order. */
  readonly stacks: readonly StackResult[];
  readonly durationMs: number;
}

/** A resource step as the engine reports it: `pre` before the change, `done` / `failed` after. */
export const STEP_PHASES = ["pre", "done", "failed"] as const;
export type StepPhase = (typeof STEP_PHASES)[number];

/**
 * Events emitted by a stack operation while it runs (the part the per-stack implementation
 * produces). The orchestrator adds the run, wave and stack lifecycle events below.
 */
export type StackEvent =
  | {
      readonly type: "resource-step";
      readonly stack: string;
      readonly phase: StepPhase;
      /** Engine step: create, update, same, delete, replace, refresh, read, ... */
      readonly op: string;
      readonly urn: string;
      readonly resourceType: string;
    }
  | {
      readonly type: "policy-violation";
      readonly stack: string;
      readonly policyPack: string;
      readonly policy: string;
      readonly enforcement: "advisory" | "mandatory";
      readonly message: string;
      readonly urn?: string;
    }
  | {
      readonly type: "diagnostic";
      readonly stack: string;
      readonly severity: "warning" | "error";
      readonly message: string;
      readonly urn?: string;
    };

export type PlatformEvent =
  | StackEvent
  | {
      readonly type: "run-started";
      readonly operation: Operation;
      readonly waves: ReadonlyArray<readonly string[]>;
    }
  | { readonly type: "wave-started"; readonly wave: number; readonly stacks: readonly string[] }
  | {
      readonly type: "stack-started";
      readonly stack: string;
      readonly role: StackRole;
      readonly operation: Operation;
      readonly wave: number;
    }
  | { readonly type: "stack-finished"; readonly stack: string; readonly result: StackResult }
  | { readonly type: "run-finished"; readonly result: RunResult };

export type PlatformEventType = PlatformEvent["type"];

/**
 * The narrow seam between the orchestration and Pulumi: run one operation on one stack.
 * Resolve with the outcome, or reject (with the reason) when the stack fails. Honour `signal`:
 * when it aborts, stop as soon as it is safe and reject.
 *
 * The real implementation is `AutomationStackOperations` (Automation API); tests and the
 * benchmark use `MemoryStackOperations`.
 */
export interface StackOperations {
  run(
    target: StackTarget,
    operation: Operation,
    signal: AbortSignal,
    onEvent: (event: StackEvent) => void,
  ): Promise<StackOutcome>;
  /**
   * The resources `destroy` would stop at (protected in the stack's state), checked for every
   * selected stack before a destroy starts. Implementations that cannot know leave it out.
   */
  protectedResources?(target: StackTarget): Promise<ReadonlyArray<{ stack: string; urn: string }>>;
  /** Cancels the update running on the stack and releases its lock (`pulumi cancel`). */
  cancel?(target: StackTarget): Promise<void>;
}

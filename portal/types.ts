/**
 * What the portal stores and serves: runs, their events and the audit log. Plain data, written
 * as JSON lines and sent as JSON as it is.
 */
import type {
  ChangeSummary,
  PlatformEvent,
  StackResult,
  StackRole,
  StackStatus,
} from "../automation";
import type { RunOperation } from "./auth";

export const RUN_STATUSES = [
  "queued",
  "running",
  "succeeded",
  "failed",
  "cancelled",
  "interrupted",
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const ACTIVE_STATUSES: readonly RunStatus[] = ["queued", "running"];

/** A stack's state within a run: pending until it starts, then the automation layer's status. */
export type RunStackStatus = "pending" | "running" | "interrupted" | StackStatus;

export interface RunStack {
  readonly stack: string;
  readonly role: StackRole;
  readonly region: string;
  readonly wave: number;
  readonly status: RunStackStatus;
  readonly changes: ChangeSummary;
  readonly durationMs: number;
  /** Policy violations reported for the stack (plan, preview, up). */
  readonly violations: number;
  readonly error?: string;
}

export interface RunRecord {
  readonly id: string;
  readonly operation: RunOperation;
  readonly status: RunStatus;
  /** Selected stacks, in wave order. */
  readonly stacks: readonly string[];
  readonly waves: ReadonlyArray<readonly string[]>;
  readonly canary?: number;
  readonly maxParallel?: number;
  readonly requestedBy: string;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly results: readonly RunStack[];
  /** Why the run ended as it did when no stack says so (interrupted, could not start). */
  readonly error?: string;
  readonly cancelRequestedBy?: string;
  /** The client's Idempotency-Key, scoped to `requestedBy`, and the request it was sent with. */
  readonly idempotencyKey?: string;
  readonly requestDigest?: string;
  /** Events written so far; the last event's id. */
  readonly eventCount: number;
}

/** The offline plan's summary of one stack, as the plan worker reports it. */
export interface PlannedStack {
  readonly stack: string;
  readonly resources: number;
  readonly changes: ChangeSummary;
  readonly violations: ReadonlyArray<{
    readonly policy: string;
    readonly urn: string;
    readonly enforcementLevel: string;
    readonly message: string;
  }>;
  readonly exemptions: number;
}

/** The automation layer's per-stack result, for a stack of a plan run. */
export type PlanStackResult = Omit<StackResult, "operation"> & { readonly operation: "plan" };

/**
 * Events of a run. Runs of the Automation API's operations carry the automation layer's events
 * verbatim; a plan run uses the same shapes with `operation: "plan"`; the portal adds the
 * cancel request and the interruption found at restart.
 */
export type PortalEvent =
  | PlatformEvent
  | { readonly type: "run-started"; readonly operation: "plan"; readonly waves: string[][] }
  | {
      readonly type: "stack-started";
      readonly stack: string;
      readonly role: StackRole;
      readonly operation: "plan";
      readonly wave: number;
    }
  | { readonly type: "stack-finished"; readonly stack: string; readonly result: PlanStackResult }
  | { readonly type: "stack-planned"; readonly stack: string; readonly plan: PlannedStack }
  | { readonly type: "cancel-requested"; readonly by: string }
  | { readonly type: "run-ended"; readonly status: RunStatus; readonly error?: string };

export interface StoredEvent {
  /** 1, 2, 3, ... within the run: the SSE event id. */
  readonly id: number;
  readonly time: string;
  readonly event: PortalEvent;
}

export interface AuditEntry {
  readonly time: string;
  /** The principal's name, or `anonymous` when the request carried no valid token. */
  readonly who: string;
  readonly role?: string;
  readonly method: string;
  readonly path: string;
  /** The operation and stacks of a run request, the run id of a cancel. */
  readonly what?: Readonly<Record<string, unknown>>;
  readonly status: number;
  readonly outcome: string;
  readonly ip: string;
}

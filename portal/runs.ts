/**
 * Runs: started, locked, executed, numbered events fanned out to subscribers, stored, recovered.
 *
 * - One run per stack at a time: a run holds a lock on each of its stacks from the moment it is
 *   accepted until its final state is stored; an overlapping request gets 409 naming the run.
 * - `Idempotency-Key` (scoped to the caller): a repeated request returns the first run, a
 *   different request under the same key is refused (422), as the IETF draft
 *   "The Idempotency-Key HTTP Header Field" (draft-ietf-httpapi-idempotency-key-header) says.
 * - A run found queued or running when the store is opened was in flight when the server died:
 *   it is marked `interrupted` (with a final event saying so), and only then are its stacks free.
 */
import { createHash, randomUUID } from "node:crypto";
import {
  errorMessage,
  planWaves,
  SelectionError,
  type ProjectTargets,
  type StackResult,
  type StackTarget,
  type Wave,
} from "../automation";
import type { Principal, RunOperation } from "./auth";
import type { Executor } from "./executors";
import type { Store } from "./store";
import {
  ACTIVE_STATUSES,
  type PortalEvent,
  type RunRecord,
  type RunStack,
  type RunStatus,
  type StoredEvent,
} from "./types";

/** A refused request: the HTTP status, a message naming the field at fault, and details. */
export class PortalError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = "PortalError";
  }
}

export interface RunRequest {
  readonly operation: RunOperation;
  readonly stacks?: readonly string[];
  readonly canary?: number;
  readonly maxParallel?: number;
  readonly confirm?: readonly string[];
}

export interface RunManagerOptions {
  /** The project's stacks, read when a run is requested (the stack files may change). */
  readonly targets: () => ProjectTargets;
  readonly executor: (operation: RunOperation) => Executor;
  /** What is missing to run the operation here (empty when it can run). */
  readonly missing?: (operation: RunOperation) => readonly string[];
  readonly now?: () => Date;
}

type Listener = (event: StoredEvent | undefined) => void;

const INTERRUPTED =
  "the portal server stopped while this run was in flight; its stacks may be partly changed: " +
  "refresh or preview them before running again";

/** A stable digest of a request body: same fields, same values, whatever the key order. */
export function requestDigest(value: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v !== null && typeof v === "object"
        ? Object.fromEntries(
            Object.keys(v as object)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash("sha256")
    .update(JSON.stringify(canonical(value)))
    .digest("hex");
}

export function isActive(run: RunRecord): boolean {
  return ACTIVE_STATUSES.includes(run.status);
}

export class RunManager {
  private readonly runs = new Map<string, RunRecord>();
  /** Events of the runs in flight, and of finished runs once read back. */
  private readonly events = new Map<string, StoredEvent[]>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly locks = new Map<string, string>();
  private readonly controllers = new Map<string, AbortController>();
  private readonly idempotency = new Map<string, string>();
  private readonly finished = new Map<string, Promise<void>>();
  private readonly now: () => Date;

  constructor(
    private readonly store: Store,
    private readonly options: RunManagerOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    for (const run of store.runs) {
      this.runs.set(run.id, run);
      if (run.idempotencyKey !== undefined) {
        this.idempotency.set(this.idemKey(run.requestedBy, run.idempotencyKey), run.id);
      }
      if (isActive(run)) {
        for (const stack of run.stacks) this.locks.set(stack, run.id);
      }
    }
    for (const run of [...this.runs.values()].filter(isActive)) this.interrupt(run);
  }

  private idemKey(who: string, key: string): string {
    return `${who}\u0000${key}`;
  }

  private interrupt(run: RunRecord): void {
    const events = this.store.readEvents(run.id);
    this.events.set(run.id, events);
    const results = run.results.map((r) =>
      r.status === "pending" || r.status === "running"
        ? { ...r, status: "interrupted" as const, error: INTERRUPTED }
        : r,
    );
    this.update(run.id, { results });
    this.finish(run.id, "interrupted", INTERRUPTED);
  }

  list(): RunRecord[] {
    return [...this.runs.values()].reverse();
  }

  get(id: string): RunRecord | undefined {
    return this.runs.get(id);
  }

  /** The run that holds a stack, if any. */
  holder(stack: string): string | undefined {
    return this.locks.get(stack);
  }

  /** Resolves when the run has ended (immediately for a run already over). */
  settled(id: string): Promise<void> {
    return this.finished.get(id) ?? Promise.resolve();
  }

  eventsOf(id: string): StoredEvent[] {
    let events = this.events.get(id);
    if (events === undefined) {
      events = this.store.readEvents(id);
      this.events.set(id, events);
    }
    return events;
  }

  /**
   * Sends the events after `afterId` to `listener`, then every later one as it happens, then
   * `undefined` when the run has ended. Returns the function that stops listening.
   */
  subscribe(id: string, afterId: number, listener: Listener): () => void {
    for (const e of this.eventsOf(id)) if (e.id > afterId) listener(e);
    const run = this.runs.get(id);
    if (run === undefined || !isActive(run)) {
      listener(undefined);
      return () => undefined;
    }
    let set = this.listeners.get(id);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(id, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  /** How many subscribers a run in flight has. */
  listenerCount(id: string): number {
    return this.listeners.get(id)?.size ?? 0;
  }

  private update(id: string, patch: Partial<RunRecord>): RunRecord {
    const run = { ...(this.runs.get(id) as RunRecord), ...patch };
    this.runs.set(id, run);
    this.store.saveRun(run);
    return run;
  }

  private emit(id: string, event: PortalEvent): void {
    const events = this.eventsOf(id);
    const stored: StoredEvent = {
      id: events.length === 0 ? 1 : events[events.length - 1].id + 1,
      time: this.now().toISOString(),
      event,
    };
    events.push(stored);
    this.store.appendEvent(id, stored);
    const run = this.runs.get(id) as RunRecord;
    const patch = this.track(run, event);
    this.runs.set(id, { ...run, ...patch, eventCount: stored.id });
    // A stack changing state is worth a durable snapshot; a resource step is not.
    if (patch.results !== undefined) this.store.saveRun(this.runs.get(id) as RunRecord);
    for (const listener of this.listeners.get(id) ?? []) listener(stored);
  }

  /** What an event changes in the run's per-stack view. */
  private track(run: RunRecord, event: PortalEvent): Partial<RunRecord> {
    const change = (stack: string, f: (r: RunStack) => RunStack): Partial<RunRecord> => ({
      results: run.results.map((r) => (r.stack === stack ? f(r) : r)),
    });
    switch (event.type) {
      case "stack-started":
        return change(event.stack, (r) => ({ ...r, status: "running" }));
      case "stack-finished": {
        const result: Pick<StackResult, "status" | "changes" | "durationMs" | "error"> =
          event.result;
        return change(event.stack, (r) => ({
          ...r,
          status: result.status,
          changes: result.changes,
          durationMs: result.durationMs,
          ...(result.error === undefined ? {} : { error: result.error }),
        }));
      }
      case "policy-violation":
        return change(event.stack, (r) => ({ ...r, violations: r.violations + 1 }));
      default:
        return {};
    }
  }

  private finish(id: string, status: RunStatus, error?: string): void {
    this.emit(id, { type: "run-ended", status, ...(error === undefined ? {} : { error }) });
    const run = this.update(id, {
      status,
      finishedAt: this.now().toISOString(),
      ...(error === undefined ? {} : { error }),
    });
    for (const stack of run.stacks) {
      if (this.locks.get(stack) === id) this.locks.delete(stack);
    }
    this.store.closeEvents(id);
    this.controllers.delete(id);
    const listeners = this.listeners.get(id);
    this.listeners.delete(id);
    for (const listener of listeners ?? []) listener(undefined);
  }

  /**
   * The waves a request would run, without running anything: 404 naming the stacks that exist
   * for an unknown stack, 400 naming the field for a bad wave option.
   */
  planOnly(request: RunRequest): { waves: Wave[] } {
    const targets = this.options.targets();
    const all: StackTarget[] = [targets.global, ...targets.regions];
    const names = all.map((t) => t.stack);
    const unknown = (request.stacks ?? []).filter((s) => !names.includes(s));
    if (unknown.length > 0) {
      throw new PortalError(
        404,
        `stacks: no stack ${unknown.map((s) => `"${s}"`).join(", ")} in this project; ` +
          `stacks: ${names.join(", ")}`,
        { field: "stacks", unknown, stacks: names },
      );
    }
    try {
      const planned = request.operation === "plan" ? "preview" : request.operation;
      return { waves: planWaves(targets, planned, request.stacks, request) };
    } catch (e) {
      if (!(e instanceof SelectionError)) throw e;
      const field = /^(canary|maxParallel)\b/.exec(e.message)?.[1] ?? "stacks";
      throw new PortalError(400, e.message, { field });
    }
  }

  /**
   * Accepts a run request: the first run for a repeated Idempotency-Key, else a new run, started
   * at once. Throws `PortalError` when the request cannot be accepted.
   */
  start(
    request: RunRequest,
    who: Principal,
    idempotencyKey?: string,
  ): { run: RunRecord; replayed: boolean } {
    const digest = requestDigest(request);
    if (idempotencyKey !== undefined) {
      const firstId = this.idempotency.get(this.idemKey(who.name, idempotencyKey));
      const first = firstId === undefined ? undefined : this.runs.get(firstId);
      if (first !== undefined) {
        if (first.requestDigest !== digest) {
          throw new PortalError(
            422,
            `header Idempotency-Key: "${idempotencyKey}" was already used for a different ` +
              `request (run ${first.id}); use a new key for a new request`,
            { field: "Idempotency-Key", run: first.id },
          );
        }
        return { run: first, replayed: true };
      }
    }

    const { waves } = this.planOnly(request);
    const selected = waves.flatMap((w) => w.stacks);

    const missing = this.options.missing?.(request.operation) ?? [];
    if (missing.length > 0) {
      throw new PortalError(503, `cannot run ${request.operation} here: ${missing.join("; ")}`, {
        missing,
      });
    }

    const busy = [...new Set(selected.map((t) => this.locks.get(t.stack)))].filter(
      (x): x is string => x !== undefined,
    );
    if (busy.length > 0) {
      const overlap = selected.map((t) => t.stack).filter((s) => this.locks.has(s));
      throw new PortalError(
        409,
        `stacks ${overlap.join(", ")} are in use by run ${busy.join(", ")}; ` +
          "wait for it to end or cancel it",
        { runningRun: busy[0], runningRuns: busy, stacks: overlap },
      );
    }

    const id = randomUUID();
    const run: RunRecord = {
      id,
      operation: request.operation,
      status: "queued",
      stacks: selected.map((t) => t.stack),
      waves: waves.map((w) => w.stacks.map((t) => t.stack)),
      ...(request.canary === undefined ? {} : { canary: request.canary }),
      ...(request.maxParallel === undefined ? {} : { maxParallel: request.maxParallel }),
      requestedBy: who.name,
      createdAt: this.now().toISOString(),
      results: waves.flatMap((w, wave) =>
        w.stacks.map((t): RunStack => ({
          stack: t.stack,
          role: t.role,
          region: t.region,
          wave,
          status: "pending",
          changes: {},
          durationMs: 0,
          violations: 0,
        })),
      ),
      ...(idempotencyKey === undefined ? {} : { idempotencyKey, requestDigest: digest }),
      eventCount: 0,
    };
    this.runs.set(id, run);
    this.store.saveRun(run);
    for (const t of selected) this.locks.set(t.stack, id);
    if (idempotencyKey !== undefined) {
      this.idempotency.set(this.idemKey(who.name, idempotencyKey), id);
    }
    this.events.set(id, []);
    const controller = new AbortController();
    this.controllers.set(id, controller);
    const executor = this.options.executor(request.operation);
    this.finished.set(id, this.execute(id, executor, waves, controller.signal));
    return { run, replayed: false };
  }

  private async execute(
    id: string,
    executor: Executor,
    waves: readonly Wave[],
    signal: AbortSignal,
  ): Promise<void> {
    // Let the request that started the run be answered first.
    await new Promise((resolve) => setImmediate(resolve));
    const run = this.update(id, { status: "running", startedAt: this.now().toISOString() });
    let error: string | undefined;
    try {
      await executor({
        operation: run.operation,
        waves,
        signal,
        emit: (event) => this.emit(id, event),
      });
    } catch (e) {
      error = errorMessage(e);
    }
    const results = (this.runs.get(id) as RunRecord).results;
    const status: RunStatus = signal.aborted
      ? "cancelled"
      : error === undefined && results.every((r) => r.status === "succeeded")
        ? "succeeded"
        : "failed";
    this.finish(id, status, error);
  }

  /** Asks a run to stop: running stacks stop when it is safe, later waves do not start. */
  cancel(id: string, who: Principal): RunRecord {
    const run = this.runs.get(id);
    if (run === undefined) throw new PortalError(404, `run ${id}: no such run`, { field: "id" });
    const controller = this.controllers.get(id);
    if (!isActive(run) || controller === undefined) {
      throw new PortalError(409, `run ${id} is already ${run.status}`, { status: run.status });
    }
    if (!controller.signal.aborted) {
      this.update(id, { cancelRequestedBy: who.name });
      this.emit(id, { type: "cancel-requested", by: who.name });
      controller.abort();
    }
    return this.runs.get(id) as RunRecord;
  }

  /** The last run that touched a stack, newest first. */
  lastRunOf(stack: string): RunRecord | undefined {
    return this.list().find((r) => r.stacks.includes(stack));
  }

  /** Cancels every run in flight and waits for them (server shutdown). */
  async shutdown(): Promise<void> {
    for (const c of this.controllers.values()) c.abort();
    await Promise.all([...this.finished.values()]);
  }
}

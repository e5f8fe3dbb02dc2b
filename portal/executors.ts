/**
 * How a run is carried out. The Automation API's operations go through the automation layer's
 * `runWaves` (its events are forwarded verbatim); `plan` runs the offline plan in a child
 * process (`plan-worker.ts`) and reports each stack as it is evaluated.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import * as path from "node:path";
import * as readline from "node:readline";
import type { Readable } from "node:stream";
import {
  checkProjectDelegation,
  errorMessage,
  protectedResources,
  ProtectedResourcesError,
  runWaves,
  type ChangeSummary,
  type DelegationOptions,
  type Operation,
  type StackOperations,
  type StackTarget,
  type Wave,
} from "../automation";
import type { RunOperation } from "./auth";
import type { WorkerLine } from "./plan-worker";
import type { PortalEvent } from "./types";

export interface RunExecution {
  readonly operation: RunOperation;
  readonly waves: readonly Wave[];
  readonly signal: AbortSignal;
  /** Receives every event in order; the run manager numbers and stores them. */
  readonly emit: (event: PortalEvent) => void;
}

/** Carries out a run; resolves when it is over (whatever its outcome), rejects when it cannot run. */
export type Executor = (run: RunExecution) => Promise<void>;

export interface AutomationExecutorOptions {
  /**
   * Before an up of region stacks, check that the global stack's zone is delegated, as the
   * platform CLI does (automation/delegation.ts): the run fails naming the NS record to add;
   * a warning (a diagnostic of the global stack) when DNS cannot be asked.
   */
  readonly delegation?: { readonly projectDir: string; readonly dns?: () => DelegationOptions };
}

export function automationExecutor(
  operations: () => StackOperations,
  options: AutomationExecutorOptions = {},
): Executor {
  return async ({ operation, waves, signal, emit }) => {
    if (operation === "plan") throw new Error("the plan is not an Automation API operation");
    const op: Operation = operation;
    const stackOperations = operations();
    if (options.delegation !== undefined) {
      const { projectDir, dns } = options.delegation;
      await checkProjectDelegation({
        operation: op,
        waves,
        projectDir,
        operations: stackOperations,
        dns: dns?.(),
        warn: (message, stack) => emit({ type: "diagnostic", stack, severity: "warning", message }),
      });
    }
    // As the library's runPlatform does: a destroy first lists every protected resource of its
    // stacks and deletes nothing if there is one. The engine would stop only when it reached
    // one, after the stacks and resources before it were gone (Pulumi's `protect` option).
    if (op === "destroy") {
      const found = await protectedResources(
        stackOperations,
        waves.flatMap((w) => w.stacks),
      );
      if (found.length > 0) throw new ProtectedResourcesError(found);
    }
    await runWaves(stackOperations, op, waves, { signal, onEvent: emit });
  };
}

export interface PlanExecutorOptions {
  readonly projectDir: string;
  /** @default this checkout's `portal/plan-worker.ts`, run through tsx */
  readonly command?: readonly string[];
}

const WORKER = path.join(__dirname, "plan-worker.ts");

/** The last lines of a child's stderr, enough to say why it failed. */
function tail(text: string, lines = 5): string {
  return text.trim().split("\n").slice(-lines).join("\n");
}

export function planExecutor(options: PlanExecutorOptions): Executor {
  return ({ waves, signal, emit }) =>
    new Promise<void>((resolve, reject) => {
      const targets = new Map<string, { target: StackTarget; wave: number }>();
      waves.forEach((w, wave) =>
        w.stacks.forEach((target) => targets.set(target.stack, { target, wave })),
      );
      const names = [...targets.keys()];
      emit({
        type: "run-started",
        operation: "plan",
        waves: waves.map((w) => w.stacks.map((t) => t.stack)),
      });
      const [cmd, ...args] = options.command ?? [process.execPath, "--import", "tsx", WORKER];
      const child = spawn(cmd, [...args, options.projectDir, names.join(",")], {
        // The IPC channel closes when this process dies, however it dies: the worker exits then
        // rather than planning for nobody.
        stdio: ["ignore", "pipe", "pipe", "ipc"],
      }) as unknown as ChildProcessByStdio<null, Readable, Readable>;
      const onAbort = () => child.kill("SIGTERM");
      signal.addEventListener("abort", onAbort, { once: true });
      let stderr = "";
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (chunk: string) => {
        stderr = (stderr + chunk).slice(-8192);
      });
      const started = new Map<string, number>();
      const finished = new Set<string>();
      const finish = (
        stack: string,
        status: "succeeded" | "failed" | "cancelled",
        changes: ChangeSummary,
        error?: string,
      ) => {
        const entry = targets.get(stack);
        if (entry === undefined || finished.has(stack)) return;
        finished.add(stack);
        const begin = started.get(stack);
        emit({
          type: "stack-finished",
          stack,
          result: {
            stack,
            role: entry.target.role,
            operation: "plan",
            status,
            wave: entry.wave,
            changes,
            outputs: {},
            durationMs: begin === undefined ? 0 : performance.now() - begin,
            ...(error === undefined ? {} : { error }),
          },
        });
      };
      const lines = readline.createInterface({ input: child.stdout });
      lines.on("line", (text) => {
        let line: WorkerLine;
        try {
          line = JSON.parse(text) as WorkerLine;
        } catch {
          return;
        }
        if (line.type === "stack-started") {
          const entry = targets.get(line.stack);
          if (entry === undefined) return;
          started.set(line.stack, performance.now());
          emit({
            type: "stack-started",
            stack: line.stack,
            role: entry.target.role,
            operation: "plan",
            wave: entry.wave,
          });
          return;
        }
        const plan = line.plan;
        for (const v of plan.violations) {
          if (v.enforcementLevel !== "advisory" && v.enforcementLevel !== "mandatory") continue;
          emit({
            type: "policy-violation",
            stack: plan.stack,
            policyPack: "platform",
            policy: v.policy,
            enforcement: v.enforcementLevel,
            message: v.message,
            urn: v.urn,
          });
        }
        emit({ type: "stack-planned", stack: plan.stack, plan });
        const mandatory = plan.violations.filter((v) => v.enforcementLevel === "mandatory").length;
        finish(
          plan.stack,
          mandatory > 0 ? "failed" : "succeeded",
          plan.changes,
          mandatory > 0 ? `${mandatory} mandatory policy violation(s)` : undefined,
        );
      });
      child.on("error", (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(new Error(`cannot start the plan: ${errorMessage(e)}`));
      });
      child.on("close", (code, sig) => {
        signal.removeEventListener("abort", onAbort);
        const why = signal.aborted
          ? "cancelled"
          : `the plan stopped (exit ${code ?? sig}): ${tail(stderr) || "no message"}`;
        for (const stack of names) {
          finish(stack, signal.aborted ? "cancelled" : "failed", {}, why);
        }
        resolve();
      });
    });
}

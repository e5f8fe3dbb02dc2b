/**
 * The entry point for portals and pipelines: load the project's stacks, plan the waves, run the
 * operation through a `StackOperations` (the Automation API unless one is given).
 *
 * Destroy is guarded here, so that no caller can skip it: it needs an explicit list of stacks
 * and `confirm: true` (the CLI's `--yes`), and before anything is deleted every selected stack's
 * protected resources are listed; if there are any, nothing runs. The engine would otherwise stop
 * only when it reaches a protected resource, after the stacks and resources before it are gone.
 */
import { loadProject } from "../lib/config/project";
import { runWaves, type FailurePolicy } from "./orchestrator";
import { AutomationStackOperations, type AutomationOptions } from "./pulumi-operations";
import type { Operation, PlatformEvent, RunResult, StackOperations, StackTarget } from "./types";
import {
  planWaves,
  SelectionError,
  targetsFromProject,
  type Wave,
  type WaveOptions,
} from "./waves";

export interface PlatformRunOptions extends WaveOptions {
  /** The directory holding Pulumi.yaml and the stack files. */
  readonly projectDir: string;
  /** Stacks to operate on. @default every stack of the project (never for destroy) */
  readonly stacks?: readonly string[];
  /**
   * Must be true for destroy (with `stacks` given): the caller confirmed which stacks to delete.
   * @default false
   */
  readonly confirm?: boolean;
  /** @default stop - a failed stack skips every later wave */
  readonly onFailure?: FailurePolicy;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: PlatformEvent) => void;
  /** @default the Automation API (`AutomationStackOperations`) over `projectDir` */
  readonly operations?: StackOperations;
  /** Passed to the Automation API when `operations` is not given. */
  readonly automation?: Omit<AutomationOptions, "projectDir">;
}

/** A destroy that was not confirmed, or named no stacks. */
export class ConfirmationError extends SelectionError {
  constructor(message: string) {
    super(message);
    this.name = "ConfirmationError";
  }
}

/** Destroy refused before it started: the selected stacks hold protected resources. */
export class ProtectedResourcesError extends Error {
  constructor(readonly resources: ReadonlyArray<{ stack: string; urn: string }>) {
    super(
      `destroy refused before deleting anything: ${resources.length} protected resource(s) would ` +
        `stop it part-way:\n` +
        resources.map((r) => `  [${r.stack}] ${r.urn}`).join("\n") +
        `\nUnprotect each on purpose first (\`pulumi state unprotect --stack <stack> '<urn>'\`, ` +
        `or remove \`protect\` in the program and run up), then destroy again.`,
    );
    this.name = "ProtectedResourcesError";
  }
}

/** Throws `ConfirmationError` unless a destroy names its stacks and is confirmed. */
export function checkDestroy(options: Pick<PlatformRunOptions, "stacks" | "confirm">): void {
  if (options.stacks === undefined || options.stacks.length === 0) {
    throw new ConfirmationError(
      "destroy needs the stacks named explicitly (--stacks, e.g. --stacks eu-central-1); it " +
        "never defaults to every stack",
    );
  }
  if (options.confirm !== true) {
    throw new ConfirmationError(
      `destroy of ${options.stacks.join(", ")} deletes their resources: confirm with --yes ` +
        `(confirm: true)`,
    );
  }
}

/**
 * The waves an operation would run, without running anything. Throws `ConfigError` on bad
 * stack files and `SelectionError` on a bad selection.
 */
export function planRun(operation: Operation, options: PlatformRunOptions): Wave[] {
  const targets = targetsFromProject(loadProject(options.projectDir));
  return planWaves(targets, operation, options.stacks, options);
}

/** Every protected resource of the stacks (all of them checked, in parallel). */
export async function protectedResources(
  operations: StackOperations,
  targets: readonly StackTarget[],
): Promise<Array<{ stack: string; urn: string }>> {
  const check = operations.protectedResources?.bind(operations);
  if (check === undefined) return [];
  const found = await Promise.all(targets.map((t) => check(t)));
  return found.flat();
}

/**
 * Runs the operation. Throws before anything runs: `ConfigError`, `SelectionError`,
 * `ConfirmationError` (destroy without stacks or confirmation), `ProtectedResourcesError`
 * (destroy of stacks that hold protected resources), `PreflightError` (no backend).
 */
export async function runPlatform(
  operation: Operation,
  options: PlatformRunOptions,
): Promise<RunResult> {
  if (operation === "destroy") checkDestroy(options);
  const waves = planRun(operation, options);
  const operations =
    options.operations ??
    new AutomationStackOperations({ ...options.automation, projectDir: options.projectDir });
  if (operation === "destroy") {
    const found = await protectedResources(
      operations,
      waves.flatMap((w) => w.stacks),
    );
    if (found.length > 0) throw new ProtectedResourcesError(found);
  }
  return runWaves(operations, operation, waves, options);
}

export interface CancelResult {
  readonly stack: string;
  readonly status: "cancelled" | "failed";
  readonly error?: string;
  readonly errorName?: string;
}

/**
 * Cancels the update in progress on each named stack (`pulumi cancel`), e.g. after a pipeline
 * job was killed and left the stack locked. Stacks are named explicitly; each one's result is
 * reported. Follow with a refresh (docs/runbooks/).
 */
export async function cancelUpdates(
  options: Pick<PlatformRunOptions, "projectDir" | "stacks" | "operations" | "automation">,
): Promise<CancelResult[]> {
  if (options.stacks === undefined || options.stacks.length === 0) {
    throw new ConfirmationError("cancel needs the stacks named explicitly (--stacks)");
  }
  const waves = planRun("refresh", { projectDir: options.projectDir, stacks: options.stacks });
  const operations =
    options.operations ??
    new AutomationStackOperations({ ...options.automation, projectDir: options.projectDir });
  const cancel = operations.cancel?.bind(operations);
  if (cancel === undefined) throw new Error("these stack operations cannot cancel an update");
  return Promise.all(
    waves
      .flatMap((w) => w.stacks)
      .map(async (target): Promise<CancelResult> => {
        try {
          await cancel(target);
          return { stack: target.stack, status: "cancelled" };
        } catch (e) {
          const error = e instanceof Error ? e : new Error(String(e));
          return {
            stack: target.stack,
            status: "failed",
            error: error.message,
            errorName: error.name,
          };
        }
      }),
  );
}

/** One function per operation, bound to a project: the typed surface a portal calls. */
export function platform(defaults: PlatformRunOptions) {
  const bind =
    (operation: Operation) =>
    (options: Partial<PlatformRunOptions> = {}): Promise<RunResult> =>
      runPlatform(operation, { ...defaults, ...options });
  return {
    preview: bind("preview"),
    up: bind("up"),
    destroy: bind("destroy"),
    refresh: bind("refresh"),
    outputs: bind("outputs"),
    cancel: (options: Partial<PlatformRunOptions> = {}) =>
      cancelUpdates({ ...defaults, ...options }),
  };
}

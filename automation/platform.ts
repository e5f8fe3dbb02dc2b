/**
 * The entry point for portals and pipelines: load the project's stacks, plan the waves, run the
 * operation through a `StackOperations` (the Automation API unless one is given).
 */
import { loadProject } from "../lib/config/project";
import { runWaves, type FailurePolicy } from "./orchestrator";
import { AutomationStackOperations, type AutomationOptions } from "./pulumi-operations";
import type { Operation, PlatformEvent, RunResult, StackOperations } from "./types";
import { planWaves, targetsFromProject, type Wave, type WaveOptions } from "./waves";

export interface PlatformRunOptions extends WaveOptions {
  /** The directory holding Pulumi.yaml and the stack files. */
  readonly projectDir: string;
  /** Stacks to operate on. @default every stack of the project */
  readonly stacks?: readonly string[];
  /** @default stop - a failed stack skips every later wave */
  readonly onFailure?: FailurePolicy;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: PlatformEvent) => void;
  /** @default the Automation API (`AutomationStackOperations`) over `projectDir` */
  readonly operations?: StackOperations;
  /** Passed to the Automation API when `operations` is not given. */
  readonly automation?: Omit<AutomationOptions, "projectDir">;
}

/**
 * The waves an operation would run, without running anything. Throws `ConfigError` on bad
 * stack files and `SelectionError` on a bad selection.
 */
export function planRun(operation: Operation, options: PlatformRunOptions): Wave[] {
  const targets = targetsFromProject(loadProject(options.projectDir));
  return planWaves(targets, operation, options.stacks, options);
}

export async function runPlatform(
  operation: Operation,
  options: PlatformRunOptions,
): Promise<RunResult> {
  const waves = planRun(operation, options);
  const operations =
    options.operations ??
    new AutomationStackOperations({ ...options.automation, projectDir: options.projectDir });
  return runWaves(operations, operation, waves, options);
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
  };
}

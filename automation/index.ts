/**
 * The automation layer: preview / up / destroy / refresh / outputs over the project's stacks,
 * global first, then the regions in waves; destroy in reverse.
 *
 * ```ts
 * const p = platform({ projectDir, onEvent: (e) => console.log(e) });
 * const result = await p.up({ stacks: ["global", "us-east-1"], signal });
 * ```
 */
export * from "./types";
export {
  runWaves,
  errorMessage,
  FAILURE_POLICIES,
  type FailurePolicy,
  type RunOptions,
} from "./orchestrator";
export {
  planWaves,
  parseStackList,
  targetsFromProject,
  SelectionError,
  type ProjectTargets,
  type Wave,
  type WaveOptions,
} from "./waves";
export { AutomationStackOperations, type AutomationOptions } from "./pulumi-operations";
export { MemoryStackOperations, type MemoryCall, type MemoryOptions } from "./memory";
export { translateEngineEvent, plainOutputs } from "./engine-events";
export {
  backendUrl,
  findAwsCredentials,
  findPulumiCli,
  PreflightError,
  LOCAL_STATE_DIR,
} from "./preflight";
export { platform, planRun, runPlatform, type PlatformRunOptions } from "./platform";

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
export {
  AutomationStackOperations,
  engineMessage,
  projectLock,
  readableError,
  type AutomationOptions,
  type ProtectedResource,
} from "./pulumi-operations";
export { InterruptiblePulumiCommand, commandError } from "./pulumi-command";
export { MemoryStackOperations, type MemoryCall, type MemoryOptions } from "./memory";
export { translateEngineEvent, plainOutputs } from "./engine-events";
export {
  backendUrl,
  findAwsCredentials,
  findPulumiCli,
  PreflightError,
  LOCAL_STATE_DIR,
  findBackend,
  MISSING_BACKEND_MESSAGE,
  BACKEND_SOURCES,
  type Backend,
  type BackendSource,
} from "./preflight";
export {
  platform,
  planRun,
  runPlatform,
  cancelUpdates,
  checkDestroy,
  protectedResources,
  ConfirmationError,
  ProtectedResourcesError,
  type CancelResult,
  type PlatformRunOptions,
} from "./platform";
// The SDK's error classes a caller branches on (a portal's 409 and 404), re-exported so that a
// caller's `instanceof` uses the same classes this layer throws.
export {
  CommandError,
  ConcurrentUpdateError,
  StackAlreadyExistsError,
  StackNotFoundError,
} from "@pulumi/pulumi/automation";
export {
  DEPLOY_ROLE_MAX_SESSION_SECONDS,
  PIPELINE_ROLES,
  roleUses,
  trustedSubjects,
  trustPolicy,
  type PipelineRole,
  type RoleUse,
} from "./oidc";
export {
  checkDelegation,
  checkProjectDelegation,
  checkRegionDelegation,
  delegationLine,
  dnsServersFromEnv,
  type DelegationOptions,
  type DelegationResult,
  type DelegationStatus,
} from "./delegation";

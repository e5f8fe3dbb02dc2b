/**
 * The real `StackOperations`: the Pulumi Automation API over the project directory (the
 * directory holding Pulumi.yaml), i.e. the Pulumi CLI driving the same program as `pulumi up`.
 *
 * One LocalWorkspace per stack, never shared. Why, and why they still share `workDir` and
 * `PULUMI_HOME`:
 * - a LocalWorkspace is mutable, per-process state (its env vars, the selected stack) and its
 *   config methods read-modify-write `Pulumi.<stack>.yaml`; two stacks running through one
 *   workspace in parallel would interleave those. With a workspace per stack, the only settings
 *   file a workspace may write is its own stack's (and this layer never writes config at all:
 *   each stack's settings are exactly its committed `Pulumi.<stack>.yaml`, read by the CLI);
 * - `workDir` must be the project directory, because that is where Pulumi.yaml, the program,
 *   its node_modules and the stack files are; a copy per stack would drift from the checkout;
 * - `PULUMI_HOME` holds the plugin cache and the backend login, which the CLI itself locks and
 *   which are expensive to duplicate. The one shared file written there is the "current stack"
 *   of the directory, written by `stack select` / `stack init`: every later command is given
 *   `--stack` explicitly, so the value is never read, but concurrent writes could still
 *   truncate it, so stack selection is serialised per project directory for the whole process
 *   (`projectLock`: two runs of a portal, or a run and an evacuation, share it) while the
 *   operations themselves run in parallel.
 *
 * Which stacks an operation may create: only `up`. `preview` selects and fails with the SDK's
 * `StackNotFoundError` for a stack that does not exist yet (creating it would write
 * `encryptionsalt` into the committed stack file on a passphrase backend); refresh, outputs and
 * cancel select; destroy of a stack that does not exist converges.
 *
 * Errors reach the caller as the SDK's own classes (`ConcurrentUpdateError`,
 * `StackNotFoundError`, `CommandError`, from `@pulumi/pulumi/automation/errors.js`), their
 * message shortened to the engine's full error block (every line of it: a "protected" refusal
 * explains itself on the lines after `error:`).
 */
import * as path from "node:path";
import {
  LocalWorkspace,
  Stack,
  StackNotFoundError,
  type EngineEvent,
} from "@pulumi/pulumi/automation";
import { plainOutputs, translateEngineEvent } from "./engine-events";
import { InterruptiblePulumiCommand } from "./pulumi-command";
import { backendUrl } from "./preflight";
import type { Operation, StackEvent, StackOperations, StackOutcome, StackTarget } from "./types";

export interface AutomationOptions {
  /** The directory holding Pulumi.yaml and the `Pulumi.<stack>.yaml` files. */
  readonly projectDir: string;
  /**
   * Backend for every command (set as `PULUMI_BACKEND_URL`).
   * @default what the Pulumi CLI would use (`findBackend`); `PreflightError` when there is none
   */
  readonly backendUrl?: string;
  /** Policy packs attached to every preview and up. @default [`<projectDir>/policy`] */
  readonly policyPacks?: readonly string[];
  /** Installation root of the CLI (holding `bin/pulumi`). @default `pulumi` on PATH */
  readonly pulumiRoot?: string;
  /** Extra environment for every Pulumi command. @default none */
  readonly env?: Readonly<Record<string, string>>;
}

/** A promise chain that runs one task at a time. */
class Lock {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task, task);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

const projectLocks = new Map<string, Lock>();

/** The one lock of a project directory in this process (stack selection and creation). */
export function projectLock(projectDir: string): Lock {
  const key = path.resolve(projectDir);
  let lock = projectLocks.get(key);
  if (lock === undefined) {
    lock = new Lock();
    projectLocks.set(key, lock);
  }
  return lock;
}

const SECTION = /^(Resources|Outputs|Duration|Policies|Policy Violations):/;

/** From the first `error:` line to the next summary section, blank lines dropped. */
function errorBlock(text: string): string[] {
  const lines = text.split("\n").map((l) => l.trimEnd());
  const first = lines.findIndex((l) => /\berror:/i.test(l));
  if (first === -1) return [];
  const rest = lines.slice(first);
  const end = rest.findIndex((l, i) => i > 0 && SECTION.test(l.trim()));
  return (end === -1 ? rest : rest.slice(0, end)).map((l) => l.trim()).filter((l) => l !== "");
}

/**
 * The engine's whole error text of a failed command: its diagnostics on stdout and its error on
 * stderr, each line once, in order. Undefined when the error is not a command's.
 */
export function engineMessage(e: unknown): string | undefined {
  const result = (e as { commandResult?: { stdout?: unknown; stderr?: unknown } }).commandResult;
  if (result === undefined) return undefined;
  const lines = [
    ...errorBlock(typeof result.stdout === "string" ? result.stdout : ""),
    ...errorBlock(typeof result.stderr === "string" ? result.stderr : ""),
  ];
  return lines.length > 0 ? [...new Set(lines)].join("\n") : undefined;
}

/**
 * The same error object (its class is what callers branch on: 409 for `ConcurrentUpdateError`,
 * 404 for `StackNotFoundError`), its message replaced by the engine's error text.
 */
export function readableError(e: unknown): Error {
  if (!(e instanceof Error)) return new Error(String(e));
  const message = engineMessage(e);
  if (message !== undefined) e.message = message;
  return e;
}

/** @deprecated use `readableError`, which keeps the error's class and every engine line. */
export const conciseError = readableError;

/** A resource the engine will refuse to delete (`protect: true` in the stack's state). */
export interface ProtectedResource {
  readonly stack: string;
  readonly urn: string;
}

export class AutomationStackOperations implements StackOperations {
  readonly projectDir: string;
  readonly backendUrl: string;
  readonly policyPacks: readonly string[];
  private command?: Promise<InterruptiblePulumiCommand>;

  /** Throws `PreflightError` when no backend is configured (see `findBackend`). */
  constructor(private readonly options: AutomationOptions) {
    this.projectDir = path.resolve(options.projectDir);
    this.backendUrl = options.backendUrl ?? backendUrl(this.projectDir);
    this.policyPacks = options.policyPacks ?? [path.join(this.projectDir, "policy")];
  }

  private pulumiCommand(): Promise<InterruptiblePulumiCommand> {
    this.command ??= InterruptiblePulumiCommand.get(this.options.pulumiRoot);
    return this.command;
  }

  /**
   * The hard stop, for a second Ctrl-C: interrupts every running command a second time, which
   * the CLI takes as "terminate now". Returns how many commands were running.
   */
  async terminate(): Promise<number> {
    return this.command === undefined ? 0 : (await this.command).terminate();
  }

  private async workspace(): Promise<LocalWorkspace> {
    const command = await this.pulumiCommand();
    return LocalWorkspace.create({
      workDir: this.projectDir,
      pulumiCommand: command.asPulumiCommand(),
      envVars: {
        ...this.options.env,
        // Only a backend given explicitly is passed on; otherwise the CLI finds the same one
        // itself (environment, project file or login).
        ...(this.options.backendUrl !== undefined
          ? { PULUMI_BACKEND_URL: this.options.backendUrl }
          : {}),
        PULUMI_SKIP_UPDATE_CHECK: "true",
      },
    });
  }

  /** Selects the stack; creates it only when `create` (up). */
  private async stack(name: string, create: boolean): Promise<Stack> {
    const ws = await this.workspace();
    return projectLock(this.projectDir).run(() =>
      create ? Stack.createOrSelect(name, ws) : Stack.select(name, ws),
    );
  }

  async run(
    target: StackTarget,
    operation: Operation,
    signal: AbortSignal,
    onEvent: (event: StackEvent) => void,
  ): Promise<StackOutcome> {
    const events = (e: EngineEvent) => translateEngineEvent(target.stack, e).forEach(onEvent);
    const common = { onEvent: events, signal, color: "never" as const };
    const policyPacks = [...this.policyPacks];
    try {
      switch (operation) {
        case "preview": {
          const stack = await this.stack(target.stack, false);
          const r = await stack.preview({ ...common, policyPacks });
          return { changes: r.changeSummary, outputs: {} };
        }
        case "up": {
          const stack = await this.stack(target.stack, true);
          const r = await stack.up({ ...common, policyPacks });
          return { changes: r.summary.resourceChanges ?? {}, outputs: plainOutputs(r.outputs) };
        }
        case "destroy": {
          let stack: Stack;
          try {
            stack = await this.stack(target.stack, false);
          } catch (e) {
            // Never created, so nothing to destroy: destroying twice converges.
            if (e instanceof StackNotFoundError) return { changes: {}, outputs: {} };
            throw e;
          }
          const r = await stack.destroy(common);
          return { changes: r.summary.resourceChanges ?? {}, outputs: {} };
        }
        case "refresh": {
          const stack = await this.stack(target.stack, false);
          const r = await stack.refresh(common);
          const outputs = plainOutputs(await stack.outputs());
          return { changes: r.summary.resourceChanges ?? {}, outputs };
        }
        case "outputs": {
          const stack = await this.stack(target.stack, false);
          return { changes: {}, outputs: plainOutputs(await stack.outputs()) };
        }
        default: {
          const never: never = operation;
          throw new Error(`unknown operation ${String(never)}`);
        }
      }
    } catch (e) {
      throw readableError(e);
    }
  }

  /**
   * Resources of the stack that `destroy` would stop at (`protect` in its state, read with
   * `pulumi stack export`). A stack that does not exist has none.
   */
  async protectedResources(target: StackTarget): Promise<ProtectedResource[]> {
    try {
      const stack = await this.stack(target.stack, false);
      const state = (await stack.exportStack()) as {
        deployment?: { resources?: ReadonlyArray<{ urn?: string; protect?: boolean }> };
      };
      return (state.deployment?.resources ?? [])
        .filter((r) => r.protect === true && typeof r.urn === "string")
        .map((r) => ({ stack: target.stack, urn: r.urn as string }));
    } catch (e) {
      if (e instanceof StackNotFoundError) return [];
      throw readableError(e);
    }
  }

  /**
   * `pulumi cancel`: stops the update running on the stack (from a crashed job or another
   * machine) and releases its lock. Dangerous (the engine's own warning): resource operations
   * in flight may be left pending, to be cleared by a refresh. See docs/runbooks/.
   */
  async cancel(target: StackTarget): Promise<void> {
    try {
      const stack = await this.stack(target.stack, false);
      await stack.cancel();
    } catch (e) {
      throw readableError(e);
    }
  }
}

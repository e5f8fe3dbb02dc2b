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
 *   truncate it, so stack selection is serialised (`selectLock`) while the operations
 *   themselves run in parallel.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import {
  LocalWorkspace,
  PulumiCommand,
  Stack,
  StackNotFoundError,
  type EngineEvent,
} from "@pulumi/pulumi/automation";
import { plainOutputs, translateEngineEvent } from "./engine-events";
import { backendUrl } from "./preflight";
import type { Operation, StackEvent, StackOperations, StackOutcome, StackTarget } from "./types";

export interface AutomationOptions {
  /** The directory holding Pulumi.yaml and the `Pulumi.<stack>.yaml` files. */
  readonly projectDir: string;
  /** @default `PULUMI_BACKEND_URL`, else a file backend in `<projectDir>/.pulumi-state` */
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

/**
 * The CLI's errors carry the whole stdout and stderr; keep the engine's error lines, which say
 * what failed, so that a result stays readable.
 */
export function conciseError(e: unknown): Error {
  const stderr = (e as { commandResult?: { stderr?: string } }).commandResult?.stderr;
  if (typeof stderr === "string") {
    const lines = stderr
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => /\berror:/i.test(l));
    if (lines.length > 0) return new Error(lines.slice(-5).join("\n"));
  }
  return e instanceof Error ? e : new Error(String(e));
}

export class AutomationStackOperations implements StackOperations {
  readonly projectDir: string;
  readonly backendUrl: string;
  readonly policyPacks: readonly string[];
  private readonly selectLock = new Lock();
  private command?: Promise<PulumiCommand>;

  constructor(private readonly options: AutomationOptions) {
    this.projectDir = path.resolve(options.projectDir);
    this.backendUrl = options.backendUrl ?? backendUrl(this.projectDir);
    this.policyPacks = options.policyPacks ?? [path.join(this.projectDir, "policy")];
  }

  private pulumiCommand(): Promise<PulumiCommand> {
    this.command ??= PulumiCommand.get(
      this.options.pulumiRoot !== undefined ? { root: this.options.pulumiRoot } : {},
    );
    return this.command;
  }

  /** A file backend's directory must exist before `pulumi login` accepts it. */
  private ensureLocalBackend(): void {
    if (!this.backendUrl.startsWith("file:///")) return;
    fs.mkdirSync(fileURLToPath(this.backendUrl), { recursive: true });
  }

  private async workspace(): Promise<LocalWorkspace> {
    this.ensureLocalBackend();
    return LocalWorkspace.create({
      workDir: this.projectDir,
      pulumiCommand: await this.pulumiCommand(),
      envVars: {
        ...this.options.env,
        PULUMI_BACKEND_URL: this.backendUrl,
        PULUMI_SKIP_UPDATE_CHECK: "true",
      },
    });
  }

  /** Creates the stack when an operation may deploy it; others require it to exist. */
  private async stack(name: string, create: boolean): Promise<Stack> {
    const ws = await this.workspace();
    return this.selectLock.run(() =>
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
          const stack = await this.stack(target.stack, true);
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
      throw conciseError(e);
    }
  }
}

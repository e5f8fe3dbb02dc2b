/**
 * How this layer runs the Pulumi CLI under the Automation API, so that an interrupt means what
 * the operator meant.
 *
 * The Automation API's own runner (`@pulumi/pulumi/automation/cmd.js`, `exec`) starts `pulumi`
 * with execa in the caller's process group and, when the operation's `signal` aborts, sends it
 * SIGINT. In a terminal, Ctrl-C is delivered by the kernel to the whole foreground process group,
 * so the CLI gets the keystroke directly AND the relayed SIGINT: two interrupts, which the CLI
 * treats as "terminate now" (pulumi/pulumi `pkg/backend` cancellation scope: the first SIGINT or
 * SIGTERM cancels gracefully, "^C received; cancelling. If you would like to terminate
 * immediately, press ^C again"; the second terminates, leaving pending operations).
 *
 * So every `pulumi` this layer starts runs in a process group of its own (POSIX `setsid`, Node's
 * `detached`): the terminal's Ctrl-C reaches only this process, which relays exactly one SIGINT
 * per running command (a graceful cancel). A second, explicit request (`terminate()`, the CLI's
 * second Ctrl-C) relays the second SIGINT, the CLI's hard stop.
 *
 * Everything else is what `cmd.js` does, so results and errors are the Automation API's own:
 * `--non-interactive` added, the CLI's directory first on PATH (bundled plugins),
 * `PULUMI_AUTOMATION_API=true`, and a non-zero exit classified by the SDK's `createCommandError`
 * (`errors.js`: "no stack named ... found" is `StackNotFoundError`, "[409] Conflict: Another
 * update is currently in progress." and "the stack is currently locked by" are
 * `ConcurrentUpdateError`, "stack ... already exists" is `StackAlreadyExistsError`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { PulumiCommand } from "@pulumi/pulumi/automation";

/** The SDK's result record and error classifier (exported at runtime, marked internal). */
interface CommandResultLike {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}
interface SdkInternals {
  CommandResult: new (
    stdout: string,
    stderr: string,
    code: number,
    err?: Error,
  ) => CommandResultLike;
  createCommandError: (result: CommandResultLike) => Error;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cmd = require("@pulumi/pulumi/automation/cmd") as Pick<SdkInternals, "CommandResult">;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const errors = require("@pulumi/pulumi/automation/errors") as Pick<
  SdkInternals,
  "createCommandError"
>;

/** The SDK's classification of a failed command (`errors.js` `createCommandError`). */
export function commandError(stdout: string, stderr: string, code: number, err?: Error): Error {
  return errors.createCommandError(new cmd.CommandResult(stdout, stderr, code, err));
}

/** The subset of `PulumiCommand` that `LocalWorkspace` and `Stack` call. */
export class InterruptiblePulumiCommand {
  private readonly running = new Set<ChildProcess>();

  private constructor(
    readonly command: string,
    readonly version: PulumiCommand["version"],
  ) {}

  /** Resolves and version-checks the CLI as `PulumiCommand.get` does (`<root>/bin/pulumi` or PATH). */
  static async get(root?: string): Promise<InterruptiblePulumiCommand> {
    const base = await PulumiCommand.get(root !== undefined ? { root } : {});
    return new InterruptiblePulumiCommand(base.command, base.version);
  }

  /** As the SDK's type, for `LocalWorkspace.create({ pulumiCommand })`. */
  asPulumiCommand(): PulumiCommand {
    return this as unknown as PulumiCommand;
  }

  /** Commands running now. */
  get active(): number {
    return this.running.size;
  }

  /**
   * The hard stop: a second SIGINT to every running command (the first was sent when its
   * operation's signal aborted). The CLI terminates at once and may leave pending operations.
   */
  terminate(): number {
    for (const child of this.running) child.kill("SIGINT");
    return this.running.size;
  }

  /** Called by the Automation API (`cmd.js` `PulumiCommand.run` has this signature). */
  run(
    args: string[],
    cwd: string,
    additionalEnv: Record<string, string>,
    onOutput?: (data: string) => void,
    onError?: (data: string) => void,
    signal?: AbortSignal,
  ): Promise<CommandResultLike> {
    if (!args.includes("--non-interactive")) args.push("--non-interactive");
    const env: NodeJS.ProcessEnv = { ...process.env, ...additionalEnv };
    if (path.isAbsolute(this.command)) {
      env.PATH = `${path.dirname(this.command)}${path.delimiter}${additionalEnv.PATH ?? process.env.PATH ?? ""}`;
    }
    env.PULUMI_AUTOMATION_API = "true";
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn(this.command, args, {
          cwd,
          env,
          // Its own process group: a terminal's Ctrl-C reaches this process only (see above).
          // Windows has no process groups in this sense; a console's Ctrl-C reaches everyone.
          detached: process.platform !== "win32",
          stdio: ["ignore", "pipe", "pipe"],
        });
      } catch (e) {
        reject(commandError("", (e as Error).message, -2, e as Error));
        return;
      }
      this.running.add(child);
      let stdout = "";
      let stderr = "";
      child.stdout?.setEncoding("utf8").on("data", (d: string) => {
        stdout += d;
        onOutput?.(d);
      });
      child.stderr?.setEncoding("utf8").on("data", (d: string) => {
        stderr += d;
        onError?.(d);
      });
      // One graceful interrupt per command, however often the signal's listeners fire.
      const interrupt = () => child.kill("SIGINT");
      if (signal?.aborted) interrupt();
      else signal?.addEventListener("abort", interrupt, { once: true });
      child.on("error", (e) => {
        this.running.delete(child);
        signal?.removeEventListener("abort", interrupt);
        reject(commandError(stdout, `${stderr}${e.message}`, -2, e));
      });
      child.on("close", (code, sig) => {
        this.running.delete(child);
        signal?.removeEventListener("abort", interrupt);
        const exit = code ?? (sig !== null ? -1 : 0);
        const result = new cmd.CommandResult(stdout, stderr, exit);
        if (exit === 0) resolve(result);
        else reject(errors.createCommandError(result));
      });
    });
  }
}

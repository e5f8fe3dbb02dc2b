/**
 * The platform CLI over the automation layer:
 *
 *   npm run platform -- up --stacks global,us-east-1
 *   npm run platform -- preview --json
 *
 * Exit codes: 0 every stack succeeded; 1 an operation failed (or was cancelled or skipped);
 * 2 the run could not start (no Pulumi CLI, no cloud credentials, bad config or arguments).
 */
import * as path from "node:path";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { ConfigError } from "../lib/config/errors";
import { registerEvacuationCommands } from "../automation/evacuate";
import { runWaves } from "../automation/orchestrator";
import {
  findAwsCredentials,
  findPulumiCli,
  MISSING_CREDENTIALS_MESSAGE,
  MISSING_PULUMI_MESSAGE,
  PreflightError,
} from "../automation/preflight";
import { planRun } from "../automation/platform";
import { ProgressReporter } from "../automation/progress";
import { AutomationStackOperations } from "../automation/pulumi-operations";
import { isOperation, OPERATIONS, type Operation, type PlatformEvent } from "../automation/types";
import { parseStackList, SelectionError } from "../automation/waves";

const EXIT_FAILED = 1;
const EXIT_CANNOT_START = 2;

/** The repository root: the directory holding Pulumi.yaml, one level above this file. */
const DEFAULT_PROJECT_DIR = path.resolve(__dirname, "..");

const DESCRIPTIONS: Readonly<Record<Operation, string>> = {
  preview: "show what up would change, with the policy pack attached",
  up: "deploy: global first, then the regions in waves (canary first)",
  destroy: "tear down in reverse order: regions first, global last",
  refresh: "reconcile each stack's state with what is deployed",
  outputs: "print each stack's outputs",
};

interface CliOptions {
  stacks?: string;
  canary?: number;
  maxParallel?: number;
  order?: string;
  continueOnFailure?: boolean;
  json?: boolean;
  projectDir?: string;
  policyPack?: string[];
  credentialCheck: boolean;
}

function count(min: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected a whole number >= ${min}`);
    }
    return n;
  };
}

function preflight(operation: Operation, options: CliOptions) {
  const cli = findPulumiCli();
  if (cli === undefined) throw new PreflightError(MISSING_PULUMI_MESSAGE);
  const waves = planRun(operation, {
    projectDir: options.projectDir ?? DEFAULT_PROJECT_DIR,
    stacks: parseStackList(options.stacks),
    canary: options.canary,
    maxParallel: options.maxParallel,
    order: parseStackList(options.order),
  });
  // Outputs only read the backend's state; everything else talks to AWS.
  if (operation !== "outputs" && options.credentialCheck && findAwsCredentials() === undefined) {
    throw new PreflightError(MISSING_CREDENTIALS_MESSAGE);
  }
  return { cli, waves };
}

async function run(operation: Operation, options: CliOptions): Promise<number> {
  const emitJson = (event: PlatformEvent | { type: "error"; exitCode: number; message: string }) =>
    process.stdout.write(`${JSON.stringify(event)}\n`);
  let planned: ReturnType<typeof preflight>;
  try {
    planned = preflight(operation, options);
  } catch (e) {
    if (!(e instanceof PreflightError || e instanceof ConfigError || e instanceof SelectionError)) {
      throw e;
    }
    const what = e instanceof ConfigError ? "bad configuration" : "cannot run";
    process.stderr.write(`platform ${operation}: ${what}: ${e.message}\n`);
    if (options.json === true)
      emitJson({ type: "error", exitCode: EXIT_CANNOT_START, message: e.message });
    return EXIT_CANNOT_START;
  }

  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write("cancelling: waiting for the running stacks to stop (again to force)\n");
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const reporter =
    options.json === true
      ? undefined
      : new ProgressReporter((t) => process.stdout.write(t), process.stdout.isTTY === true);
  try {
    const operations = new AutomationStackOperations({
      projectDir: options.projectDir ?? DEFAULT_PROJECT_DIR,
      pulumiRoot: planned.cli.root,
      ...(options.policyPack
        ? { policyPacks: options.policyPack.map((p) => path.resolve(p)) }
        : {}),
    });
    const result = await runWaves(operations, operation, planned.waves, {
      signal: controller.signal,
      onFailure: options.continueOnFailure === true ? "continue" : "stop",
      onEvent: (event) => (reporter ? reporter.handle(event) : emitJson(event)),
    });
    return result.ok ? 0 : EXIT_FAILED;
  } finally {
    reporter?.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/**
 * The plan CI turns into jobs: `global` (or null), the first region wave as `canary`, every
 * later region stack as `rest`, and the home region (where images are pushed).
 */
function printWaves(options: CliOptions & { operation: string }): number {
  if (!isOperation(options.operation)) {
    process.stderr.write(
      `platform waves: --operation ${options.operation}: not one of ${OPERATIONS.join(", ")}\n`,
    );
    return EXIT_CANNOT_START;
  }
  try {
    const waves = planRun(options.operation, {
      projectDir: options.projectDir ?? DEFAULT_PROJECT_DIR,
      stacks: parseStackList(options.stacks),
      canary: options.canary,
      maxParallel: options.maxParallel,
      order: parseStackList(options.order),
    });
    const regionWaves = waves
      .filter((w) => w.tier === "region")
      .map((w) => w.stacks.map((t) => t.stack));
    const global = waves.find((w) => w.tier === "global")?.stacks[0];
    const plan = {
      operation: options.operation,
      homeRegion: global?.region ?? null,
      global: global?.stack ?? null,
      canary: regionWaves[0] ?? [],
      rest: regionWaves.slice(1).flat(),
      waves: waves.map((w) => w.stacks.map((t) => t.stack)),
    };
    process.stdout.write(`${JSON.stringify(plan)}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof ConfigError || e instanceof SelectionError)) throw e;
    process.stderr.write(`platform waves: bad configuration: ${e.message}\n`);
    return EXIT_CANNOT_START;
  }
}

export function buildProgram(): Command {
  const program = new Command()
    .name("platform")
    .description(
      "Preview, deploy, destroy, refresh or read the platform's stacks through the Pulumi " +
        "Automation API: the global stack first, then the regions in waves (one canary region, " +
        "then the rest in parallel); destroy in reverse order.",
    )
    .exitOverride()
    .showHelpAfterError("(add --help for usage)")
    .addHelpText(
      "after",
      `
Exit codes: 0 success; 1 an operation failed; 2 cannot start (no Pulumi CLI, no cloud
credentials, bad config or arguments).
Backend: PULUMI_BACKEND_URL, else a file backend in <project>/.pulumi-state.

Examples:
  npm run platform -- preview
  npm run platform -- up --stacks global,us-east-1
  npm run platform -- up --canary 0 --json
  npm run platform -- destroy --stacks us-east-1`,
    );
  program
    .command("waves")
    .description("print the planned waves as JSON (no Pulumi CLI needed; used by CI)")
    .option("-s, --stacks <list>", "comma-separated stacks (default: all)")
    .option("--canary <n>", "regions in the first region wave (default 1; 0 = none)", count(0))
    .option("--max-parallel <n>", "most regions in one later wave (default: all)", count(1))
    .option("--order <list>", "region stacks in rollout order (default: platform:regions)")
    .option("--operation <op>", `one of ${OPERATIONS.join(", ")}`, "up")
    .option("--project-dir <dir>", "directory holding Pulumi.yaml (default: the repository root)")
    .action((options: CliOptions & { operation: string }) => {
      process.exitCode = printWaves(options);
    });
  for (const operation of OPERATIONS) {
    program
      .command(operation)
      .description(DESCRIPTIONS[operation])
      .option("-s, --stacks <list>", "comma-separated stacks to operate on (default: all)")
      .option("--canary <n>", "regions in the first region wave (default 1; 0 = none)", count(0))
      .option("--max-parallel <n>", "most regions in one later wave (default: all)", count(1))
      .option("--order <list>", "region stacks in rollout order (default: platform:regions)")
      .option(
        "--continue-on-failure",
        "keep running later region waves after a region fails (default: stop)",
      )
      .option("--json", "newline-delimited JSON events on stdout")
      .option("--project-dir <dir>", "directory holding Pulumi.yaml (default: the repository root)")
      .option("--policy-pack <dir...>", "policy pack(s) for preview and up (default: policy/)")
      .option("--no-credential-check", "skip the AWS credentials check (instance or task roles)")
      .action(async (options: CliOptions) => {
        process.exitCode = await run(operation, options);
      });
  }
  // Region evacuation (automation/evacuate.ts).
  registerEvacuationCommands(program, DEFAULT_PROJECT_DIR);
  return program;
}

async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (e) {
    if (e instanceof CommanderError) {
      const shown = e.code === "commander.helpDisplayed" || e.code === "commander.version";
      process.exitCode = shown ? 0 : EXIT_CANNOT_START;
      return;
    }
    process.stderr.write(`platform: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = EXIT_FAILED;
  }
}

if (require.main === module) void main(process.argv);

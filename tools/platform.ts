/**
 * The platform CLI over the automation layer:
 *
 *   npm run platform -- up --stacks global,us-east-1
 *   npm run platform -- preview --json
 *
 * Exit codes: 0 every stack succeeded; 1 an operation failed (or was cancelled or skipped);
 * 2 the run could not start (no Pulumi CLI, no backend, no cloud credentials, bad config or
 * arguments, an unconfirmed destroy, protected resources in the way of a destroy, an up of region
 * stacks whose global zone is not delegated).
 *
 * Interrupts: the first Ctrl-C (SIGINT) or SIGTERM cancels gracefully: every running `pulumi`
 * gets exactly one SIGINT (they run in their own process groups, so the terminal's Ctrl-C does
 * not reach them directly; automation/pulumi-command.ts) and no new wave starts. The second is
 * the explicit hard stop: a second SIGINT, which the CLI takes as "terminate now". A third exits.
 */
import * as path from "node:path";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { ConfigError } from "../lib/config/errors";
import {
  checkDelegation,
  checkProjectDelegation,
  dnsServersFromEnv,
} from "../automation/delegation";
import { registerEvacuationCommands } from "../automation/evacuate";
import {
  findAwsCredentials,
  findBackend,
  findPulumiCli,
  MISSING_BACKEND_MESSAGE,
  MISSING_CREDENTIALS_MESSAGE,
  MISSING_PULUMI_MESSAGE,
  PreflightError,
} from "../automation/preflight";
import {
  cancelUpdates,
  checkDestroy,
  planRun,
  ProtectedResourcesError,
  runPlatform,
} from "../automation/platform";
import {
  DEPLOY_ROLE_MAX_SESSION_SECONDS,
  PIPELINE_ROLES,
  trustedSubjects,
  trustPolicy,
} from "../automation/oidc";
import { ProgressReporter } from "../automation/progress";
import { AutomationStackOperations } from "../automation/pulumi-operations";
import { isOperation, OPERATIONS, type Operation, type PlatformEvent } from "../automation/types";
import { parseStackList, SelectionError } from "../automation/waves";

const EXIT_FAILED = 1;
/** Interrupts this close together are one keystroke (see `onSignal`). */
const INTERRUPT_COALESCE_MS = 1000;
const EXIT_CANNOT_START = 2;

/** The repository root: the directory holding Pulumi.yaml, one level above this file. */
const DEFAULT_PROJECT_DIR = path.resolve(__dirname, "..");

const DESCRIPTIONS: Readonly<Record<Operation, string>> = {
  preview: "show what up would change, with the policy pack attached",
  up: "deploy: global first, then the regions in waves (canary first)",
  destroy: "tear down the named stacks (--stacks, --yes) in reverse order: regions, then global",
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
  /** `--no-delegation-check` sets it false (up only). */
  delegationCheck?: boolean;
  yes?: boolean;
}

/** What a preflight check sees: the operation, its waves, the project and its stacks. */
export interface PreflightContext {
  readonly operation: Operation;
  readonly projectDir: string;
  readonly waves: ReturnType<typeof planRun>;
  readonly operations: AutomationStackOperations;
  readonly options: CliOptions;
}

/**
 * Checks run after the built-in ones (CLI, config, destroy confirmation, backend, credentials)
 * and before any stack is touched. A check throws `PreflightError` to stop the run (exit 2).
 */
export type PreflightCheck = (context: PreflightContext) => Promise<void> | void;
export const PREFLIGHT_CHECKS: PreflightCheck[] = [
  // Region stacks wait on ACM DNS validation in the global stack's zone: refuse an up of regions
  // whose zone the parent does not delegate (automation/delegation.ts).
  async ({ operation, projectDir, waves, operations, options }) => {
    if (options.delegationCheck === false) return;
    await checkProjectDelegation({
      operation,
      waves,
      projectDir,
      operations,
      warn: (message) => process.stderr.write(`platform ${operation}: warning: ${message}\n`),
    });
  },
];

function count(min: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected a whole number >= ${min}`);
    }
    return n;
  };
}

async function preflight(operation: Operation, options: CliOptions) {
  const cli = findPulumiCli();
  if (cli === undefined) throw new PreflightError(MISSING_PULUMI_MESSAGE);
  const projectDir = options.projectDir ?? DEFAULT_PROJECT_DIR;
  const stacks = parseStackList(options.stacks);
  const waves = planRun(operation, {
    projectDir,
    stacks,
    canary: options.canary,
    maxParallel: options.maxParallel,
    order: parseStackList(options.order),
  });
  if (operation === "destroy") checkDestroy({ stacks, confirm: options.yes === true });
  // Never a backend of this tool's choosing: the one `pulumi login` (or the environment) chose.
  if (findBackend(projectDir) === undefined) throw new PreflightError(MISSING_BACKEND_MESSAGE);
  // Outputs only read the backend's state; everything else talks to AWS.
  if (operation !== "outputs" && options.credentialCheck && findAwsCredentials() === undefined) {
    throw new PreflightError(MISSING_CREDENTIALS_MESSAGE);
  }
  const operations = new AutomationStackOperations({
    projectDir,
    pulumiRoot: cli.root,
    ...(options.policyPack ? { policyPacks: options.policyPack.map((p) => path.resolve(p)) } : {}),
  });
  for (const check of PREFLIGHT_CHECKS) {
    await check({ operation, projectDir, waves, operations, options });
  }
  return { cli, waves, projectDir, stacks, operations };
}

const CANNOT_START = [PreflightError, ConfigError, SelectionError, ProtectedResourcesError];
const cannotStart = (e: unknown): e is Error => CANNOT_START.some((c) => e instanceof c);

async function run(operation: Operation, options: CliOptions): Promise<number> {
  const emitJson = (event: PlatformEvent | { type: "error"; exitCode: number; message: string }) =>
    process.stdout.write(`${JSON.stringify(event)}\n`);
  const refuse = (e: Error): number => {
    const what = e instanceof ConfigError ? "bad configuration" : "cannot run";
    process.stderr.write(`platform ${operation}: ${what}: ${e.message}\n`);
    if (options.json === true)
      emitJson({ type: "error", exitCode: EXIT_CANNOT_START, message: e.message });
    return EXIT_CANNOT_START;
  };
  let planned: Awaited<ReturnType<typeof preflight>>;
  try {
    planned = await preflight(operation, options);
  } catch (e) {
    if (!cannotStart(e)) throw e;
    return refuse(e);
  }

  const operations = planned.operations;
  const controller = new AbortController();
  let interrupts = 0;
  let lastInterrupt = Number.NEGATIVE_INFINITY;
  const onSignal = () => {
    // A terminal's Ctrl-C reaches every process of the foreground group, and the wrappers this
    // runs under relay it again (npm's run-script forwards SIGINT/SIGTERM to its child; tsx
    // relays what its child did not see): copies of one keystroke arrive within milliseconds.
    const now = Date.now();
    if (now - lastInterrupt < INTERRUPT_COALESCE_MS) return;
    lastInterrupt = now;
    interrupts += 1;
    if (interrupts === 1) {
      process.stderr.write(
        "cancelling: each running pulumi was interrupted once and is stopping gracefully; " +
          "no new stack starts (interrupt again to terminate at once)\n",
      );
      controller.abort();
    } else if (interrupts === 2) {
      process.stderr.write(
        "terminating: the running pulumi commands were told to stop now; their stacks may be " +
          "left with pending operations (see docs/runbooks/interrupted-deploy.md)\n",
      );
      void operations.terminate();
    } else {
      process.exit(130);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const reporter =
    options.json === true
      ? undefined
      : new ProgressReporter((t) => process.stdout.write(t), process.stdout.isTTY === true);
  try {
    const result = await runPlatform(operation, {
      projectDir: planned.projectDir,
      stacks: planned.stacks,
      canary: options.canary,
      maxParallel: options.maxParallel,
      order: parseStackList(options.order),
      confirm: options.yes === true,
      operations,
      signal: controller.signal,
      onFailure: options.continueOnFailure === true ? "continue" : "stop",
      onEvent: (event) => (reporter ? reporter.handle(event) : emitJson(event)),
    });
    return result.ok ? 0 : EXIT_FAILED;
  } catch (e) {
    if (!cannotStart(e)) throw e;
    return refuse(e);
  } finally {
    reporter?.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** `platform cancel`: `pulumi cancel` on each named stack. */
async function cancel(options: CliOptions): Promise<number> {
  const stacks = parseStackList(options.stacks);
  const projectDir = options.projectDir ?? DEFAULT_PROJECT_DIR;
  try {
    const cli = findPulumiCli();
    if (cli === undefined) throw new PreflightError(MISSING_PULUMI_MESSAGE);
    if (stacks === undefined) {
      throw new SelectionError("cancel needs the stacks named explicitly (--stacks)");
    }
    if (options.yes !== true) {
      throw new SelectionError(
        `cancel stops the update running on ${stacks.join(", ")} and may leave pending ` +
          `operations: confirm with --yes`,
      );
    }
    if (findBackend(projectDir) === undefined) throw new PreflightError(MISSING_BACKEND_MESSAGE);
    const results = await cancelUpdates({
      projectDir,
      stacks,
      operations: new AutomationStackOperations({ projectDir, pulumiRoot: cli.root }),
    });
    for (const r of results) {
      const line =
        r.status === "cancelled"
          ? `[${r.stack}] update cancelled; now run: npm run platform -- refresh --stacks ${r.stack}`
          : `[${r.stack}] cancel failed (${r.errorName ?? "Error"}): ${r.error ?? ""}`;
      if (options.json === true) process.stdout.write(`${JSON.stringify(r)}\n`);
      else process.stdout.write(`${line}\n`);
    }
    return results.every((r) => r.status === "cancelled") ? 0 : EXIT_FAILED;
  } catch (e) {
    if (!cannotStart(e)) throw e;
    const what = e instanceof ConfigError ? "bad configuration" : "cannot run";
    process.stderr.write(`platform cancel: ${what}: ${e.message}\n`);
    return EXIT_CANNOT_START;
  }
}

/**
 * `platform delegation`: 0 when the parent delegates the zone to exactly its name servers, or
 * when DNS cannot be asked (a warning); 2 when it does not (the region's certificates would wait).
 * PLATFORM_DNS_SERVERS names the resolvers to ask.
 */
async function delegation(options: {
  zone: string;
  nameServers: string;
  json?: boolean;
}): Promise<number> {
  const nameServers = options.nameServers.split(/[\s,]+/).filter((s) => s.length > 0);
  if (nameServers.length === 0) {
    process.stderr.write(
      `platform delegation: --name-servers "${options.nameServers}": expected a comma-separated list\n`,
    );
    return EXIT_CANNOT_START;
  }
  let servers: string[] | undefined;
  try {
    servers = dnsServersFromEnv();
  } catch (e) {
    if (!(e instanceof PreflightError)) throw e;
    process.stderr.write(`platform delegation: ${e.message}\n`);
    return EXIT_CANNOT_START;
  }
  const result = await checkDelegation(options.zone, nameServers, { servers });
  if (options.json === true) process.stdout.write(`${JSON.stringify(result)}\n`);
  if (result.status === "delegated") {
    if (options.json !== true) process.stdout.write(`${result.message}\n`);
    return 0;
  }
  if (result.status === "unresolvable") {
    process.stderr.write(`platform delegation: warning: ${result.message}\n`);
    return 0;
  }
  process.stderr.write(`platform delegation: ${result.message}\n`);
  return EXIT_CANNOT_START;
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
      // Stack -> AWS region, for the jobs that act in a region (waiting for ECR replication).
      regions: Object.fromEntries(waves.flatMap((w) => w.stacks).map((t) => [t.stack, t.region])),
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
Exit codes: 0 success; 1 an operation failed; 2 cannot start (no Pulumi CLI, no backend, no
cloud credentials, bad config or arguments, unconfirmed destroy, protected resources, an up
of regions whose zone the parent does not delegate).
Backend: the one the Pulumi CLI uses (PULUMI_BACKEND_URL, Pulumi.yaml backend.url, or
\`pulumi login\`); with none, nothing runs. Preview never creates a stack; up does.
Ctrl-C once: graceful cancel; twice: terminate now (may leave pending operations).

Examples:
  npm run platform -- preview
  npm run platform -- up --stacks global,us-east-1
  npm run platform -- up --canary 0 --json
  npm run platform -- destroy --stacks us-east-1 --yes
  npm run platform -- cancel --stacks us-east-1 --yes`,
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
    const command = program
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
      .option("--no-credential-check", "skip the AWS credentials check (instance or task roles)");
    if (operation === "destroy") {
      command.option("-y, --yes", "confirm the destroy of the stacks named by --stacks");
    }
    if (operation === "up") {
      command.option(
        "--no-delegation-check",
        "deploy region stacks without checking that the global zone is delegated " +
          "(also PLATFORM_SKIP_DELEGATION_CHECK=true; PLATFORM_DNS_SERVERS: the resolvers to " +
          "ask, default the system's)",
      );
    }
    command.action(async (options: CliOptions) => {
      process.exitCode = await run(operation, options);
    });
  }
  program
    .command("cancel")
    .description("cancel the update in progress on the named stacks (pulumi cancel), then refresh")
    .option("-s, --stacks <list>", "comma-separated stacks (required)")
    .option("-y, --yes", "confirm: the update is stopped where it is")
    .option("--json", "one JSON line per stack")
    .option("--project-dir <dir>", "directory holding Pulumi.yaml (default: the repository root)")
    .action(async (options: CliOptions) => {
      process.exitCode = await cancel(options);
    });
  program
    .command("oidc-trust")
    .description(
      "print the IAM trust policy a pipeline role needs: the OIDC subjects of every job of " +
        ".github/workflows that assumes it (environments, pull requests, branches)",
    )
    .requiredOption("--repo <owner/name>", "the GitHub repository")
    .requiredOption("--account <id>", "the AWS account id (12 digits)")
    .option("--role <role>", `one of ${PIPELINE_ROLES.join(", ")}`, "deploy")
    .option("--partition <partition>", "aws, aws-cn or aws-us-gov", "aws")
    .action((options: { repo: string; account: string; role: string; partition: string }) => {
      const role = PIPELINE_ROLES.find((r) => r === options.role);
      if (role === undefined) {
        process.stderr.write(
          `platform oidc-trust: --role ${options.role}: not one of ${PIPELINE_ROLES.join(", ")}\n`,
        );
        process.exitCode = EXIT_CANNOT_START;
        return;
      }
      try {
        const subjects = trustedSubjects(
          path.join(DEFAULT_PROJECT_DIR, ".github", "workflows"),
          options.repo,
        )[role];
        const policy = trustPolicy(options.account, subjects, options.partition);
        process.stdout.write(`${JSON.stringify(policy, null, 2)}\n`);
        if (role === "deploy") {
          process.stderr.write(
            `the deploy role's MaxSessionDuration must be at least ${DEPLOY_ROLE_MAX_SESSION_SECONDS} s\n`,
          );
        }
      } catch (e) {
        process.stderr.write(`platform oidc-trust: ${(e as Error).message}\n`);
        process.exitCode = EXIT_CANNOT_START;
      }
    });
  program
    .command("delegation")
    .description(
      "check that the parent zone delegates --zone to exactly --name-servers (the global " +
        "stack's zoneName and nameServers outputs); used by the deploy workflow before a region's up",
    )
    .requiredOption("--zone <name>", "the hosted zone's domain (zoneName)")
    .requiredOption("--name-servers <list>", "comma-separated name servers (nameServers)")
    .option("--json", "the result as one JSON line")
    .action(async (options: { zone: string; nameServers: string; json?: boolean }) => {
      process.exitCode = await delegation(options);
    });
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

/**
 * Region evacuation for an incident or a drill: take one region out of the global name's routing,
 * or put it back, through the same setting a pull request would change
 * (`platform:dns.evacuate` in `Pulumi.<region>.yaml`), then deploy that one stack.
 *
 * The order it acts in:
 * 1. Load and validate every stack file; resolve the region (a region name or a stack name).
 * 2. Refuse to evacuate the last region that serves the global name (the global name would
 *    answer nothing): the same cross-stack rule the plan applies.
 * 3. Write `platform:dns.evacuate` into the region's stack file, keeping the rest of the document
 *    (comments, order, formatting) as it is; the file is replaced in one rename and the whole
 *    project loaded again, and if it does not load the old file is put back, so a bad edit
 *    changes nothing.
 * 4. `up` on that region stack only (never the global stack, never another region): its latency
 *    record for the global name is deleted (evacuate) or created again (restore), and with Global
 *    Accelerator its traffic dial goes to 0 or 100. The regional name and the region's health
 *    check stay throughout.
 * 5. Report which regions serve the global name now.
 *
 * A failed `up` leaves the file changed: the file is the desired state, and running the command
 * again (or `npm run platform -- up --stacks <region>`) converges. Commit the changed file so that
 * the next pipeline run keeps the region where the incident put it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { ConfigError } from "../lib/config/errors";
import { parseDocument } from "yaml";
import { evacuationProblems, loadProject, type ProjectStacks } from "../lib/config/project";
import { PROJECT } from "../lib/config/schema";
import { runWaves, type RunOptions } from "./orchestrator";
import {
  findAwsCredentials,
  findBackend,
  findPulumiCli,
  MISSING_BACKEND_MESSAGE,
  MISSING_CREDENTIALS_MESSAGE,
  MISSING_PULUMI_MESSAGE,
  PreflightError,
} from "./preflight";
import { ProgressReporter } from "./progress";
import { planRun } from "./platform";
import { AutomationStackOperations, type AutomationOptions } from "./pulumi-operations";
import type { RunResult, StackOperations } from "./types";
import { SelectionError } from "./waves";

export const ROUTING_ACTIONS = ["evacuate", "restore"] as const;
export type RoutingAction = (typeof ROUTING_ACTIONS)[number];

/** The setting this module writes: `platform:dns` -> `evacuate`. */
export const DNS_KEY = `${PROJECT}:dns`;

export interface RoutingChangeOptions {
  readonly projectDir: string;
  /** A region (us-east-1) or the name of its stack. */
  readonly region: string;
  readonly action: RoutingAction;
  /** @default the Automation API over projectDir */
  readonly operations?: StackOperations;
  readonly automation?: Omit<AutomationOptions, "projectDir">;
  readonly signal?: AbortSignal;
  readonly onEvent?: RunOptions["onEvent"];
}

export interface RoutingChangeResult {
  readonly action: RoutingAction;
  readonly stack: string;
  readonly region: string;
  /** Whether the stack file changed (false: it already said so; the up still converges). */
  readonly fileChanged: boolean;
  /** Regions whose latency record answers for the global name, once the up succeeded. */
  readonly serving: readonly string[];
  readonly run: RunResult;
}

function findRegion(project: ProjectStacks, region: string) {
  const found = project.regions.find((r) => r.config.region === region || r.stack === region);
  if (found === undefined) {
    const known = project.regions.map((r) => r.config.region).join(", ");
    throw new SelectionError(`"${region}" is not a region of this project (regions: ${known})`);
  }
  return found;
}

/** The stack file's text with `platform:dns.evacuate` set; every other byte as it was. */
export function withEvacuate(text: string, value: boolean, file = "stack file"): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new Error(`${file}: malformed YAML: ${doc.errors[0].message.split("\n")[0]}`);
  }
  if (!doc.hasIn(["config", DNS_KEY])) {
    throw new Error(`${file}: has no ${DNS_KEY} (globalName, regionalName) to add evacuate to`);
  }
  doc.setIn(["config", DNS_KEY, "evacuate"], value);
  return doc.toString();
}

/** Regions whose stacks do not evacuate. */
export const servingRegions = (project: ProjectStacks): string[] =>
  project.regions.filter((r) => !r.config.dns.evacuate).map((r) => r.config.region);

/**
 * Steps 1-3: validate, check, rewrite the file. Returns the project as it is after the change.
 * Throws `ConfigError` (bad stack files), `SelectionError` (unknown region, last serving region).
 */
export function writeEvacuation(
  projectDir: string,
  region: string,
  action: RoutingAction,
): { stack: string; region: string; fileChanged: boolean; project: ProjectStacks } {
  const before = loadProject(projectDir);
  const target = findRegion(before, region);
  const value = action === "evacuate";
  if (value) {
    const after = before.regions.map((r) =>
      r === target
        ? { ...r, config: { ...r.config, dns: { ...r.config.dns, evacuate: true } } }
        : r,
    );
    if (evacuationProblems(after).length > 0) {
      throw new SelectionError(
        `cannot evacuate ${target.config.region}: it is the last region serving the global name (${target.config.dns.globalName}); restore another region first`,
      );
    }
  }
  const file = path.join(projectDir, `Pulumi.${target.stack}.yaml`);
  const text = fs.readFileSync(file, "utf8");
  const next = withEvacuate(text, value, path.basename(file));
  const fileChanged = next !== text;
  if (!fileChanged) {
    return { stack: target.stack, region: target.config.region, fileChanged, project: before };
  }
  const staged = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(staged, next);
  try {
    fs.renameSync(staged, file);
    const after = loadProject(projectDir);
    return { stack: target.stack, region: target.config.region, fileChanged, project: after };
  } catch (e) {
    // The project does not load with the new file: put the old one back.
    fs.writeFileSync(file, text);
    throw e;
  } finally {
    fs.rmSync(staged, { force: true });
  }
}

/** Steps 1-5. */
export async function changeRouting(options: RoutingChangeOptions): Promise<RoutingChangeResult> {
  // The operations first: without a backend (PreflightError) the file is left as it was.
  const operations =
    options.operations ??
    new AutomationStackOperations({ ...options.automation, projectDir: options.projectDir });
  const written = writeEvacuation(options.projectDir, options.region, options.action);
  const waves = planRun("up", { projectDir: options.projectDir, stacks: [written.stack] });
  const run = await runWaves(operations, "up", waves, {
    signal: options.signal,
    onEvent: options.onEvent,
  });
  return {
    action: options.action,
    stack: written.stack,
    region: written.region,
    fileChanged: written.fileChanged,
    serving: servingRegions(written.project),
    run,
  };
}

const DESCRIPTIONS: Readonly<Record<RoutingAction, string>> = {
  evacuate:
    "take a region out of the global name: set platform:dns.evacuate: true in its stack file, then up on that stack only",
  restore:
    "put an evacuated region back: set platform:dns.evacuate: false in its stack file, then up on that stack only",
};

/** Exit codes as the platform CLI's: 0 done, 1 the up failed, 2 cannot start. */
export const EXIT_FAILED = 1;
export const EXIT_CANNOT_START = 2;

/**
 * `platform evacuate <region>` and `platform restore <region>` on the platform CLI's program.
 * `operations` replaces the Automation API (tests); then no Pulumi CLI is looked for.
 */
export function registerEvacuationCommands(
  program: Command,
  defaultProjectDir: string,
  operations?: StackOperations,
): void {
  for (const action of ROUTING_ACTIONS) {
    program
      .command(`${action} <region>`)
      .description(DESCRIPTIONS[action])
      .option("--json", "newline-delimited JSON events on stdout")
      .option("--project-dir <dir>", "directory holding Pulumi.yaml (default: the repository root)")
      .option("--no-credential-check", "skip the AWS credentials check (instance or task roles)")
      .action(
        async (
          region: string,
          opts: { json?: boolean; projectDir?: string; credentialCheck: boolean },
        ) => {
          process.exitCode = await runRoutingCommand(action, region, {
            projectDir: opts.projectDir ?? defaultProjectDir,
            json: opts.json === true,
            credentialCheck: opts.credentialCheck,
            operations,
          });
        },
      );
  }
}

export async function runRoutingCommand(
  action: RoutingAction,
  region: string,
  opts: {
    projectDir: string;
    json: boolean;
    credentialCheck: boolean;
    operations?: StackOperations;
    write?: (text: string) => void;
    writeError?: (text: string) => void;
  },
): Promise<number> {
  const write = opts.write ?? ((t: string) => process.stdout.write(t));
  const writeError = opts.writeError ?? ((t: string) => process.stderr.write(t));
  let automation: RoutingChangeOptions["automation"];
  if (opts.operations === undefined) {
    const cli = findPulumiCli();
    if (cli === undefined) {
      writeError(`platform ${action}: cannot run: ${MISSING_PULUMI_MESSAGE}\n`);
      return EXIT_CANNOT_START;
    }
    if (findBackend(opts.projectDir) === undefined) {
      writeError(`platform ${action}: cannot run: ${MISSING_BACKEND_MESSAGE}\n`);
      return EXIT_CANNOT_START;
    }
    if (opts.credentialCheck && findAwsCredentials() === undefined) {
      writeError(`platform ${action}: cannot run: ${MISSING_CREDENTIALS_MESSAGE}\n`);
      return EXIT_CANNOT_START;
    }
    automation = { pulumiRoot: cli.root };
  }
  const reporter = opts.json ? undefined : new ProgressReporter(write, false);
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.on("SIGINT", onSignal);
  try {
    const result = await changeRouting({
      projectDir: opts.projectDir,
      region,
      action,
      operations: opts.operations,
      automation,
      signal: controller.signal,
      onEvent: (event) => (reporter ? reporter.handle(event) : write(`${JSON.stringify(event)}\n`)),
    });
    const summary = {
      type: "routing-changed",
      action,
      region: result.region,
      stack: result.stack,
      fileChanged: result.fileChanged,
      ok: result.run.ok,
      serving: result.serving,
    };
    write(
      opts.json
        ? `${JSON.stringify(summary)}\n`
        : `${action} ${result.region}: stack file ${result.fileChanged ? "changed" : "already set"}, up ${result.run.ok ? "succeeded" : "failed (run the command again)"}; the global name is served by: ${result.serving.join(", ")}\n`,
    );
    return result.run.ok ? 0 : EXIT_FAILED;
  } catch (e) {
    if (e instanceof ConfigError || e instanceof SelectionError || e instanceof PreflightError) {
      const what = e instanceof ConfigError ? "bad configuration" : "cannot run";
      writeError(`platform ${action}: ${what}: ${e.message}\n`);
      return EXIT_CANNOT_START;
    }
    throw e;
  } finally {
    reporter?.stop();
    process.off("SIGINT", onSignal);
  }
}

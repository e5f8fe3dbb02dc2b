/**
 * `npm run plan`: what the whole platform would deploy, without an AWS account or a Pulumi CLI.
 * Exit codes: 0 success, 1 a mandatory policy violated, 2 bad config or a program error.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { ConfigError } from "../lib/config/errors";
import { isAwsRegion, type AwsRegion } from "../lib/regions";
import { loadProject } from "../lib/config/project";
import { diagramSvg } from "../plan/diagram";
import { figureLines } from "../plan/figures";
import { delegationLines } from "../plan/delegation";
import { mandatoryViolations, runPlan, type PlanResult } from "../plan/plan";
import { compactSummary, resultLine, rollout, stackPreview } from "../plan/tree";
import { assumptionLines, checkHome, diffLines } from "../plan/whatif";
import { runProgram } from "../programs";
import { evaluateResources } from "../policy/offline";
import { supportFindings } from "../lib/support-dates";

const PROJECT_DIR = path.resolve(__dirname, "..");

function parseRegions(text: string): AwsRegion[] {
  const regions = text
    .split(",")
    .map((r) => r.trim())
    .filter(Boolean);
  const bad = regions.filter((r) => !isAwsRegion(r));
  if (bad.length)
    throw new InvalidArgumentError(
      `${bad.join(", ")}: not AWS regions (for example us-east-1, eu-central-1)`,
    );
  const dup = regions.find((r, i) => regions.indexOf(r) !== i);
  if (dup) throw new InvalidArgumentError(`region ${dup} is listed twice`);
  if (regions.length < 2)
    throw new InvalidArgumentError("an active/active platform needs at least two regions");
  return regions as AwsRegion[];
}

/** The preview tree of every stack in rollout order, each with its figures, then the platform's. */
function preview(result: PlanResult): string {
  const parts = rollout(result).map(({ plan, heading }) =>
    stackPreview(
      plan,
      heading,
      figureLines(plan.document.figures?.stack ?? { failover: [], data: [], capacity: [] }),
    ),
  );
  const platform = result.stacks.find((s) => s.kind === "global")?.document.figures?.platform;
  if (platform) parts.push(figureLines(platform, "Platform figures:").join("\n"));
  return parts.join("\n\n");
}

/** Writes a file whole or not at all: a temporary file first, renamed at the end. */
function writeWhole(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, text);
  fs.renameSync(`${file}.tmp`, file);
}

/** Writes every document or none: each goes to a temporary file first, renamed at the end. */
function writeDocuments(dir: string, result: PlanResult): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const staged = result.stacks.map((s) => {
    const file = path.join(dir, `${s.stack}.json`);
    fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(s.document, null, 2)}\n`);
    return file;
  });
  staged.forEach((file) => fs.renameSync(`${file}.tmp`, file));
  return staged;
}

async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name("plan")
    .description(
      "Offline plan of every stack: the global stack, then each region stack, then the policies.",
    )
    .option(
      "--out <dir>",
      "write <dir>/<stack>.json per stack, shaped like `pulumi preview --json`",
    )
    .option(
      "--regions <list>",
      "what-if plan for another region set, e.g. us-east-1,eu-central-1,ap-southeast-2",
      parseRegions,
    )
    .option(
      "--home <region>",
      "with --regions: the new home region, when the set leaves out the current one",
      (text: string) => {
        if (!isAwsRegion(text))
          throw new InvalidArgumentError(`${text}: not an AWS region (for example us-east-1)`);
        return text as AwsRegion;
      },
    )
    .option("--stack <name>", "plan one stack only (a region stack still gets the global outputs)")
    .option("--diagram <file.svg>", "draw the architecture from the plan documents, as SVG")
    .option(
      "--project-dir <dir>",
      "the project directory (Pulumi.yaml and the stack files)",
      PROJECT_DIR,
    )
    .option("--summary", "the compact form: resources counted by type per stack, no tree")
    .option("--quiet", "print only the last line (the totals and the policy result)")
    .option("--debug", "keep full stack traces (slower: the SDK records one per promise)")
    .option("--stats", "print the run's duration and peak memory as one JSON line")
    .exitOverride();
  try {
    program.parse(argv, { from: "user" });
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode ?? 2;
    return code === 0 ? 0 : 2;
  }
  const opts = program.opts<{
    out?: string;
    regions?: AwsRegion[];
    home?: AwsRegion;
    stack?: string;
    diagram?: string;
    summary?: boolean;
    quiet?: boolean;
    stats?: boolean;
    projectDir: string;
    debug?: boolean;
  }>();
  // The SDK captures a stack trace for every promise it creates, to report leaks; with source
  // maps on, that is most of the plan's time. The plan reports errors by message, so it does
  // without the traces unless asked.
  if (!opts.debug) Error.stackTraceLimit = 0;
  const started = process.hrtime.bigint();

  if (opts.diagram !== undefined && path.extname(opts.diagram).toLowerCase() !== ".svg") {
    process.stderr.write(
      `plan failed: --diagram ${opts.diagram}: expected a file ending in .svg\n`,
    );
    return 2;
  }
  if (opts.home !== undefined && opts.regions === undefined) {
    process.stderr.write(
      "plan failed: --home only applies to a what-if plan; give --regions too\n",
    );
    return 2;
  }

  const dir = path.resolve(opts.projectDir);
  let result: PlanResult;
  let whatIf: string[] = [];
  try {
    if (opts.regions) checkHome(loadProject(dir), opts.regions, opts.home);
    result = await runPlan({
      dir,
      program: runProgram,
      regions: opts.regions,
      home: opts.home,
      stack: opts.stack,
      // The policy pack, plus AWS end-of-support dates as of today (lib/support-dates.ts).
      policies: (resources) => {
        const report = evaluateResources(resources);
        return {
          ...report,
          violations: [...report.violations, ...supportFindings(resources, new Date())],
        };
      },
    });
    // The difference needs the plan of the current stack files too; only when it is printed.
    if (opts.regions && !opts.quiet) {
      const current = await runPlan({ dir, program: runProgram, stack: opts.stack });
      whatIf = [
        ...assumptionLines(current.project, result.project),
        "",
        ...diffLines(current, result),
      ];
    }
  } catch (e) {
    const message = e instanceof ConfigError ? `bad config:\n${e.message}` : (e as Error).message;
    process.stderr.write(`plan failed: ${message}\n`);
    return 2;
  }
  if (!opts.quiet)
    process.stdout.write(`${opts.summary ? compactSummary(result) : preview(result)}\n`);
  if (!opts.quiet) for (const line of delegationLines(result)) process.stdout.write(`\n${line}\n`);
  if (whatIf.length) process.stdout.write(`\n${whatIf.join("\n")}\n`);
  const total = result.stacks.reduce((n, s) => n + s.records.length, 0);
  if (opts.diagram) {
    const file = path.resolve(opts.diagram);
    writeWhole(file, await diagramSvg(result.stacks.map((s) => s.document)));
    process.stdout.write(`\ndrew ${path.relative(process.cwd(), file)}\n`);
  }
  if (opts.out) {
    const files = writeDocuments(path.resolve(opts.out), result);
    process.stdout.write(`wrote ${files.map((f) => path.relative(process.cwd(), f)).join(", ")}\n`);
  }
  if (opts.stats) {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const maxRssMiB = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(`stats: ${JSON.stringify({ seconds, maxRssMiB, resources: total })}\n`);
  }
  process.stdout.write(`\n${resultLine(result)}\n`);
  const mandatory = mandatoryViolations(result);
  if (mandatory.length) {
    process.stderr.write(`${mandatory.length} mandatory policy violation(s)\n`);
    return 1;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`plan failed: ${(e as Error).stack ?? e}\n`);
    process.exit(2);
  },
);

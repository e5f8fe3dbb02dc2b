/**
 * `npm run plan`: what the whole platform would deploy, without an AWS account or a Pulumi CLI.
 * Exit codes: 0 success, 1 a mandatory policy violated, 2 bad config or a program error.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { ConfigError } from "../lib/config/errors";
import { isAwsRegion, type AwsRegion } from "../lib/regions";
import { delegationLines } from "../plan/delegation";
import { mandatoryViolations, runPlan, type PlanResult } from "../plan/plan";
import { runProgram } from "../programs";
import { evaluateResources } from "../policy/offline";

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

function summary(result: PlanResult): string {
  const lines: string[] = [];
  for (const s of result.stacks) {
    const byType = new Map<string, number>();
    for (const r of s.records) byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
    lines.push(`\n=== stack ${s.stack} (${s.kind}): ${s.records.length} resources`);
    for (const [type, n] of [...byType].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`  ${String(n).padStart(4)}  ${type}`);
    }
    lines.push("  outputs:");
    for (const [k, v] of Object.entries(s.document.outputs)) {
      const text = JSON.stringify(v);
      lines.push(`    ${k}: ${text.length > 160 ? `${text.slice(0, 157)}...` : text}`);
    }
    lines.push(`  policy violations: ${s.document.violations.length}`);
    for (const v of s.document.violations)
      lines.push(`    [${v.enforcementLevel}] ${v.policy}: ${v.urn}\n      ${v.message}`);
    for (const e of s.document.exemptions)
      lines.push(`    exempt ${e.policy}: ${e.urn} (${e.reason})`);
  }
  return lines.join("\n");
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
    .option("--stack <name>", "plan one stack only (a region stack still gets the global outputs)")
    .option(
      "--project-dir <dir>",
      "the project directory (Pulumi.yaml and the stack files)",
      PROJECT_DIR,
    )
    .option("--quiet", "print only the totals")
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
    stack?: string;
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

  let result: PlanResult;
  try {
    result = await runPlan({
      dir: path.resolve(opts.projectDir),
      program: runProgram,
      regions: opts.regions,
      stack: opts.stack,
      policies: (resources) => evaluateResources(resources),
    });
  } catch (e) {
    const message = e instanceof ConfigError ? `bad config:\n${e.message}` : (e as Error).message;
    process.stderr.write(`plan failed: ${message}\n`);
    return 2;
  }
  if (!opts.quiet) process.stdout.write(`${summary(result)}\n`);
  if (!opts.quiet) for (const line of delegationLines(result)) process.stdout.write(`\n${line}\n`);
  const total = result.stacks.reduce((n, s) => n + s.records.length, 0);
  process.stdout.write(`\nplanned ${result.stacks.length} stacks, ${total} resources\n`);
  if (opts.out) {
    const files = writeDocuments(path.resolve(opts.out), result);
    process.stdout.write(`wrote ${files.map((f) => path.relative(process.cwd(), f)).join(", ")}\n`);
  }
  if (opts.stats) {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const maxRssMiB = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(`stats: ${JSON.stringify({ seconds, maxRssMiB, resources: total })}\n`);
  }
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

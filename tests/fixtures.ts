/**
 * Shared test fixtures: a throw-away copy of the project's stack files (for tests that change one
 * setting and check what the loader, the plan or the CLI make of it), and the evaluation of a
 * program under the shared mocks with the lookups every component test uses.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { evaluateStack, type Program, type StackEvaluation } from "../plan/evaluate";
import { RecordingMonitor, type StackOutputs } from "../plan/monitor";
import type { RecordedResource } from "../plan/record";

export const PROJECT_DIR = path.resolve(__dirname, "..");

/** The plan command (`npm run plan -- <args>`), run from the project directory to its end. */
export const planCommand = (args: readonly string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", "tools/plan.ts", ...args], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
  });

export function copyProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "platform-project-"));
  for (const f of fs.readdirSync(PROJECT_DIR).filter((f) => /^Pulumi(\..+)?\.yaml$/.test(f))) {
    fs.copyFileSync(path.join(PROJECT_DIR, f), path.join(dir, f));
  }
  return dir;
}

/** Rewrites one stack file's `config:` through `edit`. */
export function editStack(
  dir: string,
  stack: string,
  edit: (config: Record<string, unknown>) => void,
): void {
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  const doc = parse(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
  edit(doc.config);
  fs.writeFileSync(file, stringify(doc));
}

/**
 * Evaluates `program` as a stack of `region` under a fresh recording monitor: the one way the
 * component tests run something under the shared mocks.
 */
export function evaluateInRegion(
  region: string,
  program: Program,
  options: { stack?: string; preview?: boolean; stackOutputs?: StackOutputs } = {},
): Promise<StackEvaluation> {
  return evaluateStack({
    monitor: new RecordingMonitor(options.stackOutputs),
    stack: options.stack ?? region,
    config: { "aws:region": region },
    region,
    preview: options.preview ?? true,
    program,
  });
}

export const ofType = (records: readonly RecordedResource[], type: string) =>
  records.filter((r) => r.type === type);

/** The one resource of `type` (and `name`, if given); throws when there are none or several. */
export function one(
  records: readonly RecordedResource[],
  type: string,
  name?: string,
): RecordedResource {
  const found = records.filter((r) => r.type === type && (name === undefined || r.name === name));
  if (found.length !== 1) {
    throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}`);
  }
  return found[0];
}

/** type -> number of resources of that type, sorted by type. */
export function countByType(records: readonly RecordedResource[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records) counts[r.type] = (counts[r.type] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

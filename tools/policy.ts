/**
 * `npm run policy -- check [--json] [--config FILE] [--unreadable LEVEL] FILE...`: the pack's
 * policies over `pulumi preview --json` documents. Exit 0 when nothing mandatory is violated, 1
 * when something is, 2 when a file cannot be read or parsed (nothing else is printed then).
 *
 * A preview document masks secrets as "[secret]": every value a policy needed and could not read
 * is reported by resource and property, as advisory unless `--unreadable mandatory`.
 */
import * as fs from "node:fs";
import { Command, Option } from "commander";
import { DEFAULT_POLICY_CONFIG, nameFromUrn, type PolicyPackConfig } from "../policy/config";
import { readPolicyConfigFile } from "../policy/config-file";
import { evaluateResources, type OfflineResource, type OfflineReport } from "../policy/offline";

/** Step ops that remove a resource: nothing of theirs is deployed, so nothing to judge. */
const DELETING_OPS: ReadonlySet<string> = new Set([
  "delete",
  "delete-replaced",
  "discard",
  "discard-replaced",
  "read-discard",
  "remove-pending-replace",
]);

class InputError extends Error {}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The resources a preview document would leave in the stack. */
export function resourcesOfPreview(document: unknown, file: string): OfflineResource[] {
  if (!isRecord(document) || !Array.isArray(document.steps)) {
    throw new InputError(`${file}: not a \`pulumi preview --json\` document (no "steps" array)`);
  }
  const resources: OfflineResource[] = [];
  document.steps.forEach((step: unknown, i: number) => {
    if (!isRecord(step)) throw new InputError(`${file}: steps[${i}] is not an object`);
    if (typeof step.op === "string" && DELETING_OPS.has(step.op)) return;
    const state = step.newState;
    if (!isRecord(state)) return;
    const urn = typeof state.urn === "string" ? state.urn : step.urn;
    const type = typeof state.type === "string" ? state.type : step.type;
    if (typeof urn !== "string" || typeof type !== "string") {
      throw new InputError(`${file}: steps[${i}].newState has no urn or type`);
    }
    const strings = (v: unknown) =>
      Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : undefined;
    const propertyDependencies = isRecord(state.propertyDependencies)
      ? Object.fromEntries(
          Object.entries(state.propertyDependencies).map(([k, v]) => [k, strings(v) ?? []]),
        )
      : undefined;
    resources.push({
      urn,
      type,
      name: nameFromUrn(urn),
      inputs: isRecord(state.inputs) ? state.inputs : {},
      outputs: isRecord(state.outputs) ? state.outputs : undefined,
      parent: typeof state.parent === "string" ? state.parent : undefined,
      dependencies: strings(state.dependencies),
      propertyDependencies,
      protect: state.protect === true,
    });
  });
  return resources;
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new InputError(`${file}: cannot read: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InputError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
}

function readConfig(file: string | undefined): PolicyPackConfig {
  if (file === undefined) return DEFAULT_POLICY_CONFIG;
  try {
    return readPolicyConfigFile(file);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
}

function printText(report: OfflineReport, files: number, resources: number): void {
  for (const u of report.unreadable) {
    console.log(
      `UNREADABLE ${u.urn} ${u.property}\n  ${u.why}; needed by ${u.policies.join(", ")}`,
    );
  }
  for (const v of report.violations) {
    console.log(`${v.enforcementLevel.toUpperCase()} ${v.policy} ${v.urn}\n  ${v.message}`);
  }
  for (const e of report.exemptions) {
    console.log(`EXEMPT ${e.policy} ${e.urn}\n  reason: ${e.reason}`);
  }
  const mandatory = report.violations.filter((v) => v.enforcementLevel === "mandatory").length;
  console.log(
    `${report.violations.length} violation(s), ${mandatory} mandatory, ${report.exemptions.length} exemption(s) used, ${report.unreadable.length} unreadable value(s); ${resources} resource(s) in ${files} file(s)`,
  );
}

export interface CheckOptions {
  readonly json?: boolean;
  readonly config?: string;
  /** @default advisory - the level of a violation for a value the document does not show */
  readonly unreadable?: "advisory" | "mandatory";
}

export function check(files: readonly string[], opts: CheckOptions): number {
  let config: PolicyPackConfig;
  let stacks: OfflineResource[][];
  try {
    config = readConfig(opts.config);
    // Every file is read and parsed before anything is evaluated or printed.
    stacks = files.map((file) => resourcesOfPreview(readJson(file), file));
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    console.error(`policy check: ${e.message}`);
    return 2;
  }
  const report: OfflineReport = { violations: [], exemptions: [], unreadable: [] };
  for (const resources of stacks) {
    // Each document is one stack: stack policies see one document's resources at a time.
    const one = evaluateResources(resources, config, { unreadable: opts.unreadable });
    report.violations.push(...one.violations);
    report.exemptions.push(...one.exemptions);
    report.unreadable.push(...one.unreadable);
  }
  if (opts.json === true) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    printText(
      report,
      files.length,
      stacks.reduce((n, s) => n + s.length, 0),
    );
  }
  return report.violations.some((v) => v.enforcementLevel === "mandatory") ? 1 : 0;
}

function main(argv: readonly string[]): void {
  const program = new Command("policy").description("The platform's CrossGuard policies, offline.");
  program.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  program
    .command("check")
    .description("evaluate the policies over `pulumi preview --json` documents")
    .argument("<files...>", "preview documents")
    .option("--json", 'print {"violations":[...],"exemptions":[...]}')
    .option("--config <file>", "policy config (YAML or JSON), laid over the defaults")
    .addOption(
      new Option(
        "--unreadable <level>",
        'the level of a value a policy needed but the document masks ("[secret]")',
      )
        .choices(["advisory", "mandatory"])
        .default("advisory"),
    )
    .action((files: string[], opts: CheckOptions) => {
      process.exitCode = check(files, opts);
    });
  program.parse(argv);
}

if (require.main === module) main(process.argv);

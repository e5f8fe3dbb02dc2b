/**
 * The plan as `pulumi preview` draws it: per stack, one row per resource with the operation's
 * marker, its type and name, children indented under their parent component, then the outputs
 * and a closing `Resources:` summary. The engine's own rendering is the model
 * (github.com/pulumi/pulumi, pkg/backend/display: `+` create and `>` read markers, `├─`/`└─`
 * tree lines, "+ N to create", reads left out of the change count).
 */
import { targetsFromProject } from "../automation/waves";
import type { PlanResult, StackPlan } from "./plan";
import type { RecordedResource } from "./record";

/** The engine's operation markers and plan words for the operations an offline plan has. */
const OPS: Readonly<Record<RecordedResource["op"], { marker: string; word: string }>> = {
  create: { marker: "+", word: "create" },
  read: { marker: ">", word: "read" },
};

export const RESOURCE_KINDS = ["cloud", "component", "provider", "stack"] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/** What a record is to a reader: a cloud resource, a component, a provider or the stack. */
export function resourceKind(r: Pick<RecordedResource, "type" | "custom">): ResourceKind {
  if (r.type === "pulumi:pulumi:Stack") return "stack";
  if (r.type.startsWith("pulumi:providers:")) return "provider";
  return r.custom ? "cloud" : "component";
}

export interface StackCounts {
  /** Steps by operation, as the engine's summary counts them. */
  readonly create: number;
  readonly read: number;
  /** Creates by kind (reads are not changes: the engine leaves them out of its summary). */
  readonly byKind: Readonly<Record<ResourceKind, number>>;
  /** Multi-language components (awsx, eks) that the engine expands into more resources. */
  readonly remote: number;
}

export function stackCounts(records: readonly RecordedResource[]): StackCounts {
  const byKind: Record<ResourceKind, number> = { cloud: 0, component: 0, provider: 0, stack: 0 };
  let create = 0;
  let read = 0;
  let remote = 0;
  for (const r of records) {
    if (r.op === "read") {
      read += 1;
      continue;
    }
    create += 1;
    byKind[resourceKind(r)] += 1;
    if (r.remote) remote += 1;
  }
  return { create, read, byKind, remote };
}

/** The `Resources:` block: the engine's change line, then what those changes are. */
export function summaryLines(counts: StackCounts): string[] {
  const { cloud, component, provider, stack } = counts.byKind;
  const parts = [
    `${cloud} cloud resources`,
    `${component} components${counts.remote ? ` (${counts.remote} remote, expanded by their plugins)` : ""}`,
    `${provider} providers`,
    `${stack} stack`,
  ];
  const lines = ["Resources:", `    + ${counts.create} to create`, `    ${parts.join(", ")}`];
  if (counts.read) lines.push(`    ${counts.read} read (not a change)`);
  return lines;
}

/** Rows in the engine's order: a parent, then its children depth-first, in registration order. */
function treeRows(
  records: readonly RecordedResource[],
): Array<{ r: RecordedResource; lead: string }> {
  const children = new Map<string, RecordedResource[]>();
  const urns = new Set(records.map((r) => r.urn));
  const roots: RecordedResource[] = [];
  for (const r of records) {
    if (r.parent && urns.has(r.parent)) {
      const list = children.get(r.parent) ?? [];
      list.push(r);
      children.set(r.parent, list);
    } else roots.push(r);
  }
  const rows: Array<{ r: RecordedResource; lead: string }> = [];
  const walk = (r: RecordedResource, prefix: string, last: boolean, depth: number) => {
    rows.push({ r, lead: depth === 0 ? "" : `${prefix}${last ? "└─ " : "├─ "}` });
    const kids = children.get(r.urn) ?? [];
    const next = depth === 0 ? "" : `${prefix}${last ? "   " : "│  "}`;
    kids.forEach((k, i) => walk(k, next, i === kids.length - 1, depth + 1));
  };
  roots.forEach((r, i) => walk(r, "", i === roots.length - 1, 0));
  return rows;
}

/** The engine shows a resource's name; the stack's row carries `<project>-<stack>`. */
const nameOf = (r: RecordedResource): string => r.urn.split("::").pop() ?? r.name;

const TYPE_COLUMN_MAX = 72;

/** The tree of one stack, with a header row like the engine's. */
export function treeLines(records: readonly RecordedResource[]): string[] {
  const rows = treeRows(records);
  // Like the engine's table, a column fits its values; one very long type may push its row out.
  const typeWidth = Math.min(
    TYPE_COLUMN_MAX,
    Math.max(4, ...rows.map(({ r, lead }) => lead.length + r.type.length)),
  );
  const nameWidth = Math.max(4, ...rows.map(({ r }) => nameOf(r).length));
  const line = (marker: string, type: string, name: string, plan: string) =>
    ` ${marker.padEnd(3)} ${type.padEnd(typeWidth)}  ${name.padEnd(nameWidth)}  ${plan}`.trimEnd();
  return [
    line("", "Type", "Name", "Plan"),
    ...rows.map(({ r, lead }) => {
      const op = OPS[r.op];
      return line(op.marker, `${lead}${r.type}`, nameOf(r), op.word);
    }),
  ];
}

export const SHORTEN_AT = 120;
export const FULL_VALUES_HINT =
  "(shortened: `npm run plan -- --out DIR` writes every value in full)";

/** An output as one line of JSON, shortened past `max` characters. */
export function shortValue(value: unknown, max = SHORTEN_AT): { text: string; shortened: boolean } {
  const text = JSON.stringify(value) ?? "undefined";
  if (text.length <= max) return { text, shortened: false };
  return { text: `${text.slice(0, max - 1)}…`, shortened: true };
}

export function outputLines(outputs: Record<string, unknown>): string[] {
  const entries = Object.entries(outputs);
  if (entries.length === 0) return [];
  const width = Math.max(...entries.map(([k]) => k.length));
  let shortened = false;
  const lines = entries.map(([k, v]) => {
    const value = shortValue(v);
    shortened ||= value.shortened;
    return `    ${`${k}:`.padEnd(width + 1)} ${value.text}`;
  });
  return ["Outputs:", ...lines, ...(shortened ? [`    ${FULL_VALUES_HINT}`] : [])];
}

export function policyLines(plan: StackPlan): string[] {
  const { violations, exemptions } = plan.document;
  if (violations.length === 0 && exemptions.length === 0) return [];
  const lines = ["Policies:"];
  for (const v of violations) {
    lines.push(`    [${v.enforcementLevel}] ${v.policy}  (${v.urn.split("::").pop()})`);
    lines.push(`        ${v.message}`);
  }
  for (const e of exemptions) {
    lines.push(`    [exempt] ${e.policy}  (${e.urn.split("::").pop()}): ${e.reason}`);
  }
  return lines;
}

export interface StackHeading {
  /** 1-based position in the rollout. */
  readonly position: number;
  readonly of: number;
  /** Why the stack sits there: global, home region (the canary), or another region. */
  readonly role: string;
}

/** One stack as `pulumi preview` prints it, plus the offline plan's policy findings. */
export function stackPreview(plan: StackPlan, heading: StackHeading, extra: string[] = []): string {
  const title = `Previewing stack ${plan.stack} (${heading.position}/${heading.of}, ${heading.role})`;
  const blocks = [
    [title],
    treeLines(plan.records),
    outputLines(plan.document.outputs),
    extra,
    summaryLines(stackCounts(plan.records)),
    policyLines(plan),
  ].filter((b) => b.length > 0);
  return blocks.map((b) => b.join("\n")).join("\n\n");
}

/**
 * The stacks in rollout order: the global stack, the home region (the canary wave, whose Aurora
 * cluster is the primary), then the other regions, as the platform CLI deploys them.
 */
export function rollout(result: PlanResult): Array<{ plan: StackPlan; heading: StackHeading }> {
  const targets = targetsFromProject(result.project);
  const order = [targets.global.stack, ...targets.regions.map((t) => t.stack)];
  const home = result.project.global.config.region;
  const role = (s: StackPlan) =>
    s.kind === "global" ? "global stack" : s.region === home ? "home region, the canary" : "region";
  return [...result.stacks]
    .sort((a, b) => order.indexOf(a.stack) - order.indexOf(b.stack))
    .map((plan) => ({
      plan,
      heading: { position: order.indexOf(plan.stack) + 1, of: order.length, role: role(plan) },
    }));
}

/** The plan's last line: what it would do, and the policy result (kept under --quiet). */
export function resultLine(result: PlanResult): string {
  const counts = result.stacks.map((s) => stackCounts(s.records));
  const create = counts.reduce((n, c) => n + c.create, 0);
  const read = counts.reduce((n, c) => n + c.read, 0);
  const violations = result.stacks.flatMap((s) => s.document.violations);
  const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
  const exemptions = result.stacks.reduce((n, s) => n + s.document.exemptions.length, 0);
  const verdict = mandatory > 0 ? "FAILED" : "passed";
  return (
    `plan: ${result.stacks.length} stacks, + ${create} to create${read ? `, ${read} read` : ""}; ` +
    `policies ${verdict}: ${mandatory} mandatory, ${violations.length - mandatory} other violations, ` +
    `${exemptions} exemptions`
  );
}

/** `--summary`: per stack, resources counted by type, the outputs and the policy findings. */
export function compactSummary(result: PlanResult): string {
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

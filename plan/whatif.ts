/**
 * The what-if plan (`--regions`): the settings it assumed for regions that have no stack file
 * yet, and what changes against the current stacks: stacks added and removed, the global stack's
 * resources by type, and the figures.
 */
import type { ProjectStacks } from "../lib/config/project";
import type { AwsRegion } from "../lib/regions";
import { FIGURE_GROUPS, type Figure, type Figures } from "./figures";
import type { PlanResult } from "./plan";

/** A what-if request the current project cannot answer as given (exit 2). */
export class WhatIfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WhatIfError";
  }
}

/**
 * The home region holds the table's and the key's primaries and the Aurora primary; a region set
 * without it moves all of them, so it is only planned when `--home` names the new home on purpose.
 */
export function checkHome(
  project: ProjectStacks,
  regions: readonly AwsRegion[],
  home: AwsRegion | undefined,
): void {
  const current = project.global.config.region;
  if (home !== undefined && !regions.includes(home)) {
    throw new WhatIfError(
      `--home ${home}: not one of --regions (${regions.join(", ")}); the home region must be one of the platform's regions`,
    );
  }
  if (home === undefined && !regions.includes(current)) {
    throw new WhatIfError(
      `--regions ${regions.join(",")} leaves out the home region ${current} (aws:region of the global stack), which holds the primaries of the key, the table and Aurora; add it back, or name the new home region with --home <region>`,
    );
  }
}

/** The settings the what-if plan made up for regions without a stack file. */
export function assumptionLines(base: ProjectStacks, next: ProjectStacks): string[] {
  const existing = new Set(base.regions.map((r) => r.stack));
  const made = next.regions.filter((r) => !existing.has(r.stack));
  const template = base.regions[0]?.stack;
  const lines = ["What-if assumptions:"];
  const home = next.global.config.region;
  lines.push(
    `    home region: ${home}${home === base.global.config.region ? " (unchanged)" : ` (was ${base.global.config.region}, from --home)`}`,
  );
  if (made.length === 0)
    lines.push("    every region of the set has a stack file: nothing assumed");
  for (const r of made) {
    lines.push(
      `    ${r.stack}: no Pulumi.${r.stack}.yaml; settings of Pulumi.${template}.yaml with ` +
        `vpcCidr ${r.config.network.vpcCidr} (a free /16 of 10.0.0.0/8), ` +
        `regionalName ${r.config.dns.regionalName}, globalName ${r.config.dns.globalName}`,
    );
  }
  return lines;
}

const countByType = (result: PlanResult, stack: string): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const r of result.stacks.find((s) => s.stack === stack)?.records ?? [])
    counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return counts;
};

const figureText = (f: Figure | undefined) => (f === undefined ? "(none)" : f.text);

/** Figure changes between two sets of figures, as `label: before -> after` lines. */
export function figureChanges(prefix: string, before?: Figures, after?: Figures): string[] {
  const lines: string[] = [];
  for (const g of FIGURE_GROUPS) {
    const ids = [...new Set([...(before?.[g] ?? []), ...(after?.[g] ?? [])].map((f) => f.id))];
    for (const id of ids) {
      const a = before?.[g].find((f) => f.id === id);
      const b = after?.[g].find((f) => f.id === id);
      if (JSON.stringify(a?.value) === JSON.stringify(b?.value) && a?.text === b?.text) continue;
      lines.push(`    ${prefix}${(b ?? a)?.label}: ${figureText(a)} -> ${figureText(b)}`);
    }
  }
  return lines;
}

/** What the what-if plan changes against the plan of the current stack files. */
export function diffLines(current: PlanResult, next: PlanResult): string[] {
  const before = new Set(current.stacks.map((s) => s.stack));
  const after = new Set(next.stacks.map((s) => s.stack));
  const lines = ["What-if against the current stacks:"];
  const added = [...after].filter((s) => !before.has(s));
  const removed = [...before].filter((s) => !after.has(s));
  lines.push(`    stacks added: ${added.length ? added.join(", ") : "none"}`);
  lines.push(`    stacks removed: ${removed.length ? removed.join(", ") : "none"}`);

  const global = next.project.global.stack;
  const a = countByType(current, global);
  const b = countByType(next, global);
  const types = [...new Set([...a.keys(), ...b.keys()])].sort();
  const changed = types.filter((t) => (a.get(t) ?? 0) !== (b.get(t) ?? 0));
  const total = (m: Map<string, number>) => [...m.values()].reduce((n, v) => n + v, 0);
  lines.push(`    global stack resources: ${total(a)} -> ${total(b)}`);
  for (const t of changed) {
    const d = (b.get(t) ?? 0) - (a.get(t) ?? 0);
    lines.push(
      `      ${`${d > 0 ? "+" : "-"}${Math.abs(d)}`.padStart(4)}  ${t} (${a.get(t) ?? 0} -> ${b.get(t) ?? 0})`,
    );
  }

  const figures = (r: PlanResult, stack: string) =>
    r.stacks.find((s) => s.stack === stack)?.document.figures;
  const figureLines = [
    ...figureChanges(
      "platform ",
      figures(current, global)?.platform,
      figures(next, global)?.platform,
    ),
    ...figureChanges("global ", figures(current, global)?.stack, figures(next, global)?.stack),
    ...[...after]
      .filter((s) => s !== global)
      .flatMap((s) => figureChanges(`${s} `, figures(current, s)?.stack, figures(next, s)?.stack)),
  ];
  lines.push(`    figures that change: ${figureLines.length ? "" : "none"}`.trimEnd());
  lines.push(...figureLines.map((l) => `  ${l}`));
  return lines;
}

/**
 * Which stacks run, and in which waves. Pure functions over the project's stack list, so the
 * order rules are tested without Pulumi.
 *
 * Dependencies point one way (global -> regions), so `up`, `preview`, `refresh` and `outputs`
 * run global first and then the regions; `destroy` runs the same waves in reverse.
 */
import type { ProjectStacks } from "../lib/config/project";
import type { Operation, StackRole, StackTarget } from "./types";

/** A bad stack selection or wave option given by the caller (not a config file problem). */
export class SelectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SelectionError";
  }
}

export interface ProjectTargets {
  readonly global: StackTarget;
  /** In the default rollout order: the home region, then the global stack's `platform:regions` list. */
  readonly regions: readonly StackTarget[];
}

export interface WaveOptions {
  /**
   * Regions in the first region wave, which must succeed before the others start.
   * @default 1 - one canary region; 0 puts every region in parallel waves at once
   */
  readonly canary?: number;
  /**
   * Most regions in one wave after the canary.
   * @default unlimited - the rest of the regions in one parallel wave
   */
  readonly maxParallel?: number;
  /**
   * Region stacks in rollout order (the first ones are the canary). Regions left out keep
   * their default order after the ones named.
   * @default the order of the global stack's `platform:regions` list
   */
  readonly order?: readonly string[];
}

export interface Wave {
  /** `global` for the wave holding the global stack; regions never share a wave with it. */
  readonly tier: StackRole;
  readonly stacks: readonly StackTarget[];
}

/**
 * The stacks of a loaded project: the home region first (its Aurora cluster is the global
 * database's primary, which the other regions' secondaries join, and it is the canary by
 * default), then the other regions in the order of the global config's region list.
 */
export function targetsFromProject(project: ProjectStacks): ProjectTargets {
  const home = project.global.config.region;
  const rank = (region: string): number => {
    if (region === home) return -1;
    const i = (project.global.config.regions as readonly string[]).indexOf(region);
    return i === -1 ? Number.MAX_SAFE_INTEGER : i;
  };
  const regions = [...project.regions]
    .sort((a, b) => rank(a.config.region) - rank(b.config.region) || a.stack.localeCompare(b.stack))
    .map((r): StackTarget => ({ stack: r.stack, role: "region", region: r.config.region }));
  return {
    global: { stack: project.global.stack, role: "global", region: project.global.config.region },
    regions,
  };
}

/** Parses `global,us-east-1` (commas and/or spaces); empty means every stack. */
export function parseStackList(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const names = text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return names.length > 0 ? [...new Set(names)] : undefined;
}

function checkCount(name: string, value: number | undefined, min: number): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= min)) {
    throw new SelectionError(`${name} = ${value}: expected a whole number >= ${min}`);
  }
}

function ordered(regions: readonly StackTarget[], order: readonly string[] | undefined) {
  if (order === undefined) return [...regions];
  const byName = new Map(regions.map((r) => [r.stack, r]));
  const unknown = order.filter((name) => !byName.has(name));
  if (unknown.length > 0) {
    throw new SelectionError(
      `region order names ${unknown.map((s) => `"${s}"`).join(", ")}, which ` +
        `${unknown.length === 1 ? "is not a region stack" : "are not region stacks"}; ` +
        `region stacks: ${regions.map((r) => r.stack).join(", ")}`,
    );
  }
  const first = [...new Set(order)].map((name) => byName.get(name) as StackTarget);
  return [...first, ...regions.filter((r) => !order.includes(r.stack))];
}

/**
 * The waves for an operation over a selection of stacks (undefined = all). The global stack is
 * only included when selected: running regions alone is how a region is redeployed.
 */
export function planWaves(
  targets: ProjectTargets,
  operation: Operation,
  selection?: readonly string[],
  options: WaveOptions = {},
): Wave[] {
  checkCount("canary", options.canary, 0);
  checkCount("maxParallel", options.maxParallel, 1);
  const all = [targets.global, ...targets.regions];
  const wanted = new Set(selection ?? all.map((t) => t.stack));
  const unknown = [...wanted].filter((name) => !all.some((t) => t.stack === name));
  if (unknown.length > 0) {
    throw new SelectionError(
      `unknown stack ${unknown.map((s) => `"${s}"`).join(", ")}; ` +
        `stacks of this project: ${all.map((t) => t.stack).join(", ")}`,
    );
  }
  const regions = ordered(targets.regions, options.order).filter((r) => wanted.has(r.stack));
  const waves: Wave[] = [];
  if (wanted.has(targets.global.stack)) waves.push({ tier: "global", stacks: [targets.global] });
  const canary = Math.min(options.canary ?? 1, regions.length);
  if (canary > 0) waves.push({ tier: "region", stacks: regions.slice(0, canary) });
  const rest = regions.slice(canary);
  const size = options.maxParallel ?? Math.max(rest.length, 1);
  for (let i = 0; i < rest.length; i += size) {
    waves.push({ tier: "region", stacks: rest.slice(i, i + size) });
  }
  return operation === "destroy" ? waves.reverse() : waves;
}

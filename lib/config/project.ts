/**
 * The project as a whole: the stack files on disk, and the rules that only hold across stacks
 * (every region in the global list has a stack and the reverse, no two regions share a block,
 * Aurora enabled consistently).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { findOverlap, formatCidr, parseCidr, allocate } from "../cidr";
import type { AwsRegion } from "../regions";
import { ConfigError, type ConfigProblem } from "./errors";
import { parseStackConfig, rawSettings as rawSettingsOf } from "./parse";
import { PROJECT, type GlobalConfig, type RegionConfig } from "./schema";

/** A stack's settings as the engine would hand them over: `ns:key` -> string. */
export type FlatConfig = Record<string, string>;

export interface ProjectStacks {
  readonly global: {
    readonly stack: string;
    readonly config: GlobalConfig;
    readonly flat: FlatConfig;
  };
  readonly regions: ReadonlyArray<{
    readonly stack: string;
    readonly config: RegionConfig;
    readonly flat: FlatConfig;
  }>;
}

function readYaml(file: string, stack: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError([
      {
        stack,
        key: path.basename(file),
        value: undefined,
        message: `cannot read: ${(e as Error).message}`,
      },
    ]);
  }
  try {
    return parseYaml(text);
  } catch (e) {
    throw new ConfigError([
      {
        stack,
        key: path.basename(file),
        value: undefined,
        message: `malformed YAML: ${(e as Error).message.split("\n")[0]}`,
      },
    ]);
  }
}

function asRecord(v: unknown, stack: string, key: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) {
    throw new ConfigError([{ stack, key, value: v, message: "expected a mapping of config keys" }]);
  }
  return v as Record<string, unknown>;
}

const toText = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

/**
 * Project-level values from Pulumi.yaml (`config: platform:services: {value: ...}`), which every
 * stack inherits and may override, as the engine does.
 */
export function readProjectConfig(dir: string): FlatConfig {
  const doc = asRecord(
    readYaml(path.join(dir, "Pulumi.yaml"), "project"),
    "project",
    "Pulumi.yaml",
  );
  const flat: FlatConfig = {};
  for (const [key, decl] of Object.entries(asRecord(doc.config, "project", "Pulumi.yaml config"))) {
    const value =
      decl !== null && typeof decl === "object" && !Array.isArray(decl) && "value" in decl
        ? (decl as { value: unknown }).value
        : decl;
    if (value !== undefined) flat[key.includes(":") ? key : `${PROJECT}:${key}`] = toText(value);
  }
  return flat;
}

/** The stack's own file merged over the project-level values. */
export function readStackFlatConfig(dir: string, stack: string, project: FlatConfig): FlatConfig {
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  const doc = asRecord(readYaml(file, stack), stack, path.basename(file));
  const flat: FlatConfig = { ...project };
  for (const [key, value] of Object.entries(
    asRecord(doc.config, stack, `${path.basename(file)} config`),
  )) {
    flat[key] = toText(value);
  }
  return flat;
}

/** Stack names, from the `Pulumi.<stack>.yaml` files beside Pulumi.yaml. */
export function listStackFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** The rules that hold across stacks. Returns every problem found, not only the first. */
export function crossStackProblems(
  global: { stack: string; config: GlobalConfig },
  regions: ReadonlyArray<{ stack: string; config: RegionConfig }>,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const listed = new Set<string>(global.config.regions);
  const byRegion = new Map<string, string>();
  for (const { stack, config } of regions) {
    const other = byRegion.get(config.region);
    if (other !== undefined) {
      problems.push({
        stack,
        key: "aws:region",
        value: config.region,
        message: `stack "${other}" already deploys this region; one stack per region`,
      });
    }
    byRegion.set(config.region, stack);
    if (!listed.has(config.region)) {
      problems.push({
        stack,
        key: "aws:region",
        value: config.region,
        message: `not in the global stack's platform:regions; allowed: ${global.config.regions.join(", ")}`,
      });
    }
    const target = config.globalStack.split("/").pop();
    if (target !== global.stack) {
      problems.push({
        stack,
        key: `${PROJECT}:globalStack`,
        value: config.globalStack,
        message: `must name the global stack "${global.stack}"`,
      });
    }
  }
  global.config.regions.forEach((region, i) => {
    if (!byRegion.has(region)) {
      problems.push({
        stack: global.stack,
        key: `${PROJECT}:regions[${i}]`,
        value: region,
        message: `no region stack deploys it; add Pulumi.${region}.yaml or remove it from the list`,
      });
    }
  });
  problems.push(...auroraProblems(global, regions));
  problems.push(...evacuationProblems(regions));
  const cidrs = regions.map((r) => parseCidr(r.config.network.vpcCidr));
  for (let rest = [...cidrs.keys()]; rest.length > 1;) {
    const pair = findOverlap(rest.map((i) => cidrs[i]));
    if (!pair) break;
    const [a, b] = [rest[pair[0]], rest[pair[1]]];
    problems.push({
      stack: regions[b].stack,
      key: `${PROJECT}:network.vpcCidr`,
      value: regions[b].config.network.vpcCidr,
      message: `overlaps ${formatCidr(cidrs[a])} of stack "${regions[a].stack}"; VPC blocks must not overlap between regions`,
    });
    rest = rest.filter((i) => i !== b);
  }
  return problems;
}

/**
 * Evacuation takes a region out of the global name's routing; with every region evacuated the
 * global name would answer nothing, so at least one region keeps serving.
 */
export function evacuationProblems(
  regions: ReadonlyArray<{ stack: string; config: RegionConfig }>,
): ConfigProblem[] {
  if (regions.length === 0 || regions.some((r) => !r.config.dns.evacuate)) return [];
  return regions.map(({ stack }) => ({
    stack,
    key: `${PROJECT}:dns.evacuate`,
    value: true,
    message:
      "every region is evacuated, so the global name would answer nothing; keep at least one region serving",
  }));
}

/**
 * Aurora spans stacks: the global stack creates the global database, the home region's stack its
 * primary, the other region stacks its secondaries, all on the global database's engine version.
 */
function auroraProblems(
  global: { stack: string; config: GlobalConfig },
  regions: ReadonlyArray<{ stack: string; config: RegionConfig }>,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const enabled = regions.filter((r) => r.config.aurora.enabled);
  if (enabled.length === 0) return problems;
  const globalAurora = global.config.aurora;
  for (const { stack } of enabled) {
    if (!globalAurora.enabled) {
      problems.push({
        stack,
        key: `${PROJECT}:aurora.enabled`,
        value: true,
        message: `needs the global stack's Aurora global database; set platform:aurora.enabled: true in Pulumi.${global.stack}.yaml`,
      });
    }
  }
  const home = regions.find((r) => r.config.region === global.config.region);
  if (home !== undefined && !home.config.aurora.enabled) {
    problems.push({
      stack: home.stack,
      key: `${PROJECT}:aurora.enabled`,
      value: false,
      message: `the home region's cluster is the global database's primary, which the secondaries of ${enabled.map((r) => `"${r.stack}"`).join(", ")} join; enable it here too`,
    });
  }
  return problems;
}

/** Reads and validates every stack of the project; throws one ConfigError naming all problems. */
export function loadProject(dir: string): ProjectStacks {
  const projectFlat = readProjectConfig(dir);
  const globals: ProjectStacks["global"][] = [];
  const regions: Array<ProjectStacks["regions"][number]> = [];
  for (const stack of listStackFiles(dir)) {
    const flat = readStackFlatConfig(dir, stack, projectFlat);
    const config = parseStackConfig(stack, rawSettingsOf(flat));
    if (config.kind === "global") globals.push({ stack, config, flat });
    else regions.push({ stack, config, flat });
  }
  if (globals.length !== 1) {
    throw new ConfigError([
      {
        stack: globals[1]?.stack ?? "global",
        key: `${PROJECT}:kind`,
        value: globals.length ? "global" : undefined,
        message: `the project needs exactly one global stack, found ${globals.length}`,
      },
    ]);
  }
  const problems = crossStackProblems(globals[0], regions);
  if (problems.length) throw new ConfigError(problems);
  return { global: globals[0], regions };
}

/**
 * A what-if project for another set of regions: the global stack's settings with the region
 * list replaced, and region stacks synthesized from defaults. A region that has a stack file
 * keeps it; the others get a /16 from 10.0.0.0/8 that overlaps no other region's block.
 */
export function whatIfProject(
  base: ProjectStacks,
  regionNames: readonly AwsRegion[],
  newHome?: AwsRegion,
): ProjectStacks {
  const home =
    newHome ??
    (regionNames.includes(base.global.config.region) ? base.global.config.region : regionNames[0]);
  const globalFlat: FlatConfig = {
    ...base.global.flat,
    "aws:region": home,
    [`${PROJECT}:regions`]: JSON.stringify(regionNames),
  };
  const kept = base.regions.filter((r) => regionNames.includes(r.config.region));
  const taken = kept.map((r) => parseCidr(r.config.network.vpcCidr));
  const missing = regionNames.filter((name) => !kept.some((r) => r.config.region === name));
  const blocks = allocate(parseCidr("10.0.0.0/8"), 16, missing.length, taken);
  const template = base.regions[0];
  const synthesized = missing.map((region, i) => {
    const flat: FlatConfig = {
      ...template.flat,
      "aws:region": region,
      [`${PROJECT}:network`]: JSON.stringify({
        ...template.config.network,
        vpcCidr: formatCidr(blocks[i]),
      }),
      [`${PROJECT}:dns`]: JSON.stringify({
        globalName: template.config.dns.globalName,
        regionalName: `${region}.${template.config.dns.globalName}`,
      }),
    };
    return { stack: region, flat };
  });
  const stacks = [{ stack: base.global.stack, flat: globalFlat }, ...kept, ...synthesized];
  const parsed = stacks.map(({ stack, flat }) => ({
    stack,
    flat,
    config: parseStackConfig(stack, rawSettingsOf(flat)),
  }));
  const global = parsed.find((p) => p.config.kind === "global") as ProjectStacks["global"] & {
    config: GlobalConfig;
  };
  const regionStacks = parsed.filter(
    (p): p is ProjectStacks["regions"][number] => p.config.kind === "region",
  );
  const problems = crossStackProblems(global, regionStacks);
  if (problems.length) throw new ConfigError(problems);
  return { global, regions: regionStacks };
}

/**
 * Start time of the program and of the policy pack through the Pulumi CLI's loader (the SDK's
 * cmd/run and cmd/run-policy-pack with its vendored ts-node, plan/cli-host), cold (an empty
 * ts-node cache, as on a fresh CI runner) and warm (the cache of the cold run), with the
 * TypeScript checker on (tsconfig.json: how the CLI loaded them before the deploy configs) and
 * off (what Pulumi.yaml's tsconfig.pulumi.json and policy/tsconfig.json do now).
 *
 *  - program, for the global stack and the first region stack, each with a ts-node cache of its
 *    own (each stack is a job of its own in the deploy workflow), seconds from spawn:
 *    - loaded: until `index.ts` is compiled and loaded (the CLI's `require` of the program
 *      returned), seen by a probe preloaded with `--require` that only records that moment;
 *    - first resource: until the engine receives the program's first resource, after the program
 *      has built its resource graph (the SDK sends registrations once the synchronous part ends);
 *    - whole run: until the process ends, run to completion against the stand-in engine;
 *  - pack: seconds from spawn until the analyzer serves (it writes its port).
 *
 * `npx tsx tools/bench/loader.ts` runs this bench alone.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startPolicyPackThroughCli } from "../../plan/cli-host/policy";
import { loadProject } from "../../lib/config/project";
import { readRuntimeOptions, runStacksThroughCli } from "../../plan/cli-host/run";

const ROOT = path.resolve(__dirname, "../..");
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

export interface LoaderFigure {
  /** `program <stack>` or `pack`. */
  readonly subject: string;
  readonly checker: "on" | "off";
  readonly cache: "cold" | "warm";
  /** Median over the runs: the program loaded, or the pack serving. */
  readonly startSeconds: number;
  /** Median over the runs: to the program's first resource (program only). */
  readonly firstResourceSeconds?: number;
  /** Median over the runs: the whole process (program only). */
  readonly totalSeconds?: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const freshCache = () => fs.mkdtempSync(path.join(os.tmpdir(), "ts-node-bench-"));

type Run = { loaded: number; first: number; total: number };

/**
 * A module preloaded into the program's process (`--require`): after each module load it looks
 * whether the entry point has finished loading, and writes that moment (epoch milliseconds,
 * the same clock as `CliStack.spawnedAtMs`) to $LOADER_PROBE_OUT once. It changes nothing else.
 */
const PROBE = `"use strict";
const Module = require("node:module");
const fs = require("node:fs");
const entry = process.env.LOADER_PROBE_ENTRY;
const out = process.env.LOADER_PROBE_OUT;
const load = Module._load;
let seen = false;
Module._load = function (...args) {
  const result = load.apply(this, args);
  if (!seen && Module._cache[entry] !== undefined && Module._cache[entry].loaded) {
    seen = true;
    fs.writeFileSync(out, String(performance.timeOrigin + performance.now()));
  }
  return result;
};
`;

function probeFile(): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "loader-probe-")), "probe.cjs");
  fs.writeFileSync(file, PROBE);
  return file;
}

/** The global stack and a region stack, each on the ts-node cache named for it. */
async function programOnce(
  checker: "on" | "off",
  stacks: readonly string[],
  caches: Record<string, string>,
): Promise<Run[]> {
  const deploy = readRuntimeOptions(ROOT);
  const probe = probeFile();
  const probeOut = (stack: string) => path.join(path.dirname(probe), `${stack}.loaded`);
  const runs = await runStacksThroughCli({
    root: ROOT,
    stacks,
    // Checker on: the project's tsconfig.json, as the CLI loaded it without the deploy config.
    runtime: {
      ...(checker === "on" ? { ...deploy, tsconfig: undefined } : deploy),
      nodeargs: [deploy.nodeargs ?? "", "--require", probe].join(" ").trim(),
    },
    stackEnv: (stack) => ({
      TS_NODE_CACHE_DIRECTORY: caches[stack],
      LOADER_PROBE_ENTRY: path.join(ROOT, "index.ts"),
      LOADER_PROBE_OUT: probeOut(stack),
    }),
  });
  return runs.map((run) => {
    if (run.result.exitCode !== 0 || run.loadSeconds === undefined) {
      throw new Error(
        `${run.stack} (checker ${checker}) failed: ${run.result.stderr.slice(-1500)}`,
      );
    }
    if (!fs.existsSync(probeOut(run.stack))) {
      throw new Error(`${run.stack}: the probe never saw ${path.join(ROOT, "index.ts")} loaded`);
    }
    const loadedAt = Number(fs.readFileSync(probeOut(run.stack), "utf8"));
    return {
      loaded: (loadedAt - run.spawnedAtMs) / 1000,
      first: run.loadSeconds,
      total: run.result.seconds,
    };
  });
}

/**
 * The pack with the checker on is the pack without policy/tsconfig.json: the same files, seen
 * through a directory holding only links to its entry point and manifests (Node.js follows the
 * links, so every module is the pack's own), where run-policy-pack finds no tsconfig and
 * registers ts-node with its defaults and type checking.
 */
function packWithoutTsconfig(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pack-bench-"));
  const pack = path.join(dir, "policy");
  fs.mkdirSync(pack);
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  for (const f of ["index.ts", "package.json", "PulumiPolicy.yaml"]) {
    fs.symlinkSync(path.join(ROOT, "policy", f), path.join(pack, f));
  }
  return pack;
}

async function packOnce(packDir: string, cacheDir: string) {
  const pack = await startPolicyPackThroughCli({
    packDir,
    engineAddress: "127.0.0.1:1",
    env: { TS_NODE_CACHE_DIRECTORY: cacheDir },
  });
  const info = await pack.info();
  await pack.stop();
  if (info.policies.length === 0) throw new Error("the pack serves no policy");
  return pack.startSeconds;
}

export async function loaderFigures(runs = RUNS): Promise<LoaderFigure[]> {
  const figures: LoaderFigure[] = [];
  const project = loadProject(ROOT);
  const stacks = [project.global.stack, project.regions[0].stack];
  for (const checker of ["on", "off"] as const) {
    // The checker-on runs take half a minute each when cold: once is enough to see it.
    const n = checker === "on" ? 1 : runs;
    const cold: Run[][] = [];
    const warm: Run[][] = [];
    for (let i = 0; i < n; i++) {
      const caches = Object.fromEntries(stacks.map((s) => [s, freshCache()]));
      cold.push(await programOnce(checker, stacks, caches));
      warm.push(await programOnce(checker, stacks, caches));
    }
    for (const [i, stack] of stacks.entries()) {
      for (const [cache, xs] of [
        ["cold", cold],
        ["warm", warm],
      ] as const) {
        figures.push({
          subject: `program ${stack}`,
          checker,
          cache,
          startSeconds: median(xs.map((x) => x[i].loaded)),
          firstResourceSeconds: median(xs.map((x) => x[i].first)),
          totalSeconds: median(xs.map((x) => x[i].total)),
        });
      }
    }
  }
  for (const checker of ["on", "off"] as const) {
    const packDir = checker === "on" ? packWithoutTsconfig() : path.join(ROOT, "policy");
    const n = checker === "on" ? 1 : runs;
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < n; i++) {
      const cache = freshCache();
      cold.push(await packOnce(packDir, cache));
      warm.push(await packOnce(packDir, cache));
    }
    figures.push({ subject: "pack", checker, cache: "cold", startSeconds: median(cold) });
    figures.push({ subject: "pack", checker, cache: "warm", startSeconds: median(warm) });
  }
  return figures;
}

/** Prints the figures, one line each. */
export async function printLoaderFigures(): Promise<void> {
  console.log(
    `CLI loader start (program: loaded, then first resource and whole run; pack: until serving; median of ${RUNS} with the checker off)`,
  );
  for (const f of await loaderFigures()) {
    const more =
      f.firstResourceSeconds === undefined || f.totalSeconds === undefined
        ? ""
        : `, first resource ${f.firstResourceSeconds.toFixed(2)} s, whole run ${f.totalSeconds.toFixed(2)} s`;
    const what = f.subject === "pack" ? "serving" : "loaded";
    console.log(
      `  ${f.subject.padEnd(20)} checker ${f.checker.padEnd(3)} ${f.cache}: ${what} ${f.startSeconds.toFixed(2)} s${more}`,
    );
  }
}

if (require.main === module) {
  printLoaderFigures().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

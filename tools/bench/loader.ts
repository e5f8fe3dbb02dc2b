/**
 * Start time of the program and of the policy pack through the Pulumi CLI's loader (the SDK's
 * cmd/run and cmd/run-policy-pack with its vendored ts-node, plan/cli-host), cold (an empty
 * ts-node cache, as on a fresh CI runner) and warm (the cache of the cold run), with the
 * TypeScript checker on (tsconfig.json: how the CLI loaded them before the deploy configs) and
 * off (what Pulumi.yaml's tsconfig.pulumi.json and policy/tsconfig.json do now).
 *
 *  - program: seconds from spawn to the program's first resource (compiled and loaded), and to
 *    the end of the process (the global stack run to completion against the stand-in engine);
 *  - pack: seconds from spawn until the analyzer serves (it writes its port).
 *
 * `npx tsx tools/bench/loader.ts` runs this bench alone.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startPolicyPackThroughCli } from "../../plan/cli-host/policy";
import { readRuntimeOptions, runStacksThroughCli } from "../../plan/cli-host/run";

const ROOT = path.resolve(__dirname, "../..");
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

export interface LoaderFigure {
  readonly subject: "program" | "pack";
  readonly checker: "on" | "off";
  readonly cache: "cold" | "warm";
  /** Median over the runs: to the first resource (program) or to serving (pack). */
  readonly startSeconds: number;
  /** Median over the runs: the whole process (program only). */
  readonly totalSeconds?: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const freshCache = () => fs.mkdtempSync(path.join(os.tmpdir(), "ts-node-bench-"));

async function programOnce(checker: "on" | "off", cacheDir: string) {
  const deploy = readRuntimeOptions(ROOT);
  const [run] = await runStacksThroughCli({
    root: ROOT,
    stacks: ["global"],
    // Checker on: the project's tsconfig.json, as the CLI loaded it without the deploy config.
    runtime: checker === "on" ? { ...deploy, tsconfig: undefined } : deploy,
    env: { TS_NODE_CACHE_DIRECTORY: cacheDir },
  });
  if (run.result.exitCode !== 0 || run.loadSeconds === undefined) {
    throw new Error(`program (checker ${checker}) failed: ${run.result.stderr.slice(-1500)}`);
  }
  return { start: run.loadSeconds, total: run.result.seconds };
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
  for (const checker of ["on", "off"] as const) {
    // The checker-on runs take half a minute each when cold: once is enough to see it.
    const n = checker === "on" ? 1 : runs;
    const cold: Array<{ start: number; total: number }> = [];
    const warm: Array<{ start: number; total: number }> = [];
    for (let i = 0; i < n; i++) {
      const cache = freshCache();
      cold.push(await programOnce(checker, cache));
      warm.push(await programOnce(checker, cache));
    }
    for (const [cache, xs] of [
      ["cold", cold],
      ["warm", warm],
    ] as const) {
      figures.push({
        subject: "program",
        checker,
        cache,
        startSeconds: median(xs.map((x) => x.start)),
        totalSeconds: median(xs.map((x) => x.total)),
      });
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
    `CLI loader start (program: global stack, to its first resource; pack: until serving; median of ${RUNS} with the checker off)`,
  );
  for (const f of await loaderFigures()) {
    const total = f.totalSeconds === undefined ? "" : `, whole run ${f.totalSeconds.toFixed(2)} s`;
    console.log(
      `  ${f.subject.padEnd(7)} checker ${f.checker.padEnd(3)} ${f.cache}: ${f.startSeconds.toFixed(2)} s${total}`,
    );
  }
}

if (require.main === module) {
  printLoaderFigures().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

/**
 * `npm run bench`: the figures that speed and memory are judged by.
 *  - the offline plan for 2, 4 and 8 regions (separate processes, as a person runs it; median of
 *    several runs), the ratio 8/2 and peak memory;
 *  - policy throughput over a synthetic plan of 10,000 resources;
 *  - the orchestration figure: a parallel wave of N equal regions against global + one region;
 *  - the portal: GET /api/runs/{id} at 64 connections, 100 SSE subscribers to one run.
 *  - the program's and the pack's start through the Pulumi CLI's loader (tools/bench/loader.ts).
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { policyThroughput } from "../policy/bench";
import { orchestrationFigure } from "../automation/bench";
import { portalBench } from "./bench/portal";
import { printLoaderFigures } from "./bench/loader";
import { formatServicesBench, servicesBench } from "./bench/services";

const ROOT = path.resolve(__dirname, "..");
const REGIONS = [
  "us-east-1",
  "eu-central-1",
  "eu-west-1",
  "ap-southeast-2",
  "ap-northeast-1",
  "sa-east-1",
  "us-west-2",
  "ca-central-1",
];
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface PlanRun {
  readonly wallSeconds: number;
  readonly maxRssMiB: number;
  readonly resources: number;
}

function planOnce(regions: number): PlanRun {
  const started = process.hrtime.bigint();
  const child = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "tools/plan.ts",
      "--quiet",
      "--stats",
      "--regions",
      REGIONS.slice(0, regions).join(","),
    ],
    { cwd: ROOT, encoding: "utf8" },
  );
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const line = child.stdout.split("\n").find((l) => l.startsWith("stats: "));
  if (child.status !== 0 || !line) {
    throw new Error(
      `plan for ${regions} regions failed (exit ${child.status}): ${child.stderr.slice(-400)}`,
    );
  }
  const stats = JSON.parse(line.slice("stats: ".length)) as {
    maxRssMiB: number;
    resources: number;
  };
  return { wallSeconds, maxRssMiB: stats.maxRssMiB, resources: stats.resources };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  console.log(`offline plan (wall clock per process, median of ${RUNS} runs)`);
  const medians = new Map<number, number>();
  for (const n of [2, 4, 8]) {
    const runs = Array.from({ length: RUNS }, () => planOnce(n));
    const wall = median(runs.map((r) => r.wallSeconds));
    medians.set(n, wall);
    const rss = Math.max(...runs.map((r) => r.maxRssMiB));
    console.log(
      `  ${n} regions: ${wall.toFixed(2)} s, ${runs[0].resources} resources, peak RSS ${rss.toFixed(0)} MiB`,
    );
  }
  console.log(`  ratio 8/2: ${((medians.get(8) ?? 0) / (medians.get(2) ?? 1)).toFixed(2)}`);

  const policy = await policyThroughput(10_000);
  console.log(
    `policy throughput: ${policy.resources} resources in ${policy.seconds.toFixed(2)} s = ${Math.round(policy.perSecond)} resources/s`,
  );

  const orchestration = await orchestrationFigure(8);
  console.log(
    `orchestration: ${orchestration.regions} regions in ${orchestration.totalMs.toFixed(0)} ms, ratio to global + one region ${orchestration.ratio.toFixed(2)}`,
  );

  await portalBench();
  await printLoaderFigures();
  console.log(formatServicesBench(await servicesBench()));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

/**
 * svc-a under load on a local region (dynalite, s3rver, the SQS and EventBridge stand-ins, svc-c
 * in-process): requests per second and p50/p99 latency of GET and PUT of items at 64 connections
 * (autocannon), and svc-a's peak RSS (VmHWM of its own process). The figures are the local data
 * layer's as much as svc-a's: they compare versions of the service, not regions.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import autocannon from "autocannon";
import { loadProject } from "../../lib/config/project";
import { startLocalRegion } from "../../services/local/region";
import { localRegionOptions } from "../local";

const ROOT = path.resolve(__dirname, "..", "..");

export interface LoadFigure {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
}

export interface ServicesBench {
  readonly connections: number;
  readonly get: LoadFigure;
  readonly put: LoadFigure;
  readonly peakRssMiB: number;
}

type Result = Awaited<ReturnType<typeof autocannon>>;

const figure = (r: Result): LoadFigure => ({
  requestsPerSecond: r.requests.average,
  p50Ms: r.latency.p50,
  p99Ms: r.latency.p99,
  non2xx: r.non2xx,
  errors: r.errors,
});

export async function servicesBench(connections = 64, seconds = 10): Promise<ServicesBench> {
  const project = loadProject(ROOT);
  const region = project.global.config.region;
  const services = project.regions.find((r) => r.config.region === region)!.config.services;
  const local = await startLocalRegion({
    ...localRegionOptions(region, services),
    services: false,
  });
  try {
    const { startSvcC } = await import("../../services/svc-c/src/app");
    const svcC = await startSvcC({ ...local.envFor("svc-c"), LOG_LEVEL: "silent" });
    const child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(ROOT, "services", "svc-a", "src", "main.ts")],
      {
        env: { ...local.envFor("svc-a"), SVC_C_URL: svcC.url, LOG_LEVEL: "info" },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (c: Buffer) => {
        out += c.toString();
        const line = out.split("\n").find((l) => l.includes('"msg":"listening"'));
        if (line) resolve((JSON.parse(line) as { port: number }).port);
      });
      child.on("exit", (code) => reject(new Error(`svc-a exited ${code}`)));
    });
    child.stdout!.resume();
    const url = `http://127.0.0.1:${port}`;
    await fetch(`${url}/a/items/bench-read`, { method: "PUT", body: '{"n":1}' });
    const put = await autocannon({
      url: `${url}/a/items/bench-[<id>]`,
      method: "PUT",
      body: '{"qty":1}',
      headers: { "content-type": "application/json" },
      idReplacement: true,
      connections,
      duration: seconds,
    });
    const get = await autocannon({
      url: `${url}/a/items/bench-read`,
      connections,
      duration: seconds,
    });
    const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
    const hwmKiB = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? "0");
    child.kill("SIGTERM");
    await svcC.drain();
    return { connections, get: figure(get), put: figure(put), peakRssMiB: hwmKiB / 1024 };
  } finally {
    await local.stop();
  }
}

export function formatServicesBench(b: ServicesBench): string {
  const line = (name: string, f: LoadFigure) =>
    `  ${name}: ${f.requestsPerSecond.toFixed(0)} req/s, p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms (non-2xx ${f.non2xx}, errors ${f.errors})`;
  return [
    `svc-a on a local region, ${b.connections} connections`,
    line("GET /a/items/{id}", b.get),
    line("PUT /a/items/{id}", b.put),
    `  svc-a peak RSS ${b.peakRssMiB.toFixed(0)} MiB`,
  ].join("\n");
}

if (require.main === module) {
  servicesBench().then(
    (b) => {
      console.log(formatServicesBench(b));
      process.exit(0);
    },
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}

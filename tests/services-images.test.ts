/**
 * The images: each service's Dockerfile builds from its own directory (every file it copies
 * exists once the bundle is written), from a base pinned by digest, and runs as the non-root uid
 * the Deployment requires; the bundle it copies is the service (it starts, and refuses a bad
 * configuration with exit 2). No Docker engine is needed: the Dockerfile is parsed.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { RUN_AS } from "../components/mesh/workload";
import { daysUntil, NODE_RELEASES, SUPPORT_WARNING_DAYS } from "../lib/support-dates";
import { BUNDLE, bundleService, main, serviceDir } from "../tools/images";
import { regionConfig } from "./mesh-fixtures";
import { until } from "./services-helpers";

const ROOT = path.resolve(__dirname, "..");
const SERVICES = ["svc-a", "svc-b", "svc-c"];

interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** Dockerfile instructions: comments dropped, continuation lines joined. */
export function parseDockerfile(text: string): Instruction[] {
  const lines = text
    .split("\n")
    .filter((l) => !/^\s*#/.test(l))
    .join("\n")
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.map((l) => {
    const [op, ...rest] = l.split(/\s+/);
    return { op: op.toUpperCase(), args: rest.join(" ") };
  });
}

describe("parseDockerfile", () => {
  it("drops comments and joins continuation lines", () => {
    expect(parseDockerfile("# c\nFROM x\nRUN a \\\n  b\ncopy y z\n")).toEqual([
      { op: "FROM", args: "x" },
      { op: "RUN", args: "a b" },
      { op: "COPY", args: "y z" },
    ]);
  });
});

describe.each(SERVICES)("the image of %s", (service) => {
  const dir = serviceDir(ROOT, service);
  const instructions = parseDockerfile(readFileSync(path.join(dir, "Dockerfile"), "utf8"));
  const all = (op: string) => instructions.filter((i) => i.op === op);

  it("starts from one base image, pinned by digest", () => {
    expect(all("FROM")).toHaveLength(1);
    expect(all("FROM")[0].args).toMatch(/^[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}$/);
  });

  it("runs a Node.js release line that is not near its end of life", () => {
    const line = /\/node:(\d+)[-.@]/.exec(all("FROM")[0].args)?.[1];
    const row = NODE_RELEASES[line as keyof typeof NODE_RELEASES];
    expect(row, `node:${line} is a line of the dated table`).toBeDefined();
    // As of the day the table was checked (lib/support-dates.ts), like the plan's flag.
    expect(daysUntil(row.ends, new Date(`${row.checked}T12:00:00Z`))).toBeGreaterThan(
      SUPPORT_WARNING_DAYS,
    );
  });

  it("runs as the Deployment's non-root uid", () => {
    const users = all("USER");
    expect(users.length).toBeGreaterThan(0);
    const [uid, gid] = users[users.length - 1].args.split(":");
    expect(Number(uid)).toBe(RUN_AS);
    expect(Number(gid)).toBe(RUN_AS);
    // Nothing after the USER switches back or runs as root.
    const after = instructions.slice(instructions.lastIndexOf(users[users.length - 1]) + 1);
    expect(after.filter((i) => i.op === "RUN" || i.op === "USER")).toEqual([]);
  });

  it("copies only files of its own directory, which exist once bundled, and runs the bundle", () => {
    bundleService(ROOT, service);
    const copies = [...all("COPY"), ...all("ADD")];
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const parts = copy.args.split(/\s+/).filter((p) => !p.startsWith("--"));
      for (const source of parts.slice(0, -1)) {
        const resolved = path.resolve(dir, source);
        expect(resolved.startsWith(`${dir}${path.sep}`), `${source} is outside ${dir}`).toBe(true);
        expect(existsSync(resolved), `${source} exists`).toBe(true);
      }
    }
    expect(copies.map((c) => c.args)).toContain(`${BUNDLE} ./main.js`);
    expect(JSON.parse(all("CMD")[0].args)).toEqual(["node", "main.js"]);
    const port = regionConfig().services.find((s) => s.name === service)!.port;
    expect(all("EXPOSE").map((e) => e.args)).toEqual([String(port)]);
  });
});

describe("the bundled service", () => {
  it("is the service: it starts and answers its probes, and exits 2 on a bad configuration", async () => {
    bundleService(ROOT, "svc-c");
    const run = (env: Record<string, string>) => {
      const child = spawn(process.execPath, [path.join(serviceDir(ROOT, "svc-c"), BUNDLE)], {
        env: { PATH: process.env.PATH ?? "", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (c: Buffer) => (out += c.toString()));
      child.stderr.on("data", (c: Buffer) => (err += c.toString()));
      const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
      return { child, exited, out: () => out, err: () => err };
    };
    const bad = run({ AWS_REGION: "us-east-1", PLATFORM_REGION: "us-east-1" });
    expect(await bad.exited).toBe(2);
    expect(bad.err()).toContain("BUCKET_NAME is not set");

    const good = run({
      AWS_REGION: "us-east-1",
      PLATFORM_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "x",
      AWS_SECRET_ACCESS_KEY: "x",
      AWS_ENDPOINT_URL_S3: "http://127.0.0.1:9",
      BUCKET_NAME: "b",
      KMS_KEY_ARN: "arn:aws:kms:us-east-1:000000000000:key/k",
      PORT: "0",
      LISTEN_HOST: "127.0.0.1",
      DRAIN_DELAY_MS: "0",
    });
    try {
      const port = await until(
        "the bundle listens",
        () => {
          const line = good
            .out()
            .split("\n")
            .find((l) => l.includes('"msg":"listening"'));
          return line ? (JSON.parse(line) as { port: number }).port : undefined;
        },
        30_000,
      );
      expect((await fetch(`http://127.0.0.1:${port}/livez`)).status).toBe(200);
      // No bucket behind the endpoint: the deep health says so, naming it.
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(503);
      expect(((await health.json()) as { failing: string[] }).failing).toEqual(["bucket"]);
      good.child.kill("SIGTERM");
      expect(await good.exited).toBe(0);
    } finally {
      good.child.kill("SIGKILL");
    }
  });
});

describe("npm run images", () => {
  it("refuses a service that is not in the configuration, with exit 2", () => {
    expect(main(["--bundle", "--service", "svc-x"])).toBe(2);
  });
});

describe("the template's image (a service without a directory of its own)", () => {
  const from = (dir: string) =>
    parseDockerfile(readFileSync(path.join(dir, "Dockerfile"), "utf8")).filter(
      (i) => i.op === "FROM",
    );

  it("starts from the services' base, pinned by the same digest, and runs as their uid", () => {
    const template = path.join(ROOT, "services", "template");
    expect(from(template)).toEqual(from(serviceDir(ROOT, SERVICES[0])));
    const users = parseDockerfile(readFileSync(path.join(template, "Dockerfile"), "utf8")).filter(
      (i) => i.op === "USER",
    );
    expect(users.at(-1)?.args).toBe(`${RUN_AS}:${RUN_AS}`);
  });
});

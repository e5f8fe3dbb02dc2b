/**
 * The pack installs and runs on its own, the way the pipelines and the README install it:
 * `npm ci --prefix policy` from its committed lock file, then the engine's way of starting a
 * TypeScript pack (@pulumi/pulumi's cmd/run-policy-pack: `--pwd` into the pack, ts-node with type
 * checking, the analyzer's gRPC server printing its port). Nothing of the project's own
 * node_modules is reachable from the copy. Needs the npm registry (or a warm npm cache).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import type { AnalyzerInfo } from "@pulumi/pulumi/proto/analyzer_pb";
import { POLICY_NAMES } from "../policy/policies";

const POLICY_DIR = path.resolve(__dirname, "..", "policy");
const root = fs.mkdtempSync(path.join(os.tmpdir(), "policy-install-"));
const pack = path.join(root, "policy");
let server: ReturnType<typeof spawn> | undefined;
afterAll(() => {
  server?.kill();
  fs.rmSync(root, { recursive: true, force: true });
});

describe("the policy pack's own install", () => {
  it("has a lock file that matches its package.json", () => {
    const lock = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "package-lock.json"), "utf8"));
    const manifest = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "package.json"), "utf8"));
    expect(lock.packages[""].dependencies).toEqual(manifest.dependencies);
  });

  it("installs with npm ci and serves the pack's policies over the analyzer protocol", async () => {
    fs.mkdirSync(pack);
    for (const f of fs.readdirSync(POLICY_DIR)) {
      if (f !== "node_modules") fs.cpSync(path.join(POLICY_DIR, f), path.join(pack, f));
    }
    // Asynchronously: a blocked worker would miss the test runner's heartbeats.
    const install = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const child = spawn(
        "npm",
        ["ci", "--prefix", "policy", "--prefer-offline", "--no-audit", "--no-fund"],
        { cwd: root, stdio: ["ignore", "ignore", "pipe"] },
      );
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("close", (status) => resolve({ status, stderr }));
    });
    expect(install.status, install.stderr).toBe(0);

    // As the policy analyzer plugin starts a Node.js pack.
    server = spawn(
      process.execPath,
      [
        path.join(pack, "node_modules/@pulumi/pulumi/cmd/run-policy-pack"),
        "127.0.0.1:1",
        "index.ts",
        "--pwd",
        pack,
      ],
      { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    server.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      server!.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /^(\d+)\s*$/m.exec(out);
        if (m) resolve(Number(m[1]));
      });
      server!.on("exit", (code) => reject(new Error(`pack exited ${code}: ${stderr}`)));
    });

    const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const info = await new Promise<AnalyzerInfo>((resolve, reject) =>
      client.getAnalyzerInfo(new Empty(), (err, res) => (err ? reject(err) : resolve(res))),
    );
    client.close();
    expect(info.getName()).toBe("platform");
    expect(info.getPoliciesList().map((p) => p.getName())).toEqual(POLICY_NAMES);
  }, 900_000);
});

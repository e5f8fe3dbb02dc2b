/**
 * Starts the policy pack the way `pulumi preview --policy-pack <dir>` does, and talks to it over
 * the real `Analyzer` gRPC protocol.
 *
 * Imitated: pulumi/pulumi sdk/go/common/resource/plugin/analyzer_plugin.go, `NewPolicyAnalyzer`:
 * the `pulumi-analyzer-policy` plugin runs the pack's own `@pulumi/pulumi/cmd/run-policy-pack`
 * with node, in the pack's directory, with the arguments `<engine address> .` and the
 * environment of `constructEnv` (PULUMI_CONFIG, PULUMI_NODEJS_PROJECT, PULUMI_NODEJS_STACK,
 * PULUMI_NODEJS_DRY_RUN). The pack (`new PolicyPack(...)`, @pulumi/policy server.js) serves the
 * Analyzer on a loopback port and writes the port as the first line of its stdout, which the
 * engine reads to connect.
 */
import { spawn } from "node:child_process";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as analyzerRpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { PROJECT } from "../../lib/config/schema";
import { inheritedEnv, waitForExit, type ChildResult } from "./run";

export interface PackStart {
  /** The policy pack's directory (PulumiPolicy.yaml). */
  readonly packDir: string;
  /** The engine's address, for the pack's log messages. */
  readonly engineAddress: string;
  readonly stack?: string;
  /** Added to the environment (e.g. TS_NODE_CACHE_DIRECTORY). */
  readonly env?: Record<string, string>;
}

export interface Diagnostic {
  readonly policy: string;
  readonly urn: string;
  readonly enforcementLevel: "advisory" | "mandatory" | "remediate" | "disabled";
  readonly message: string;
}

export interface AnalyzedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  readonly parent?: string;
  readonly protect?: boolean;
}

export interface RunningPack {
  /** Seconds from spawn until the pack wrote its port: the pack's load time. */
  readonly startSeconds: number;
  info(): Promise<{ name: string; policies: string[] }>;
  analyze(resource: AnalyzedResource): Promise<Diagnostic[]>;
  /** Ends the pack process and returns what it wrote. */
  stop(): Promise<ChildResult>;
}

const LEVELS: Record<number, Diagnostic["enforcementLevel"]> = {
  [analyzerPb.EnforcementLevel.ADVISORY]: "advisory",
  [analyzerPb.EnforcementLevel.MANDATORY]: "mandatory",
  [analyzerPb.EnforcementLevel.REMEDIATE]: "remediate",
  [analyzerPb.EnforcementLevel.DISABLED]: "disabled",
};

export async function startPolicyPackThroughCli(opts: PackStart): Promise<RunningPack> {
  const runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", {
    paths: [opts.packDir],
  });
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [runPolicyPack, opts.engineAddress, "."], {
    cwd: opts.packDir,
    env: {
      ...inheritedEnv(),
      PULUMI_CONFIG: "{}",
      PULUMI_NODEJS_PROJECT: PROJECT,
      PULUMI_NODEJS_STACK: opts.stack ?? "global",
      PULUMI_NODEJS_DRY_RUN: "true",
      ...opts.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = waitForExit(child);
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    const onData = (d: Buffer) => {
      out += d.toString();
      const newline = out.indexOf("\n");
      if (newline >= 0) {
        child.stdout?.off("data", onData);
        const line = out.slice(0, newline).trim();
        if (/^\d+$/.test(line)) resolve(Number(line));
        else reject(new Error(`the policy pack wrote "${line}" where its port was expected`));
      }
    };
    child.stdout?.on("data", onData);
    void exited.then((r) =>
      reject(
        new Error(
          `the policy pack exited (${r.exitCode}) before serving: ${r.stderr.slice(-2000)}`,
        ),
      ),
    );
  });
  const startSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const client = new analyzerRpc.AnalyzerClient(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  );
  return {
    startSeconds,
    info: () =>
      new Promise((resolve, reject) =>
        client.getAnalyzerInfo(new Empty(), (err, res) =>
          err
            ? reject(err)
            : resolve({
                name: res.getName(),
                policies: res.getPoliciesList().map((p) => p.getName()),
              }),
        ),
      ),
    analyze: (resource) => {
      const req = new analyzerPb.AnalyzeRequest();
      req.setUrn(resource.urn);
      req.setType(resource.type);
      req.setName(resource.name);
      // marshalResourceOptions: the engine always sends the options, timeouts included.
      const options = new analyzerPb.AnalyzerResourceOptions();
      options.setProtect(resource.protect ?? false);
      options.setCustomtimeouts(new analyzerPb.AnalyzerResourceOptions.CustomTimeouts());
      if (resource.parent) options.setParent(resource.parent);
      req.setOptions(options);
      req.setProperties(
        Struct.fromJavaScript(resource.inputs as Parameters<typeof Struct.fromJavaScript>[0]),
      );
      return new Promise((resolve, reject) =>
        client.analyze(req, (err, res) =>
          err
            ? reject(err)
            : resolve(
                res.getDiagnosticsList().map((d) => ({
                  policy: d.getPolicyname(),
                  urn: d.getUrn(),
                  enforcementLevel: LEVELS[d.getEnforcementlevel()] ?? "advisory",
                  message: d.getMessage(),
                })),
              ),
        ),
      );
    },
    stop: () => {
      client.close();
      child.kill("SIGTERM");
      return exited;
    },
  };
}

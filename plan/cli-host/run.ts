/**
 * Runs the program the way `pulumi preview` does: a Node.js process started on the SDK's own
 * `@pulumi/pulumi/cmd/run`, with the arguments and environment the CLI's Node.js language host
 * gives it, talking gRPC to a stand-in engine (./engine.ts). The program is therefore loaded by
 * the CLI's loader (cmd/run/run.js: the vendored ts-node, the project's tsconfig, the
 * `PULUMI_NODEJS_*` settings), not by tsx.
 *
 * Imitated: pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs/main.go, `execRuntime` and
 * `constructArguments`: `node [nodeargs] <resolved @pulumi/pulumi/cmd/run> --monitor <addr>
 * --engine <addr> --organization <org> --project <p> --root-directory <dir> --stack <s>
 * --pwd <program dir> [--dry-run] --parallel <n> <entry point>`, with `PULUMI_CONFIG` (keys as
 * `<ns>:config:<name>`, `constructConfig`), `PULUMI_CONFIG_SECRET_KEYS`, and from Pulumi.yaml's
 * `runtime.options`: `PULUMI_NODEJS_TYPESCRIPT=true` unless `typescript: false`,
 * `PULUMI_NODEJS_TSCONFIG_PATH` from `tsconfig`, node arguments from `nodeargs` (`parseOptions`).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { loadProject, type FlatConfig } from "../../lib/config/project";
import { PROJECT } from "../../lib/config/schema";
import { RecordingMonitor } from "../monitor";
import type { RecordedResource } from "../record";
import { startWireEngine, type EngineLog } from "./engine";

/** The nodejs `runtime.options` of Pulumi.yaml that the language host turns into a command. */
export interface RuntimeOptions {
  readonly typescript: boolean;
  readonly tsconfig?: string;
  readonly nodeargs?: string;
}

/** Reads `runtime.options` from the project's Pulumi.yaml, as the language host parses them. */
export function readRuntimeOptions(root: string): RuntimeOptions {
  const doc = parseYaml(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as {
    runtime?: string | { name?: string; options?: Record<string, unknown> };
  };
  const options = typeof doc.runtime === "object" ? (doc.runtime.options ?? {}) : {};
  const { typescript = true, tsconfig, nodeargs } = options;
  if (typeof typescript !== "boolean") {
    throw new Error(`Pulumi.yaml runtime.options.typescript must be a boolean, got ${typescript}`);
  }
  if (tsconfig !== undefined && typeof tsconfig !== "string") {
    throw new Error(`Pulumi.yaml runtime.options.tsconfig must be a string, got ${tsconfig}`);
  }
  if (nodeargs !== undefined && typeof nodeargs !== "string") {
    throw new Error(`Pulumi.yaml runtime.options.nodeargs must be a string, got ${nodeargs}`);
  }
  return { typescript, tsconfig, nodeargs };
}

/**
 * The environment a child of the CLI starts from: this process's, less what would change how
 * the program loads or runs (a loader in NODE_OPTIONS, ts-node or Pulumi settings of the caller).
 */
export function inheritedEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => k !== "NODE_OPTIONS" && !k.startsWith("PULUMI_") && !k.startsWith("TS_NODE_"),
    ),
  );
}

export interface ChildResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall clock from spawn to exit. */
  readonly seconds: number;
}

export function waitForExit(child: ReturnType<typeof spawn>): Promise<ChildResult> {
  const started = process.hrtime.bigint();
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    // An abort (see ProgramRun.signal) ends the process; its exit is still awaited.
    child.on("error", (e) => {
      if (e.name !== "AbortError") reject(e);
    });
    child.on("close", (exitCode) =>
      resolve({
        exitCode,
        stdout,
        stderr,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
      }),
    );
  });
}

export interface ProgramRun {
  /** The project directory: Pulumi.yaml, package.json, the program. */
  readonly root: string;
  readonly stack: string;
  readonly config: FlatConfig;
  readonly monitorAddress: string;
  readonly engineAddress: string;
  /** @default true: `pulumi preview` */
  readonly dryRun?: boolean;
  /** Added to the environment (e.g. TS_NODE_CACHE_DIRECTORY, PULUMI_NODEJS_TRANSPILE_ONLY). */
  readonly env?: Record<string, string>;
  /** Overrides Pulumi.yaml's `runtime.options`. */
  readonly runtime?: RuntimeOptions;
  /** Interrupts the program (SIGINT), as the language host does when the engine cancels. */
  readonly signal?: AbortSignal;
}

/** Starts one program run as the language host does, and waits for the process to end. */
export function runProgramProcess(run: ProgramRun): Promise<ChildResult> {
  const runtime = run.runtime ?? readRuntimeOptions(run.root);
  const runPath = require.resolve("@pulumi/pulumi/cmd/run", { paths: [run.root] });
  // constructConfig: the language host hands config over as `<ns>:config:<name>`.
  const config = Object.fromEntries(
    Object.entries(run.config).map(([k, v]) => {
      const i = k.indexOf(":");
      return [`${k.slice(0, i)}:config:${k.slice(i + 1)}`, v];
    }),
  );
  const args = [
    ...(runtime.nodeargs ? runtime.nodeargs.split(/\s+/).filter(Boolean) : []),
    runPath,
    "--monitor",
    run.monitorAddress,
    "--engine",
    run.engineAddress,
    "--organization",
    "organization",
    "--project",
    PROJECT,
    "--root-directory",
    run.root,
    "--stack",
    run.stack,
    "--pwd",
    run.root,
    ...(run.dryRun === false ? [] : ["--dry-run"]),
    "--parallel",
    "16",
    ".",
  ];
  const env: NodeJS.ProcessEnv = {
    ...inheritedEnv(),
    PULUMI_CONFIG: JSON.stringify(config),
    PULUMI_CONFIG_SECRET_KEYS: "[]",
    ...(runtime.typescript ? { PULUMI_NODEJS_TYPESCRIPT: "true" } : {}),
    ...(runtime.tsconfig ? { PULUMI_NODEJS_TSCONFIG_PATH: runtime.tsconfig } : {}),
    ...run.env,
  };
  const child = spawn(process.execPath, args, {
    cwd: run.root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    signal: run.signal,
    killSignal: "SIGINT",
  });
  return waitForExit(child);
}

export interface CliStack {
  readonly stack: string;
  readonly records: readonly RecordedResource[];
  /** The stack resource's outputs, as registered by the program. */
  readonly outputs: Record<string, unknown>;
  readonly logs: readonly EngineLog[];
  readonly result: ChildResult;
  /**
   * Seconds from spawn to the program's first resource after the stack itself: the time the
   * loader took to compile and load the program (the stack resource is registered before).
   */
  readonly loadSeconds: number | undefined;
  /** When the program's process was started (epoch milliseconds, `performance` clock). */
  readonly spawnedAtMs: number;
  /** Monitor calls that failed, and the first failed registration. */
  readonly failures: readonly string[];
}

export interface CliRunOptions {
  readonly root: string;
  /** Stacks to run, in order; default: the global stack, then every region stack. */
  readonly stacks?: readonly string[];
  readonly env?: Record<string, string>;
  /** Added to `env` for one stack (e.g. a ts-node cache of its own, as a fresh CI job has). */
  readonly stackEnv?: (stack: string) => Record<string, string>;
  readonly runtime?: RuntimeOptions;
}

/**
 * Runs the project's stacks one after another through the CLI's loader, each region's
 * StackReference answered with the outputs the global stack's run registered.
 */
export async function runStacksThroughCli(opts: CliRunOptions): Promise<CliStack[]> {
  const project = loadProject(opts.root);
  const all = [
    {
      stack: project.global.stack,
      flat: project.global.flat,
      region: project.global.config.region,
    },
    ...project.regions.map((r) => ({ stack: r.stack, flat: r.flat, region: r.config.region })),
  ];
  const chosen = opts.stacks
    ? opts.stacks.map((s) => {
        const found = all.find((a) => a.stack === s);
        if (!found)
          throw new Error(`no stack "${s}"; stacks: ${all.map((a) => a.stack).join(", ")}`);
        return found;
      })
    : all;

  const stackOutputs = new Map<string, Record<string, unknown>>();
  const monitor = new RecordingMonitor(stackOutputs);
  const engine = await startWireEngine(monitor);
  const results: CliStack[] = [];
  try {
    for (const s of chosen) {
      // The mock monitor builds URNs from this process's stack and project settings.
      pulumi.runtime.setMockOptions(monitor, PROJECT, s.stack, true);
      const failures: string[] = [];
      // A failed registration fails the update: the engine cancels the run and the language
      // host interrupts the program (main.go: cmd.Cancel sends os.Interrupt).
      const cancel = new AbortController();
      monitor.beginStack(s.region).catch((e: unknown) => {
        failures.push(e instanceof Error ? e.message : String(e));
        cancel.abort();
      });
      const logsBefore = engine.logs.length;
      const failuresBefore = engine.failures.length;
      const spawnedAt = process.hrtime.bigint();
      const spawnedAtMs = performance.timeOrigin + performance.now();
      const result = await runProgramProcess({
        root: opts.root,
        stack: s.stack,
        config: s.flat,
        monitorAddress: engine.address,
        engineAddress: engine.address,
        env: { ...opts.env, ...opts.stackEnv?.(s.stack) },
        runtime: opts.runtime,
        signal: cancel.signal,
      });
      const records = [...monitor.records];
      const outputs = records.find((r) => r.type === "pulumi:pulumi:Stack")?.outputs ?? {};
      stackOutputs.set(s.stack, outputs);
      const first = engine.registrations.find(
        (r) => r.at >= spawnedAt && r.type !== "pulumi:pulumi:Stack",
      );
      results.push({
        stack: s.stack,
        records,
        outputs,
        logs: engine.logs.slice(logsBefore),
        result,
        loadSeconds: first ? Number(first.at - spawnedAt) / 1e9 : undefined,
        spawnedAtMs,
        failures: [...engine.failures.slice(failuresBefore), ...failures],
      });
    }
  } finally {
    await engine.close();
  }
  return results;
}

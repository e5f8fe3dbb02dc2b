/**
 * The program and the policy pack loaded the way the Pulumi CLI loads them: through the SDK's own
 * `cmd/run` and `cmd/run-policy-pack` (its tsutils and vendored ts-node, the settings of
 * Pulumi.yaml), talking gRPC to a stand-in engine (plan/cli-host). Whatever only works under tsx
 * (the offline plan and the other tests) fails here.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWireEngine } from "../plan/cli-host/engine";
import { startPolicyPackThroughCli, type RunningPack } from "../plan/cli-host/policy";
import {
  readRuntimeOptions,
  runProgramProcess,
  runStacksThroughCli,
  type CliStack,
} from "../plan/cli-host/run";
import { RecordingMonitor } from "../plan/monitor";
import { runPlan, type PlanResult } from "../plan/plan";
import type { RecordedResource } from "../plan/record";
import { evaluateResources } from "../policy/offline";
import { ALL_POLICIES, POLICY_NAMES } from "../policy/policies";
import { runProgram } from "../programs";
import { countByType, PROJECT_DIR } from "./fixtures";

// The SDK's tsutils, which cmd/run and cmd/run-policy-pack read a tsconfig with (internal API).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tsutils = require("@pulumi/pulumi/tsutils") as {
  loadTypeScriptCompilerOptions(file: string): Record<string, unknown>;
};

/** The exit code cmd/run ends with once it has logged the program's error to the engine. */
const EXITED_AFTER_LOGGING = 32;
const LONG = 900_000;

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
const urns = (records: readonly RecordedResource[]) => records.map((r) => r.urn).sort();

function compilerOptions(file: string): ts.CompilerOptions {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    file,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    },
  );
  if (!parsed) throw new Error(`cannot read ${file}`);
  return parsed.options;
}

// What decides the JavaScript a file compiles to. The deploy configs must repeat these: the
// SDK reads only the named file's own compilerOptions and puts its own defaults (module
// nodenext, target ES2020) above whatever that file extends (cmd/run/run.js, tsutils.js).
const EMIT_OPTIONS = ["target", "module", "moduleResolution", "esModuleInterop"] as const;

describe("the deploy-time compiler settings", () => {
  it("Pulumi.yaml sends the CLI to tsconfig.pulumi.json, which the SDK reads as transpile-only", () => {
    const runtime = readRuntimeOptions(PROJECT_DIR);
    expect(runtime).toMatchObject({ typescript: true, tsconfig: "tsconfig.pulumi.json" });
    const own = tsutils.loadTypeScriptCompilerOptions(path.join(PROJECT_DIR, runtime.tsconfig!));
    // cmd/run/run.js: transpileOnly = PULUMI_NODEJS_TRANSPILE_ONLY, else compilerOptions.noCheck.
    expect(own.noCheck).toBe(true);
  });

  it("the pack's tsconfig, the one run-policy-pack reads, compiles each file on its own", () => {
    // cmd/run-policy-pack/run.js always registers ts-node with typeCheck on, reading
    // ./tsconfig.json: ts-node then compiles through a language service over every import.
    // noCheck stops the checker, which is sound for code that isolatedModules accepts, as
    // tsconfig.json requires. No noResolve: the ts-node that `npm ci --prefix policy` installs
    // cannot find the pack's own imports without resolution (tests/policy-install.test.ts).
    const own = tsutils.loadTypeScriptCompilerOptions(
      path.join(PROJECT_DIR, "policy/tsconfig.json"),
    );
    expect(own).toMatchObject({ noCheck: true, isolatedModules: true });
    expect(own.noResolve).toBeUndefined();
    expect(compilerOptions(path.join(PROJECT_DIR, "tsconfig.json")).isolatedModules).toBe(true);
  });

  it("the deploy configs compile like the checked tsconfig.json, which keeps checking", () => {
    const checked = compilerOptions(path.join(PROJECT_DIR, "tsconfig.json"));
    expect(checked.noCheck).toBeUndefined();
    for (const file of ["tsconfig.pulumi.json", "policy/tsconfig.json"]) {
      const own = tsutils.loadTypeScriptCompilerOptions(path.join(PROJECT_DIR, file));
      const parsed = compilerOptions(path.join(PROJECT_DIR, file));
      for (const key of EMIT_OPTIONS) {
        expect(own[key], `${file}: ${key}`).toBeDefined();
        expect(parsed[key], `${file}: ${key}`).toBe(checked[key]);
      }
    }
  });

  it("a type error still fails `npm run typecheck` (tsc -p tsconfig.json)", () => {
    // A copy of the project's tsconfig over one broken file: the settings npm test uses.
    const dir = tmp("typecheck-");
    const base = ts.readConfigFile(path.join(PROJECT_DIR, "tsconfig.json"), ts.sys.readFile);
    fs.writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({ ...base.config, include: ["*.ts"], exclude: [] }),
    );
    fs.writeFileSync(path.join(dir, "broken.ts"), 'export const n: number = "not a number";\n');
    const parsed = compilerOptions(path.join(dir, "tsconfig.json"));
    const program = ts.createProgram([path.join(dir, "broken.ts")], {
      ...parsed,
      types: [],
    });
    const errors = ts.getPreEmitDiagnostics(program).map((d) => d.code);
    expect(errors).toContain(2322);
  });
});

describe("the program through the CLI's loader", () => {
  let offline: PlanResult;
  let cli: CliStack[];
  let cacheDir: string;
  beforeAll(async () => {
    offline = await runPlan({ dir: PROJECT_DIR, program: runProgram });
    cacheDir = tmp("ts-node-cache-");
    cli = await runStacksThroughCli({
      root: PROJECT_DIR,
      env: { TS_NODE_CACHE_DIRECTORY: cacheDir },
    });
  }, LONG);

  it("runs every stack, the global one first, to a clean exit with no error logged", () => {
    expect(cli.map((s) => s.stack)).toEqual(offline.stacks.map((s) => s.stack));
    for (const s of cli) {
      expect({ stack: s.stack, exit: s.result.exitCode, stderr: s.result.stderr }).toEqual({
        stack: s.stack,
        exit: 0,
        stderr: expect.any(String),
      });
      expect(s.logs.filter((l) => l.severity === "error")).toEqual([]);
      expect(s.failures).toEqual([]);
    }
  });

  it("registers in every stack exactly the resources of the offline plan", () => {
    for (const [i, s] of cli.entries()) {
      const planned = offline.stacks[i];
      expect(s.records.length, s.stack).toBeGreaterThan(50);
      expect(countByType(s.records), s.stack).toEqual(countByType(planned.records));
      expect(urns(s.records), s.stack).toEqual(urns(planned.records));
    }
  });

  it("exports the same outputs as the offline plan, and the regions read the global ones", () => {
    for (const [i, s] of cli.entries()) {
      expect(Object.keys(s.outputs).sort(), s.stack).toEqual(
        Object.keys(offline.stacks[i].document.outputs).sort(),
      );
    }
    const refs = cli
      .slice(1)
      .flatMap((s) => s.records.filter((r) => r.type === "pulumi:pulumi:StackReference"));
    expect(refs.length).toBe(cli.length - 1);
  });

  it("compiled through ts-node (its cache holds the program's modules)", () => {
    const compiled = fs
      .readdirSync(cacheDir, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".js"));
    // index.ts, programs/, lib/, components/: every module the program loads.
    expect(compiled.length).toBeGreaterThan(20);
  });

  describe("the policy pack through run-policy-pack", () => {
    let pack: RunningPack;
    beforeAll(async () => {
      pack = await startPolicyPackThroughCli({
        packDir: path.join(PROJECT_DIR, "policy"),
        engineAddress: "127.0.0.1:1",
        env: { TS_NODE_CACHE_DIRECTORY: cacheDir },
      });
    }, LONG);
    afterAll(async () => {
      await pack?.stop();
    });

    it("serves the pack and every policy over the Analyzer protocol", async () => {
      const info = await pack.info();
      expect(info.name).toBe("platform");
      expect([...info.policies].sort()).toEqual([...POLICY_NAMES].sort());
    });

    it("judges every resource of every stack as the offline evaluator does", async () => {
      const resourcePolicies = new Set(
        ALL_POLICIES.filter((p) => p.kind === "resource").map((p) => p.name),
      );
      const key = (d: { policy: string; urn: string; enforcementLevel: string }) =>
        `${d.policy} ${d.enforcementLevel} ${d.urn}`;
      for (const s of cli) {
        const resources = s.records.filter((r) => r.custom && r.op === "create");
        const served = (
          await Promise.all(
            resources.map(async (r) =>
              (await pack.analyze(r)).map((d) => key({ ...d, urn: d.urn || r.urn })),
            ),
          )
        ).flat();
        const expected = evaluateResources(resources)
          .violations.filter((v) => resourcePolicies.has(v.policy))
          .map(key);
        expect(served.sort(), s.stack).toEqual(expected.sort());
      }
    });

    it("reports a queue without a customer-managed key", async () => {
      const queue = cli
        .flatMap((s) => s.records)
        .find((r) => r.type === "aws:sqs/queue:Queue" && r.inputs.kmsMasterKeyId);
      expect(queue).toBeDefined();
      expect(await pack.analyze(queue!)).toEqual([]);
      const { kmsMasterKeyId: _dropped, ...inputs } = queue!.inputs;
      const diagnostics = await pack.analyze({ ...queue!, inputs });
      expect(diagnostics.map((d) => [d.policy, d.enforcementLevel])).toEqual([
        ["sqs-queue-cmk", "mandatory"],
      ]);
    });
  });
});

describe("a program that only runs under tsx", () => {
  it(
    "fails through the CLI's loader, which type-checks unless told otherwise",
    async () => {
      const dir = tmp("tsx-only-");
      fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"));
      fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: platform\nruntime: nodejs\n");
      fs.writeFileSync(
        path.join(dir, "package.json"),
        JSON.stringify({ name: "tsx-only", main: "index.ts" }),
      );
      fs.writeFileSync(
        path.join(dir, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            target: "ES2022",
            module: "commonjs",
            // Without it the SDK's default (nodenext) clashes with module commonjs: TS5110.
            moduleResolution: "node",
            strict: true,
            types: [],
          },
        }),
      );
      // tsx strips the types and runs this; the CLI's ts-node refuses to compile it.
      fs.writeFileSync(
        path.join(dir, "index.ts"),
        'const answer: number = "forty-two";\nexport const out = answer;\n',
      );
      const engine = await startWireEngine(new RecordingMonitor());
      try {
        const run = (env: Record<string, string>) =>
          runProgramProcess({
            root: dir,
            stack: "global",
            config: {},
            monitorAddress: engine.address,
            engineAddress: engine.address,
            env: { TS_NODE_CACHE_DIRECTORY: tmp("ts-node-cache-"), ...env },
          });
        const checked = await run({});
        expect(checked.exitCode).toBe(EXITED_AFTER_LOGGING);
        const errors = engine.logs.filter((l) => l.severity === "error").map((l) => l.message);
        expect(errors.join("\n")).toMatch(/Unable to compile TypeScript[\s\S]*TS2322/);

        // The same program with the checker off (what the deploy config does) loads and runs.
        const logged = engine.logs.length;
        const transpiled = await run({ PULUMI_NODEJS_TRANSPILE_ONLY: "true" });
        expect(transpiled.exitCode).toBe(0);
        expect(engine.logs.slice(logged).filter((l) => l.severity === "error")).toEqual([]);
      } finally {
        await engine.close();
      }
    },
    LONG,
  );
});

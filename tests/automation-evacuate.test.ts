/**
 * Region evacuation through the automation library, with an in-memory StackOperations in place of
 * the Pulumi CLI: the stack file edit (comments kept), the one stack it deploys, the refusals,
 * and what the plan then shows.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  changeRouting,
  runRoutingCommand,
  withEvacuate,
  writeEvacuation,
} from "../automation/evacuate";
import { MemoryStackOperations } from "../automation/memory";
import { MISSING_PULUMI_MESSAGE } from "../automation/preflight";
import { ConfigError } from "../lib/config/errors";
import { loadProject } from "../lib/config/project";
import { runPlan } from "../plan/plan";
import { runProgram } from "../programs";
import { SelectionError } from "../automation/waves";
import { copyProject, editStack, ofType } from "./fixtures";

const dirs: string[] = [];
const project = () => {
  const dir = copyProject();
  dirs.push(dir);
  return dir;
};
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const stackFile = (dir: string, stack: string) =>
  fs.readFileSync(path.join(dir, `Pulumi.${stack}.yaml`), "utf8");

describe("withEvacuate", () => {
  it("sets the key and keeps every comment and every other line", () => {
    const text = [
      "# a region",
      "config:",
      "  aws:region: eu-central-1",
      "  platform:dns:",
      "    globalName: api.example.com # served by latency",
      "    regionalName: eu.api.example.com",
      "  platform:kind: region",
      "",
    ].join("\n");
    const next = withEvacuate(text, true);
    expect(next).toBe(
      text.replace(
        "    regionalName: eu.api.example.com\n",
        "    regionalName: eu.api.example.com\n    evacuate: true\n",
      ),
    );
    expect(withEvacuate(next, false)).toContain("    evacuate: false\n");
  });

  it("refuses a file without platform:dns, and malformed YAML", () => {
    expect(() => withEvacuate("config:\n  aws:region: x\n", true, "Pulumi.x.yaml")).toThrow(
      "Pulumi.x.yaml: has no platform:dns",
    );
    expect(() => withEvacuate("config: [\n", true, "Pulumi.x.yaml")).toThrow(
      "Pulumi.x.yaml: malformed YAML",
    );
  });
});

describe("changeRouting", () => {
  it("writes the setting, then runs up on that region stack only, and says who serves", async () => {
    const dir = project();
    const before = stackFile(dir, "us-east-1");
    const operations = new MemoryStackOperations();
    const result = await changeRouting({
      projectDir: dir,
      region: "us-east-1",
      action: "evacuate",
      operations,
    });
    expect(result).toMatchObject({
      stack: "us-east-1",
      region: "us-east-1",
      fileChanged: true,
      serving: ["eu-central-1"],
    });
    expect(result.run.ok).toBe(true);
    expect(operations.calls.map((c) => `${c.operation} ${c.stack}`)).toEqual(["up us-east-1"]);
    const after = stackFile(dir, "us-east-1");
    expect(after).toBe(before.replace("    evacuate: false\n", "    evacuate: true\n"));
    expect(loadProject(dir).regions.find((r) => r.stack === "us-east-1")!.config.dns.evacuate).toBe(
      true,
    );

    const restored = await changeRouting({
      projectDir: dir,
      region: "us-east-1",
      action: "restore",
      operations,
    });
    expect(restored.serving).toEqual(["us-east-1", "eu-central-1"].sort());
    expect(stackFile(dir, "us-east-1")).toBe(before);
  });

  it("runs up again when the file already says so (converging), without rewriting it", async () => {
    const dir = project();
    const operations = new MemoryStackOperations();
    const result = await changeRouting({
      projectDir: dir,
      region: "eu-central-1",
      action: "restore",
      operations,
    });
    expect(result.fileChanged).toBe(false);
    expect(operations.calls.map((c) => c.stack)).toEqual(["eu-central-1"]);
  });

  it("keeps the file changed when the up fails, so that running again converges", async () => {
    const dir = project();
    const operations = new MemoryStackOperations({ failures: { "eu-central-1": "boom" } });
    const result = await changeRouting({
      projectDir: dir,
      region: "eu-central-1",
      action: "evacuate",
      operations,
    });
    expect(result.run.ok).toBe(false);
    expect(result.run.stacks[0].error).toContain("boom");
    expect(stackFile(dir, "eu-central-1")).toContain("evacuate: true");
  });

  it("refuses to evacuate the last serving region, and unknown regions, writing nothing", () => {
    const dir = project();
    editStack(dir, "eu-central-1", (c) => {
      (c["platform:dns"] as Record<string, unknown>).evacuate = true;
    });
    const before = stackFile(dir, "us-east-1");
    expect(() => writeEvacuation(dir, "us-east-1", "evacuate")).toThrow(SelectionError);
    expect(() => writeEvacuation(dir, "us-east-1", "evacuate")).toThrow(
      "it is the last region serving the global name",
    );
    expect(() => writeEvacuation(dir, "ap-south-1", "evacuate")).toThrow(
      /"ap-south-1" is not a region of this project \(regions: (eu-central-1, us-east-1|us-east-1, eu-central-1)\)/,
    );
    expect(stackFile(dir, "us-east-1")).toBe(before);
  });

  it("rejects stack files that evacuate every region, naming the key", () => {
    const dir = project();
    for (const stack of ["us-east-1", "eu-central-1"]) {
      editStack(dir, stack, (c) => {
        (c["platform:dns"] as Record<string, unknown>).evacuate = true;
      });
    }
    expect(() => loadProject(dir)).toThrow(ConfigError);
    expect(() => loadProject(dir)).toThrow(
      /platform:dns\.evacuate.*keep at least one region serving/,
    );
  });
});

describe("runRoutingCommand (the CLI's evacuate / restore)", () => {
  it("prints the outcome and exits 0, or 2 with a message for an unknown region", async () => {
    const dir = project();
    let out = "";
    let err = "";
    const io = { write: (t: string) => (out += t), writeError: (t: string) => (err += t) };
    const code = await runRoutingCommand("evacuate", "eu-central-1", {
      projectDir: dir,
      json: true,
      credentialCheck: false,
      operations: new MemoryStackOperations(),
      ...io,
    });
    expect(code).toBe(0);
    const summary = JSON.parse(out.trim().split("\n").pop()!);
    expect(summary).toEqual({
      type: "routing-changed",
      action: "evacuate",
      region: "eu-central-1",
      stack: "eu-central-1",
      fileChanged: true,
      ok: true,
      serving: ["us-east-1"],
    });
    const bad = await runRoutingCommand("restore", "xx-west-9", {
      projectDir: dir,
      json: false,
      credentialCheck: false,
      operations: new MemoryStackOperations(),
      ...io,
    });
    expect(bad).toBe(2);
    expect(err).toContain('platform restore: cannot run: "xx-west-9" is not a region');
  });
});

describe("the plan of an evacuated region", () => {
  it("shows the region out of the global name and the others serving", async () => {
    const dir = project();
    writeEvacuation(dir, "eu-central-1", "evacuate");
    const result = await runPlan({ dir, program: runProgram });
    const outputs = Object.fromEntries(
      result.stacks.filter((s) => s.kind === "region").map((s) => [s.stack, s.document.outputs]),
    );
    expect(outputs["eu-central-1"].globalRouting).toBe("evacuated");
    expect(outputs["us-east-1"].globalRouting).toBe("serving");
    const latency = (stack: string) =>
      ofType(result.stacks.find((s) => s.stack === stack)!.records, "aws:route53/record:Record")
        .filter((r) => r.inputs.setIdentifier)
        .map((r) => r.inputs.name);
    expect(latency("eu-central-1")).toEqual([]);
    expect(latency("us-east-1")).toEqual(["api.platform.example.com"]);
  });
});

describe("the platform CLI", () => {
  const cli = (args: string[]) => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "platform-evacuate-"));
    dirs.push(home);
    const root = path.resolve(__dirname, "..");
    const tsx = path.join(root, "node_modules", "tsx", "dist", "cli.mjs");
    const r = spawnSync(process.execPath, [tsx, "tools/platform.ts", ...args], {
      cwd: root,
      // Only node on PATH: no Pulumi CLI, whatever this machine has.
      env: {
        PATH: path.dirname(process.execPath),
        HOME: home,
      },
      encoding: "utf8",
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it("lists evacuate and restore, and exits 2 without the Pulumi CLI, changing no file", () => {
    const help = cli(["--help"]);
    expect(help.stdout).toMatch(/evacuate \[options\] <region>/);
    expect(help.stdout).toMatch(/restore \[options\] <region>/);
    const dir = project();
    const before = stackFile(dir, "us-east-1");
    const r = cli(["evacuate", "us-east-1", "--project-dir", dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`platform evacuate: cannot run: ${MISSING_PULUMI_MESSAGE}`);
    expect(stackFile(dir, "us-east-1")).toBe(before);
  });
});

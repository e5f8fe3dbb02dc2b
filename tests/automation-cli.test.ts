/**
 * The CLI as a user runs it (`npx tsx tools/platform.ts ...`): help, and exit 2 with a clear
 * message when the run cannot start. Each run gets a PATH with only node on it and an empty
 * home, so that the answer does not depend on what this machine has installed.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MISSING_CREDENTIALS_MESSAGE, MISSING_PULUMI_MESSAGE } from "../automation/preflight";
import { loadProject } from "../lib/config/project";

const root = path.resolve(__dirname, "..");
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "platform-cli-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** A directory with a stand-in `pulumi` (never run: preflight only looks it up). */
const fakeBin = path.join(scratch, "bin");
fs.mkdirSync(fakeBin);
fs.writeFileSync(path.join(fakeBin, "pulumi"), "#!/bin/sh\nexit 3\n", { mode: 0o755 });

function platform(
  args: string[],
  opts: { withPulumi?: boolean; env?: Record<string, string> } = {},
) {
  const PATH = [path.dirname(process.execPath), ...(opts.withPulumi ? [fakeBin] : [])].join(
    path.delimiter,
  );
  const env: NodeJS.ProcessEnv = {
    PATH,
    HOME: scratch,
    PULUMI_HOME: path.join(scratch, "pulumi-home"),
    ...opts.env,
  };
  // Node.js itself runs tsx: PATH holds node's directory only, which need not hold npx.
  const tsx = path.join(root, "node_modules", "tsx", "dist", "cli.mjs");
  const r = spawnSync(process.execPath, [tsx, "tools/platform.ts", ...args], {
    cwd: root,
    env,
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("platform CLI", () => {
  it("prints help naming every operation and the exit codes", () => {
    const r = platform(["--help"]);
    expect(r.code).toBe(0);
    for (const word of [
      "preview",
      "up",
      "destroy",
      "refresh",
      "outputs",
      "Exit codes",
      "PULUMI_BACKEND_URL",
    ]) {
      expect(r.stdout).toContain(word);
    }
    const up = platform(["up", "--help"]);
    expect(up.code).toBe(0);
    for (const flag of [
      "--stacks",
      "--canary",
      "--max-parallel",
      "--json",
      "--continue-on-failure",
    ]) {
      expect(up.stdout).toContain(flag);
    }
  });

  it("exits 2 with a clear message when the Pulumi CLI is missing", () => {
    const r = platform(["up", "--stacks", "global,us-east-1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`platform up: cannot run: ${MISSING_PULUMI_MESSAGE}`);
  });

  it("in --json mode also reports the error as a JSON line", () => {
    const r = platform(["preview", "--json"]);
    expect(r.code).toBe(2);
    expect(
      r.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l)),
    ).toEqual([{ type: "error", exitCode: 2, message: MISSING_PULUMI_MESSAGE }]);
  });

  it("exits 2 on a bad argument", () => {
    const r = platform(["up", "--canary", "many"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "option '--canary <n>' argument 'many' is invalid. expected a whole number >= 0",
    );
  });

  it("exits 2 on bad config, naming the stack and the key", () => {
    const project = path.join(scratch, "bad-project");
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: platform\nruntime: nodejs\n");
    fs.writeFileSync(
      path.join(project, "Pulumi.global.yaml"),
      "config:\n  platform:kind: everywhere\n",
    );
    const r = platform(["preview", "--project-dir", project], { withPulumi: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'platform preview: bad configuration: stack "global": config key platform:kind = "everywhere"',
    );
  });

  it("exits 2 on an unknown stack", () => {
    const r = platform(["waves", "--stacks", "global,mars-1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown stack "mars-1"');
  });

  let projectLoads = true;
  try {
    loadProject(root);
  } catch (e) {
    projectLoads = false;
    console.log(
      `[automation] credential check skipped: the project's config does not load (${(e as Error).message})`,
    );
  }

  it.skipIf(!projectLoads)("exits 2 with a clear message when AWS credentials are missing", () => {
    const r = platform(["preview"], {
      withPulumi: true,
      env: { PULUMI_BACKEND_URL: "s3://state/platform" },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`platform preview: cannot run: ${MISSING_CREDENTIALS_MESSAGE}`);
  });

  it.skipIf(!projectLoads)("prints the planned waves as JSON without a Pulumi CLI", () => {
    const r = platform(["waves"]);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as {
      global: string;
      canary: string[];
      rest: string[];
      waves: string[][];
    };
    const project = loadProject(root);
    expect(plan.global).toBe(project.global.stack);
    expect(plan.waves[0]).toEqual([project.global.stack]);
    expect(plan.canary).toHaveLength(1);
    expect([...plan.canary, ...plan.rest].sort()).toEqual(
      project.regions.map((r) => r.stack).sort(),
    );
  });
});

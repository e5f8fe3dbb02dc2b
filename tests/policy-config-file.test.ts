/**
 * PLATFORM_POLICY_CONFIG: a relative path is read from where the user ran the command, not from
 * the pack's directory the engine starts it in; errors name the file.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  candidatePaths,
  policyConfigFromEnv,
  resolvePolicyConfigPath,
} from "../policy/config-file";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "policy-config-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const project = path.join(root, "project");
const packDir = path.join(project, "policy");
const elsewhere = path.join(root, "ops");
fs.mkdirSync(packDir, { recursive: true });
fs.mkdirSync(path.join(elsewhere, "conf"), { recursive: true });
fs.writeFileSync(
  path.join(elsewhere, "conf", "levels.yaml"),
  "enforcement:\n  sns-topic-cmk: advisory\n",
);
fs.writeFileSync(path.join(project, "pack.yaml"), "enforcement:\n  sqs-queue-cmk: disabled\n");

// Under the engine the pack's process runs in the pack's directory.
const underEngine = (env: Record<string, string | undefined>) => ({ env, cwd: packDir, packDir });

describe("resolving PLATFORM_POLICY_CONFIG", () => {
  it("reads a path relative to where npm was run (INIT_CWD)", () => {
    const config = policyConfigFromEnv(
      underEngine({ PLATFORM_POLICY_CONFIG: "conf/levels.yaml", INIT_CWD: elsewhere }),
    );
    expect(config?.enforcement["sns-topic-cmk"]).toBe("advisory");
  });

  it("reads a path relative to the shell's directory (PWD)", () => {
    expect(resolvePolicyConfigPath("conf/levels.yaml", underEngine({ PWD: elsewhere }))).toBe(
      path.join(elsewhere, "conf", "levels.yaml"),
    );
  });

  it("reads a path relative to the project when nothing says where the user was", () => {
    expect(resolvePolicyConfigPath("pack.yaml", underEngine({}))).toBe(
      path.join(project, "pack.yaml"),
    );
  });

  it("takes an absolute path as it is", () => {
    const file = path.join(elsewhere, "conf", "levels.yaml");
    expect(candidatePaths(file, underEngine({ INIT_CWD: project }))).toEqual([file]);
  });

  it("names the variable, the value and every place it looked when the file is missing", () => {
    expect(() =>
      resolvePolicyConfigPath("nope.yaml", underEngine({ INIT_CWD: elsewhere })),
    ).toThrow(
      `PLATFORM_POLICY_CONFIG=nope.yaml: no such file (looked for ${path.join(elsewhere, "nope.yaml")}, ${path.join(project, "nope.yaml")}, ${path.join(packDir, "nope.yaml")})`,
    );
  });

  it("names the file when its content is invalid", () => {
    const bad = path.join(elsewhere, "bad.yaml");
    fs.writeFileSync(bad, "enforcement:\n  no-such-policy: mandatory\n");
    expect(() =>
      policyConfigFromEnv(underEngine({ PLATFORM_POLICY_CONFIG: "bad.yaml", INIT_CWD: elsewhere })),
    ).toThrow(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: invalid policy config`));
  });

  it("starts the pack with the defaults when the variable is unset or empty", () => {
    expect(policyConfigFromEnv(underEngine({}))).toBeUndefined();
    expect(policyConfigFromEnv(underEngine({ PLATFORM_POLICY_CONFIG: "" }))).toBeUndefined();
  });
});

describe("the pack's entry point", () => {
  it("fails to start naming the file, from the pack's directory, as under the engine", () => {
    // Loading policy/index.ts reads the config before it constructs the pack (which would start
    // the analyzer's server); a missing file must stop it there with the variable named.
    const run = spawnSync(process.execPath, ["--import", "tsx", "index.ts"], {
      cwd: path.resolve(__dirname, "..", "policy"),
      env: { ...process.env, PLATFORM_POLICY_CONFIG: "missing-config.yaml", INIT_CWD: elsewhere },
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("PLATFORM_POLICY_CONFIG=missing-config.yaml: no such file");
  });
});

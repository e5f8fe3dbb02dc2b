/**
 * The automation layer against the recording fake `pulumi` (tests/fake-pulumi), through the real
 * Automation API (`LocalWorkspace`, `Stack`): which stacks are selected or created, which backend
 * is used, what a destroy checks first, which error classes reach the caller, cancel, and the
 * process-wide serialisation of stack selection.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  ConcurrentUpdateError,
  StackNotFoundError,
  type PulumiCommand,
} from "@pulumi/pulumi/automation";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  ConfirmationError,
  platform,
  ProtectedResourcesError,
  runPlatform,
} from "../automation/platform";
import { findBackend, MISSING_BACKEND_MESSAGE, PreflightError } from "../automation/preflight";
import { commandError, InterruptiblePulumiCommand } from "../automation/pulumi-command";
import { AutomationStackOperations, engineMessage } from "../automation/pulumi-operations";
import { copyProject } from "./fixtures";
import { FAKE_PULUMI_ROOT, FakePulumi } from "./fake-pulumi/harness";

const cleanup: Array<() => void> = [];
afterEach(() => cleanup.splice(0).forEach((f) => f()));

function setup() {
  const fake = new FakePulumi();
  const dir = copyProject();
  cleanup.push(
    () => fake.remove(),
    () => fs.rmSync(dir, { recursive: true, force: true }),
  );
  const operations = new AutomationStackOperations({
    projectDir: dir,
    backendUrl: "s3://state/platform",
    pulumiRoot: FAKE_PULUMI_ROOT,
    policyPacks: [],
    env: fake.env(),
  });
  return { fake, dir, operations };
}

describe("the backend is the user's, never one chosen here", () => {
  const dir = copyProject();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each<[string, Record<string, string>, ReturnType<typeof findBackend>]>([
    ["nothing", { HOME: "/nonexistent" }, undefined],
    [
      "PULUMI_BACKEND_URL",
      { HOME: "/nonexistent", PULUMI_BACKEND_URL: "s3://state" },
      { url: "s3://state", source: "PULUMI_BACKEND_URL" },
    ],
    [
      "an access token (Pulumi Cloud)",
      { HOME: "/nonexistent", PULUMI_ACCESS_TOKEN: "pul-x" },
      { url: "https://api.pulumi.com", source: "PULUMI_ACCESS_TOKEN" },
    ],
  ])("from %s", (_, env, expected) => {
    expect(findBackend(dir, env)).toEqual(expected);
  });

  it("from `pulumi login` ($PULUMI_HOME/credentials.json) and the project file", () => {
    const home = fs.mkdtempSync(path.join(dir, "home-"));
    fs.writeFileSync(
      path.join(home, "credentials.json"),
      JSON.stringify({ current: "s3://login-bucket", accessTokens: {} }),
    );
    expect(findBackend(dir, { PULUMI_HOME: home })).toEqual({
      url: "s3://login-bucket",
      source: "pulumi login",
    });
    // The environment wins over the login, as in the CLI.
    expect(findBackend(dir, { PULUMI_HOME: home, PULUMI_BACKEND_URL: "file:///x" })?.url).toBe(
      "file:///x",
    );
    const project = fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8");
    fs.writeFileSync(
      path.join(dir, "Pulumi.yaml"),
      `${project}\nbackend:\n  url: s3://project-bucket\n`,
    );
    expect(findBackend(dir, { PULUMI_HOME: home })).toEqual({
      url: "s3://project-bucket",
      source: "Pulumi.yaml backend.url",
    });
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), project);
  });

  it("refuses to construct the operations without one, and creates no folder", () => {
    const saved = { ...process.env };
    try {
      delete process.env.PULUMI_BACKEND_URL;
      delete process.env.PULUMI_ACCESS_TOKEN;
      process.env.PULUMI_HOME = path.join(dir, "no-login");
      expect(() => new AutomationStackOperations({ projectDir: dir })).toThrow(
        new PreflightError(MISSING_BACKEND_MESSAGE),
      );
      expect(fs.readdirSync(dir).filter((f) => !f.startsWith("Pulumi"))).toEqual(
        fs.readdirSync(dir).filter((f) => f.startsWith("home-")),
      );
    } finally {
      process.env = saved;
    }
  });

  it("passes an explicit backend to every command, and none when it is the login's", async () => {
    const { fake, dir: project, operations } = setup();
    fake.stack("global");
    await runPlatform("outputs", { projectDir: project, stacks: ["global"], operations });
    const explicit = fake.calls().map((c) => c.backend);
    expect(explicit.length).toBeGreaterThan(0);
    expect(new Set(explicit)).toEqual(new Set(["s3://state/platform"]));

    const saved = { ...process.env };
    try {
      delete process.env.PULUMI_BACKEND_URL;
      process.env.PULUMI_HOME = fs.mkdtempSync(path.join(project, "home-"));
      fs.writeFileSync(
        path.join(process.env.PULUMI_HOME, "credentials.json"),
        JSON.stringify({ current: "s3://login-bucket" }),
      );
      const fromLogin = new AutomationStackOperations({
        projectDir: project,
        pulumiRoot: FAKE_PULUMI_ROOT,
        policyPacks: [],
        env: fake.env(),
      });
      expect(fromLogin.backendUrl).toBe("s3://login-bucket");
      const before = fake.calls().length;
      await runPlatform("outputs", {
        projectDir: project,
        stacks: ["global"],
        operations: fromLogin,
      });
      // The CLI reads its own login: nothing overrides it.
      expect(
        new Set(
          fake
            .calls()
            .slice(before)
            .map((c) => c.backend),
        ),
      ).toEqual(new Set([null]));
    } finally {
      process.env = saved;
    }
  });
});

describe("stacks are created by up only", () => {
  it("preview of a stack that does not exist selects, fails with StackNotFoundError, writes nothing", async () => {
    const { fake, dir, operations } = setup();
    const before = fs.readFileSync(path.join(dir, "Pulumi.us-east-1.yaml"), "utf8");
    const result = await runPlatform("preview", {
      projectDir: dir,
      stacks: ["us-east-1"],
      operations,
    });
    const [stack] = result.stacks;
    expect([stack.status, stack.errorName]).toEqual(["failed", "StackNotFoundError"]);
    expect(stack.cause).toBeInstanceOf(StackNotFoundError);
    expect(stack.error).toBe("error: no stack named 'us-east-1' found");
    expect(fake.commands()).toEqual(["stack select --stack us-east-1"]);
    expect(fake.exists("us-east-1")).toBe(false);
    expect(fs.readFileSync(path.join(dir, "Pulumi.us-east-1.yaml"), "utf8")).toBe(before);
    // The cause never leaks into JSON (a portal serialises results as they are).
    expect(JSON.stringify(stack)).not.toContain("commandResult");
  });

  it("preview of an existing stack previews it and reads the engine's summary", async () => {
    const { fake, dir, operations } = setup();
    fake.stack("us-east-1");
    const result = await runPlatform("preview", {
      projectDir: dir,
      stacks: ["us-east-1"],
      operations,
    });
    expect(result.stacks.map((s) => [s.status, s.changes])).toEqual([["succeeded", { same: 1 }]]);
    expect(fake.commands()).toEqual([
      "stack select --stack us-east-1",
      "preview --color never --exec-kind auto.local --stack us-east-1",
    ]);
  });

  it("up creates a stack that does not exist (stack init) and deploys it", async () => {
    const { fake, dir, operations } = setup();
    const result = await runPlatform("up", { projectDir: dir, stacks: ["global"], operations });
    expect(result.ok).toBe(true);
    expect(fake.commands().slice(0, 3)).toEqual([
      "stack select --stack global",
      "stack init global",
      "up --yes --skip-preview --color never --exec-kind auto.local --stack global",
    ]);
    expect(fake.exists("global")).toBe(true);
  });
});

describe("errors keep their class", () => {
  it("a locked stack fails with ConcurrentUpdateError and the engine's whole message", async () => {
    const { fake, dir, operations } = setup();
    fake.stack("global").lock("global");
    const result = await runPlatform("up", { projectDir: dir, stacks: ["global"], operations });
    const [stack] = result.stacks;
    expect(stack.errorName).toBe("ConcurrentUpdateError");
    expect(stack.cause).toBeInstanceOf(ConcurrentUpdateError);
    expect(stack.error?.split("\n")).toEqual([
      "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.",
      "s3://state/.pulumi/locks/organization/platform/global/0b7c.json: created by ci@runner (pid 4242) at 2026-12-01T23:00:00Z",
    ]);
  });

  it("keeps every line of a protected-resource refusal, from stdout and stderr", () => {
    const e = commandError(
      [
        "Previewing destroy (global):",
        "Diagnostics:",
        "  aws:kms/key:Key (state-key):",
        '    error: unable to delete resource "urn:pulumi:global::platform::aws:kms/key:Key::state-key"',
        "    as it is currently marked for protection. To unprotect the resource, remove the `protect` flag",
        "    from the resource in your Pulumi program and run `pulumi up`, or use the command:",
        "    `pulumi state unprotect 'urn:pulumi:global::platform::aws:kms/key:Key::state-key'`",
        "",
        "Resources:",
        "    3 deleted",
      ].join("\n"),
      "error: destroy failed\n",
      255,
    );
    expect(e.name).toBe("CommandError");
    expect(engineMessage(e)?.split("\n")).toEqual([
      'error: unable to delete resource "urn:pulumi:global::platform::aws:kms/key:Key::state-key"',
      "as it is currently marked for protection. To unprotect the resource, remove the `protect` flag",
      "from the resource in your Pulumi program and run `pulumi up`, or use the command:",
      "`pulumi state unprotect 'urn:pulumi:global::platform::aws:kms/key:Key::state-key'`",
      "error: destroy failed",
    ]);
  });
});

describe("destroy", () => {
  it("refuses without explicit stacks or without confirmation, before any command", async () => {
    const { fake, dir, operations } = setup();
    await expect(
      runPlatform("destroy", { projectDir: dir, operations, confirm: true }),
    ).rejects.toThrow(ConfirmationError);
    await expect(
      runPlatform("destroy", { projectDir: dir, operations, stacks: ["us-east-1"] }),
    ).rejects.toThrow("destroy of us-east-1 deletes their resources: confirm with --yes");
    expect(fake.calls()).toEqual([]);
  });

  it("lists protected resources up front and deletes nothing when there are any", async () => {
    const { fake, dir, operations } = setup();
    const urn = "urn:pulumi:eu-central-1::platform::aws:kms/key:Key::region-key";
    fake.stack("us-east-1").stack("eu-central-1", { protected: [urn] });
    const run = runPlatform("destroy", {
      projectDir: dir,
      operations,
      stacks: ["us-east-1", "eu-central-1"],
      confirm: true,
    });
    await expect(run).rejects.toThrow(ProtectedResourcesError);
    await expect(run).rejects.toThrow(`[eu-central-1] ${urn}`);
    expect(fake.commands().filter((c) => c.startsWith("destroy"))).toEqual([]);
    expect(
      fake
        .commands()
        .filter((c) => c.startsWith("stack export"))
        .sort(),
    ).toEqual([
      "stack export --show-secrets --stack eu-central-1",
      "stack export --show-secrets --stack us-east-1",
    ]);
  });

  it("destroys the named stacks when confirmed and nothing is protected", async () => {
    const { fake, dir, operations } = setup();
    fake.stack("us-east-1");
    const result = await runPlatform("destroy", {
      projectDir: dir,
      operations,
      stacks: ["us-east-1"],
      confirm: true,
    });
    expect(result.ok).toBe(true);
    expect(fake.commands().filter((c) => c.startsWith("destroy"))).toHaveLength(1);
  });
});

describe("cancel", () => {
  it("runs `pulumi cancel --yes` on each named stack and reports each", async () => {
    const { fake, dir, operations } = setup();
    fake.stack("global").lock("global");
    const results = await platform({ projectDir: dir, operations }).cancel({
      stacks: ["global", "us-east-1"],
    });
    expect(results).toEqual([
      { stack: "global", status: "cancelled" },
      {
        stack: "us-east-1",
        status: "failed",
        error: "error: no stack named 'us-east-1' found",
        errorName: "StackNotFoundError",
      },
    ]);
    expect(fake.commands()).toContain("cancel --yes --stack global");
    expect(fake.locked("global")).toBe(false);
  });
});

describe("stack selection is serialised per project directory, across runs", () => {
  it("two runs on one project never select at the same time", async () => {
    const { fake, dir } = setup();
    fake.stack("global").stack("us-east-1").mode("slow-select");
    const make = () =>
      new AutomationStackOperations({
        projectDir: dir,
        backendUrl: "s3://state/platform",
        pulumiRoot: FAKE_PULUMI_ROOT,
        policyPacks: [],
        env: fake.env(),
      });
    await Promise.all([
      runPlatform("outputs", { projectDir: dir, stacks: ["global"], operations: make() }),
      runPlatform("outputs", { projectDir: dir, stacks: ["us-east-1"], operations: make() }),
    ]);
    const events = fake.selections().map((s) => s.event);
    expect(events).toEqual(["begin", "end", "begin", "end"]);
  });
});

describe("the command runner", () => {
  it("is what LocalWorkspace calls, and keeps the SDK's version check", async () => {
    const command = await InterruptiblePulumiCommand.get(FAKE_PULUMI_ROOT);
    const sdk: PulumiCommand = command.asPulumiCommand();
    expect(sdk.command).toBe(path.join(FAKE_PULUMI_ROOT, "bin", "pulumi"));
    expect(String(sdk.version)).toBe("3.205.0");
    expect(command.active).toBe(0);
  });
});

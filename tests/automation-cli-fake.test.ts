/**
 * The platform CLI as an operator runs it, against the recording fake `pulumi` on PATH
 * (tests/fake-pulumi): no backend means exit 2 and nothing created; preview never creates a
 * stack; destroy needs its stacks and --yes; cancel; and one Ctrl-C is one interrupt, delivered
 * the way a terminal delivers it (to the whole foreground process group, through `npm run`).
 */
import { spawn, spawnSync } from "node:child_process";
import type * as dgram from "node:dgram";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { LOCAL_STATE_DIR, MISSING_BACKEND_MESSAGE } from "../automation/preflight";
import { copyProject } from "./fixtures";
import { dnsStandIn } from "./dns-stand-in";
import { FAKE_PULUMI_BIN, FakePulumi, until } from "./fake-pulumi/harness";

const root = path.resolve(__dirname, "..");
const cleanup: Array<() => void> = [];
afterEach(() => cleanup.splice(0).forEach((f) => f()));

function setup() {
  const fake = new FakePulumi();
  const dir = copyProject();
  const home = path.join(fake.state, "home");
  fs.mkdirSync(home);
  cleanup.push(
    () => fake.remove(),
    () => fs.rmSync(dir, { recursive: true, force: true }),
  );
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    PATH: [FAKE_PULUMI_BIN, path.dirname(process.execPath), "/usr/bin", "/bin"].join(
      path.delimiter,
    ),
    HOME: home,
    PULUMI_HOME: path.join(home, ".pulumi"),
    AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
    AWS_SECRET_ACCESS_KEY: "example",
    npm_config_cache: path.join(home, "npm-cache"),
    npm_config_update_notifier: "false",
    ...fake.env(),
    ...extra,
  });
  // Asynchronous, so that the test worker stays responsive while the CLI runs.
  const cli = (args: string[], extra: Record<string, string> = {}) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [path.join(root, "node_modules", "tsx", "dist", "cli.mjs"), "tools/platform.ts", ...args],
        { cwd: root, env: env(extra), stdio: ["ignore", "pipe", "pipe"] },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  return { fake, dir, env, cli };
}

const BACKEND = { PULUMI_BACKEND_URL: "s3://state/platform" };

describe("platform CLI with a recording pulumi", { timeout: 180_000 }, () => {
  it("no backend: exit 2 naming both ways to set one, no pulumi command, no folder", async () => {
    const { fake, dir, cli } = setup();
    const before = fs.readdirSync(dir).sort();
    const r = await cli(["up", "--stacks", "global", "--project-dir", dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`platform up: cannot run: ${MISSING_BACKEND_MESSAGE}`);
    expect(MISSING_BACKEND_MESSAGE).toMatch(/pulumi login .*PULUMI_BACKEND_URL/s);
    expect(fake.calls()).toEqual([]);
    expect(fs.readdirSync(dir).sort()).toEqual(before);
    expect(fs.existsSync(path.join(dir, LOCAL_STATE_DIR))).toBe(false);
    expect(fs.existsSync(path.join(root, LOCAL_STATE_DIR))).toBe(false);
  });

  it("uses the backend `pulumi login` stored, without overriding it", async () => {
    const { fake, dir, cli, env } = setup();
    fake.stack("global");
    const pulumiHome = env().PULUMI_HOME as string;
    fs.mkdirSync(pulumiHome, { recursive: true });
    fs.writeFileSync(
      path.join(pulumiHome, "credentials.json"),
      JSON.stringify({ current: "s3://login-bucket" }),
    );
    const r = await cli(["outputs", "--stacks", "global", "--project-dir", dir]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const calls = fake.calls().filter((c) => c.args[0] !== "version");
    expect(calls.length).toBeGreaterThan(0);
    expect(new Set(calls.map((c) => c.backend))).toEqual(new Set([null]));
  });

  it("preview never creates a stack: a missing one fails, its stack file untouched", async () => {
    const { fake, dir, cli } = setup();
    fake.stack("global");
    const file = path.join(dir, "Pulumi.us-east-1.yaml");
    const before = fs.readFileSync(file, "utf8");
    const r = await cli(["preview", "--stacks", "global,us-east-1", "--project-dir", dir], BACKEND);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("[us-east-1] failed");
    expect(r.stdout).toContain("no stack named 'us-east-1' found");
    expect(fake.commands().filter((c) => c.startsWith("stack init"))).toEqual([]);
    expect(fake.exists("us-east-1")).toBe(false);
    expect(fs.readFileSync(file, "utf8")).toBe(before);
  });

  it.each([
    [["destroy", "--yes"], "destroy needs the stacks named explicitly"],
    [["destroy", "--stacks", "us-east-1"], "confirm with --yes"],
  ])("%j refuses with exit 2 before any pulumi command", async (args, message) => {
    const { fake, dir, cli } = setup();
    fake.stack("global").stack("us-east-1");
    const r = await cli([...args, "--project-dir", dir], BACKEND);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(fake.commands().filter((c) => c !== "version")).toEqual([]);
  });

  it("destroy shows protected resources up front and deletes nothing", async () => {
    const { fake, dir, cli } = setup();
    const urn = "urn:pulumi:us-east-1::platform::aws:kms/key:Key::region-key";
    fake.stack("us-east-1", { protected: [urn] });
    const r = await cli(
      ["destroy", "--stacks", "us-east-1", "--yes", "--project-dir", dir],
      BACKEND,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`[us-east-1] ${urn}`);
    expect(r.stderr).toContain("pulumi state unprotect");
    expect(fake.commands().filter((c) => c.startsWith("destroy"))).toEqual([]);
  });

  it("cancel releases a stuck stack and says to refresh", async () => {
    const { fake, dir, cli } = setup();
    fake.stack("global").lock("global");
    const r = await cli(["cancel", "--stacks", "global", "--yes", "--project-dir", dir], BACKEND);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("[global] update cancelled; now run: npm run platform -- refresh");
    expect(fake.commands()).toContain("cancel --yes --stack global");
    expect(fake.locked("global")).toBe(false);
  });
});

/**
 * Starts `npm run platform -- up` as a terminal would: in a process group of its own, so that
 * `kill(-pid)` is the keystroke (the kernel delivers Ctrl-C to every process of the foreground
 * group: npm, the shell, tsx and node).
 */
function startUp(env: NodeJS.ProcessEnv, dir: string) {
  const child = spawn(
    "npm",
    ["run", "--silent", "platform", "--", "up", "--stacks", "global", "--project-dir", dir],
    { cwd: root, env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  let stdout = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  const ctrlC = () => process.kill(-(child.pid as number), "SIGINT");
  return { exited, ctrlC, out: () => ({ stdout, stderr }) };
}

describe("Ctrl-C", { timeout: 180_000 }, () => {
  it("one Ctrl-C is one interrupt to pulumi: a graceful cancel, and the run reports it", async () => {
    const { fake, dir, env } = setup();
    fake.stack("global").mode("hold");
    const run = startUp(env(BACKEND), dir);
    await until(() => fake.started("global"), "pulumi up to start");
    run.ctrlC();
    await run.exited;
    const ups = fake.calls().filter((c) => c.args[0] === "up");
    expect(ups).toHaveLength(1);
    expect(fake.signals()).toEqual([{ pid: ups[0].pid, signal: "SIGINT", command: "up" }]);
    // npm re-raises the interrupt on itself once its script ended, so its own exit is by signal;
    // the CLI's verdict is in its output.
    expect(run.out().stdout).toContain("up did not succeed");
    expect(run.out().stderr).toContain("cancelling:");
    expect(run.out().stderr).not.toContain("terminating:");
    expect(run.out().stdout).toContain("[global] cancelled");
  });

  it("a second Ctrl-C, after the first was acknowledged, is the explicit hard stop", async () => {
    const { fake, dir, env } = setup();
    fake.stack("global").mode("hold").mode("slow-cancel");
    const run = startUp(env(BACKEND), dir);
    await until(() => fake.started("global"), "pulumi up to start");
    run.ctrlC();
    await until(() => run.out().stderr.includes("cancelling:"), "the cancel notice");
    await until(() => fake.signals().length === 1, "the first interrupt");
    // Interrupts closer together than the CLI's coalescing window are one keystroke relayed by
    // the wrappers (npm, tsx); this one is a second keystroke.
    await new Promise((r) => setTimeout(r, 1500));
    run.ctrlC();
    await run.exited;
    expect(fake.signals().map((s) => s.signal)).toEqual(["SIGINT", "SIGINT"]);
    expect(run.out().stderr).toContain("terminating:");
  });
});

describe(
  "platform up of region stacks checks the zone's delegation first",
  { timeout: 180_000 },
  () => {
    const ZONE_NS = ["ns-1.awsdns-01.org", "ns-2.awsdns-02.net", "ns-3.awsdns-03.com"];
    let server: dgram.Socket;
    let dnsEnv: Record<string, string>;
    beforeAll(async () => {
      server = dnsStandIn({ "platform.example.com": ZONE_NS }, []);
      await new Promise<void>((resolve) => server.bind(0, "127.0.0.1", resolve));
      dnsEnv = { ...BACKEND, PLATFORM_DNS_SERVERS: `127.0.0.1:${server.address().port}` };
    });
    afterAll(() => server.close());
    const globalOutputs = (zoneName: string) => ({
      outputs: { zoneName, nameServers: ZONE_NS, homeRegion: "us-east-1" },
    });
    const ups = (fake: FakePulumi) => fake.commands().filter((c) => c.startsWith("up"));

    it("refuses (exit 2) an up of regions whose zone nothing delegates, before any up", async () => {
      const { fake, dir, cli } = setup();
      fake.stack("global", globalOutputs("new.example.com"));
      const r = await cli(["up", "--stacks", "us-east-1", "--project-dir", dir], dnsEnv);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        "platform up: cannot run: new.example.com is not delegated: add an NS record for new.example.com",
      );
      expect(fake.commands()).toContain("stack output --json --show-secrets --stack global");
      expect(ups(fake)).toEqual([]);
    });

    it("deploys the regions once the parent delegates to the zone's name servers", async () => {
      const { fake, dir, cli } = setup();
      fake.stack("global", globalOutputs("platform.example.com"));
      const r = await cli(["up", "--stacks", "us-east-1", "--project-dir", dir], dnsEnv);
      expect([r.code, r.stderr]).toEqual([0, ""]);
      expect(ups(fake).map((c) => c.match(/--stack (\S+)/)?.[1])).toEqual(["us-east-1"]);
    });

    it("refuses regions in the same run as the global stack's first deploy", async () => {
      const { fake, dir, cli } = setup();
      const r = await cli(["up", "--project-dir", dir], dnsEnv);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        "stack global does not exist yet: deploy it first (up --stacks global)",
      );
      expect(ups(fake)).toEqual([]);
      expect(fake.exists("global")).toBe(false);
    });

    it.each([
      ["--no-delegation-check", ["--no-delegation-check"], {}],
      ["PLATFORM_SKIP_DELEGATION_CHECK=true", [], { PLATFORM_SKIP_DELEGATION_CHECK: "true" }],
    ])("%s deploys without asking", async (_what, flags, extraEnv) => {
      const { fake, dir, cli } = setup();
      fake.stack("global", globalOutputs("new.example.com"));
      const r = await cli(["up", "--stacks", "us-east-1", ...flags, "--project-dir", dir], {
        ...dnsEnv,
        ...extraEnv,
      });
      expect(r.code).toBe(0);
      expect(fake.commands().filter((c) => /^stack output.*--stack global/.test(c))).toEqual([]);
      expect(ups(fake)).toHaveLength(1);
    });

    it("platform delegation: 0 for a delegated zone, 2 naming the NS record otherwise", async () => {
      const { cli } = setup();
      const ns = ZONE_NS.join(",");
      const ok = await cli(
        ["delegation", "--zone", "platform.example.com", "--name-servers", ns],
        dnsEnv,
      );
      expect([ok.code, ok.stdout.trim()]).toEqual([
        0,
        "platform.example.com is delegated to its zone's name servers",
      ]);
      const no = await cli(
        ["delegation", "--zone", "new.example.com", "--name-servers", ns],
        dnsEnv,
      );
      expect(no.code).toBe(2);
      expect(no.stderr).toContain("platform delegation: new.example.com is not delegated");
      const bad = await cli(
        ["delegation", "--zone", "platform.example.com", "--name-servers", ns],
        { ...dnsEnv, PLATFORM_DNS_SERVERS: "dns.example.com" },
      );
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(
        'PLATFORM_DNS_SERVERS: "dns.example.com": not a resolver address',
      );
      const empty = await cli(
        ["delegation", "--zone", "new.example.com", "--name-servers", ","],
        dnsEnv,
      );
      expect(empty.code).toBe(2);
      expect(empty.stderr).toContain('--name-servers ",": expected a comma-separated list');
    });

    it("the deploy workflow's steps, as written: read the global zone, then check it", async () => {
      const { fake, cli, env } = setup();
      fake.stack("global", globalOutputs("new.example.com"));
      type Step = { id?: string; run?: string; env?: Record<string, string> };
      const workflow = parse(
        fs.readFileSync(path.join(root, ".github/workflows/stack.yml"), "utf8"),
      ) as {
        jobs: { run: { steps: Step[] } };
      };
      const steps = workflow.jobs.run.steps;
      const read = steps.find((s) => s.id === "zone");
      const check = steps.find((s) => s.run?.includes("platform -- delegation"));
      const githubOutput = path.join(fake.state, "github-output");
      // GitHub's bash steps: bash --noprofile --norc -eo pipefail {0}.
      const r = spawnSync(
        "bash",
        ["--noprofile", "--norc", "-eo", "pipefail", "-c", read?.run ?? ""],
        {
          cwd: root,
          env: { ...env(), GLOBAL_STACK: "global", GITHUB_OUTPUT: githubOutput },
          encoding: "utf8",
        },
      );
      expect([r.status, r.stderr]).toEqual([0, ""]);
      const outputs = Object.fromEntries(
        fs
          .readFileSync(githubOutput, "utf8")
          .trim()
          .split("\n")
          .map((l) => l.split(/=(.*)/s).slice(0, 2)),
      );
      expect(outputs).toEqual({ name: "new.example.com", "name-servers": ZONE_NS.join(",") });
      // The check step's command line, its variables filled in from those outputs.
      expect(check?.run).toBe(
        'npm run --silent platform -- delegation --zone "$ZONE" --name-servers "$NAME_SERVERS"',
      );
      const refused = await cli(
        ["delegation", "--zone", outputs.name, "--name-servers", outputs["name-servers"]],
        dnsEnv,
      );
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(
        `add an NS record for new.example.com in its parent zone with ${ZONE_NS.join(", ")}`,
      );
    });
  },
);

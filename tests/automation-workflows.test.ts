/**
 * The CI/CD workflows parse, and every command they run exists: `npm run X` only for scripts
 * in package.json, and the deployment order global -> canary -> the rest.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { serviceSchema } from "../lib/config/schema";
import { releaseImages } from "../tools/images";

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
  env?: Record<string, string>;
  run?: string;
  uses?: string;
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
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}

const load = (file: string): Workflow =>
  parse(fs.readFileSync(path.join(dir, file), "utf8")) as Workflow;
const runs = (wf: Workflow): string[] =>
  Object.values(wf.jobs).flatMap((j) =>
    (j.steps ?? []).map((s) => s.run ?? "").filter((r) => r.length > 0),
  );

describe("workflows", () => {
  it("has a pull-request and a deploy workflow", () => {
    expect(files).toEqual(["deploy.yml", "pull-request.yml"]);
  });

  it.each(files)("%s parses and calls only npm scripts that exist", (file) => {
    const wf = load(file);
    expect(Object.keys(wf.jobs).length).toBeGreaterThan(0);
    const called = runs(wf).flatMap((r) =>
      [...r.matchAll(/npm run(?:\s+--?[\w-]+)*\s+([\w:-]+)/g)].map((m) => m[1]),
    );
    expect(called.length).toBeGreaterThan(0);
    expect(called.filter((s) => !scripts.includes(s))).toEqual([]);
    // Every other command is npm itself, the pulumi CLI, or shell plumbing: no npx tools.
    expect(runs(wf).filter((r) => /\bnpx\b/.test(r))).toEqual([]);
  });

  it("pull requests: install, test, offline plan with the policy gate, then preview with OIDC", () => {
    const wf = load("pull-request.yml");
    expect(Object.keys(wf.on)).toEqual(["pull_request"]);
    expect(runs({ ...wf, jobs: { gate: wf.jobs.gate } }).slice(0, 4)).toEqual([
      "npm ci",
      "npm test",
      "npm run plan -- --out plan-out",
      "npm run policy -- check plan-out/*.json",
    ]);
    const preview = wf.jobs.preview;
    expect(preview.needs).toBe("gate");
    expect(preview.permissions?.["id-token"]).toBe("write");
    expect(
      preview.steps?.some((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@")),
    ).toBe(true);
    expect(
      runs({ ...wf, jobs: { preview } }).some((r) =>
        /pulumi preview --stack .* --policy-pack policy/.test(r),
      ),
    ).toBe(true);
  });

  it("main: images, then global, then the canary, then the rest, with environments and a failure notice", () => {
    const wf = load("deploy.yml");
    expect(wf.on.push).toEqual({ branches: ["main"] });
    const needs = (job: string) => [wf.jobs[job].needs ?? []].flat();
    expect(needs("images")).toEqual(["gate"]);
    expect(needs("global")).toEqual(["gate", "images"]);
    expect(needs("canary")).toEqual(["gate", "global"]);
    expect(needs("regions")).toEqual(["gate", "canary"]);
    for (const job of ["global", "canary", "regions"]) {
      expect(wf.jobs[job].environment).toMatch(/^production/);
      expect(wf.jobs[job].permissions?.["id-token"]).toBe("write");
      expect(
        runs({ ...wf, jobs: { [job]: wf.jobs[job] } }).some((r) =>
          /^pulumi up --stack .* --policy-pack policy/.test(r),
        ),
      ).toBe(true);
    }
    expect(
      runs({ ...wf, jobs: { images: wf.jobs.images } }).some((r) => r.includes("docker push")),
    ).toBe(true);
    expect(wf.jobs.notify.if).toContain("failure()");
    expect(needs("notify")).toEqual(["gate", "images", "global", "canary", "regions"]);
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

/**
 * The IAM trust policies of the pipeline's two roles, derived from the workflows themselves, so
 * that the roles trust exactly the OIDC subjects the jobs present.
 *
 * GitHub's OIDC token names the job's context in `sub`
 * (https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect):
 * a job in an environment presents `repo:<owner>/<repo>:environment:<name>`, a pull request job
 * `repo:<owner>/<repo>:pull_request`, another job `repo:<owner>/<repo>:ref:refs/heads/<branch>`.
 * A role trusting only `ref:refs/heads/main` is refused by every job that runs in an environment.
 *
 * The session: `role-duration-seconds` in the workflows must not exceed the role's
 * `MaxSessionDuration` (IAM default 3600 s, at most 43200 s), and must outlast the longest job
 * (`timeout-minutes`), or a cold deploy loses its credentials part-way.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

export const PIPELINE_ROLES = ["deploy", "preview"] as const;
export type PipelineRole = (typeof PIPELINE_ROLES)[number];

/** The `MaxSessionDuration` the deploy role needs (the workflows ask for this much). */
export const DEPLOY_ROLE_MAX_SESSION_SECONDS = 10_800;

const ROLE_VARIABLES: Readonly<Record<PipelineRole, string>> = {
  deploy: "AWS_DEPLOY_ROLE_ARN",
  preview: "AWS_PREVIEW_ROLE_ARN",
};

interface Step {
  uses?: string;
  with?: Record<string, unknown>;
}
interface Job {
  environment?: string | { name?: string };
  uses?: string;
  with?: Record<string, unknown>;
  steps?: Step[];
}
interface Workflow {
  on?: Record<string, unknown> | string | string[];
  jobs?: Record<string, Job>;
}

/** One job that assumes a pipeline role, and the subject its token carries. */
export interface RoleUse {
  readonly workflow: string;
  readonly job: string;
  readonly role: PipelineRole;
  readonly subject: string;
}

const triggers = (wf: Workflow): string[] =>
  typeof wf.on === "string" ? [wf.on] : Array.isArray(wf.on) ? wf.on : Object.keys(wf.on ?? {});

function pushBranches(wf: Workflow): string[] {
  const on = wf.on as { push?: { branches?: string[] } } | undefined;
  return on?.push?.branches ?? [];
}

function environmentOf(job: Job): string | undefined {
  const env = job.with?.environment ?? job.environment;
  if (typeof env === "string") return env;
  return env !== null && typeof env === "object" ? (env as { name?: string }).name : undefined;
}

/** The roles a job assumes: through stack.yml's `role` input, or configure-aws-credentials. */
function rolesOf(job: Job): PipelineRole[] {
  if (job.uses !== undefined) {
    const role = job.with?.role;
    return PIPELINE_ROLES.filter((r) => r === role);
  }
  const assumed = (job.steps ?? [])
    .filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"))
    .map((s) => String(s.with?.["role-to-assume"] ?? ""));
  return PIPELINE_ROLES.filter((r) => assumed.some((a) => a.includes(ROLE_VARIABLES[r])));
}

/** Every role assumption in the workflows of `dir`, with the subject GitHub puts in the token. */
export function roleUses(dir: string, repo: string): RoleUse[] {
  const uses: RoleUse[] = [];
  for (const file of fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    const wf = parse(fs.readFileSync(path.join(dir, file), "utf8")) as Workflow;
    // A reusable workflow's jobs are judged where they are called (the caller's inputs).
    if (triggers(wf).includes("workflow_call")) continue;
    for (const [name, job] of Object.entries(wf.jobs ?? {})) {
      for (const role of rolesOf(job)) {
        const environment = environmentOf(job);
        const subjects =
          environment !== undefined
            ? [`repo:${repo}:environment:${environment}`]
            : triggers(wf).includes("pull_request")
              ? [`repo:${repo}:pull_request`]
              : pushBranches(wf).map((b) => `repo:${repo}:ref:refs/heads/${b}`);
        for (const subject of subjects) uses.push({ workflow: file, job: name, role, subject });
      }
    }
  }
  return uses;
}

/** The subjects each role must trust, sorted. */
export function trustedSubjects(dir: string, repo: string): Record<PipelineRole, string[]> {
  const uses = roleUses(dir, repo);
  const of = (role: PipelineRole) =>
    [...new Set(uses.filter((u) => u.role === role).map((u) => u.subject))].sort();
  return { deploy: of("deploy"), preview: of("preview") };
}

/** The trust policy document of one role (GitHub's OIDC provider, audience sts.amazonaws.com). */
export function trustPolicy(
  accountId: string,
  subjects: readonly string[],
  partition = "aws",
): Record<string, unknown> {
  if (!/^\d{12}$/.test(accountId)) {
    throw new Error(`account "${accountId}": expected the 12-digit AWS account id`);
  }
  const provider = "token.actions.githubusercontent.com";
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: `arn:${partition}:iam::${accountId}:oidc-provider/${provider}` },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${provider}:aud`]: "sts.amazonaws.com",
            [`${provider}:sub`]: [...subjects],
          },
        },
      },
    ],
  };
}

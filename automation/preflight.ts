/**
 * What must be present before any stack is touched: the Pulumi CLI, cloud credentials, a
 * backend chosen by the user. Checked up front so that a missing tool is one clear message, not a failure in the
 * middle of a wave.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";

/** The environment cannot run Pulumi operations (missing CLI or credentials). */
export class PreflightError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PreflightError";
  }
}

export interface PulumiCli {
  /** Path of the `pulumi` executable. */
  readonly command: string;
  /** Installation root (holding `bin/pulumi`), for the Automation API's `PulumiCommand.get`. */
  readonly root: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Looks `pulumi` up as a shell would (PATH), then where the installer puts it
 * (`$PULUMI_HOME/bin`, `~/.pulumi/bin`). Returns undefined when there is none.
 */
export function findPulumiCli(env: Env = process.env): PulumiCli | undefined {
  const names = process.platform === "win32" ? ["pulumi.exe", "pulumi.cmd"] : ["pulumi"];
  const dirs = [
    ...(env.PATH ?? "").split(path.delimiter).filter((d) => d.length > 0),
    ...(env.PULUMI_HOME ? [path.join(env.PULUMI_HOME, "bin")] : []),
    path.join(env.HOME ?? os.homedir(), ".pulumi", "bin"),
  ];
  for (const dir of dirs) {
    for (const name of names) {
      const command = path.join(dir, name);
      if (isExecutable(command)) return { command, root: path.dirname(path.resolve(dir)) };
    }
  }
  return undefined;
}

/**
 * Where AWS credentials would come from, as the AWS SDK's default chain looks for them, or
 * undefined. Instance and task roles cannot be seen without a network call: callers that run
 * on such a role skip this check (the CLI's `--no-credential-check`).
 */
export function findAwsCredentials(env: Env = process.env): string | undefined {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return "environment (AWS_ACCESS_KEY_ID)";
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN) return "web identity (AWS_ROLE_ARN)";
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI) {
    return "container credentials";
  }
  const home = env.HOME ?? os.homedir();
  const files = [
    env.AWS_SHARED_CREDENTIALS_FILE ?? path.join(home, ".aws", "credentials"),
    env.AWS_CONFIG_FILE ?? path.join(home, ".aws", "config"),
  ];
  const file = files.find((f) => fs.existsSync(f));
  if (file !== undefined) {
    return env.AWS_PROFILE ? `profile "${env.AWS_PROFILE}" (${file})` : `shared file ${file}`;
  }
  return undefined;
}

/**
 * The folder an earlier version of this layer chose when no backend was configured. Kept as a
 * name for tools that look for it; nothing here creates it any more (see `findBackend`).
 */
export const LOCAL_STATE_DIR = ".pulumi-state";

export const BACKEND_SOURCES = [
  "PULUMI_BACKEND_URL",
  "Pulumi.yaml backend.url",
  "pulumi login",
  "PULUMI_ACCESS_TOKEN",
] as const;
export type BackendSource = (typeof BACKEND_SOURCES)[number];

export interface Backend {
  /** The backend URL; Pulumi Cloud when only an access token is set. */
  readonly url: string;
  readonly source: BackendSource;
}

/** `backend: url:` of the project file, when it has one. */
function projectBackend(projectDir: string): string | undefined {
  for (const name of ["Pulumi.yaml", "Pulumi.yml"]) {
    const file = path.join(projectDir, name);
    if (!fs.existsSync(file)) continue;
    const doc = parse(fs.readFileSync(file, "utf8")) as { backend?: { url?: unknown } } | null;
    const url = doc?.backend?.url;
    return typeof url === "string" && url.trim() !== "" ? url.trim() : undefined;
  }
  return undefined;
}

/**
 * The backend the Pulumi CLI itself would use, in its order: `PULUMI_BACKEND_URL`, the project
 * file's `backend.url`, the login stored by `pulumi login` (`$PULUMI_HOME/credentials.json`,
 * field `current`; PULUMI_HOME defaults to ~/.pulumi; see
 * https://www.pulumi.com/docs/iac/cli/commands/pulumi_login/), and last Pulumi Cloud when
 * `PULUMI_ACCESS_TOKEN` is set (the CLI logs in with it non-interactively). Undefined when there
 * is none: this layer never picks a backend for the user, because a backend chosen here would
 * override `pulumi login` and `up` would start a second, empty platform.
 */
export function findBackend(projectDir: string, env: Env = process.env): Backend | undefined {
  const configured = env.PULUMI_BACKEND_URL?.trim();
  if (configured) return { url: configured, source: "PULUMI_BACKEND_URL" };
  const project = projectBackend(projectDir);
  if (project !== undefined) return { url: project, source: "Pulumi.yaml backend.url" };
  const home = env.PULUMI_HOME ?? path.join(env.HOME ?? os.homedir(), ".pulumi");
  const creds = path.join(home, "credentials.json");
  if (fs.existsSync(creds)) {
    try {
      const current = (JSON.parse(fs.readFileSync(creds, "utf8")) as { current?: unknown }).current;
      if (typeof current === "string" && current.trim() !== "") {
        return { url: current.trim(), source: "pulumi login" };
      }
    } catch {
      // A credentials file the CLI could not read either: as if there were none.
    }
  }
  if (env.PULUMI_ACCESS_TOKEN?.trim()) {
    return { url: "https://api.pulumi.com", source: "PULUMI_ACCESS_TOKEN" };
  }
  return undefined;
}

export const MISSING_BACKEND_MESSAGE =
  "no Pulumi backend is configured, and this tool does not choose one for you (a new one " +
  "would hold new, empty stacks). Either log in once with `pulumi login <url>` (e.g. " +
  "`pulumi login s3://<state-bucket>`, or `pulumi login` for Pulumi Cloud), or set " +
  "PULUMI_BACKEND_URL for this shell (e.g. `export PULUMI_BACKEND_URL=s3://<state-bucket>`).";

/** The backend's URL (see `findBackend`); throws `PreflightError` when there is none. */
export function backendUrl(projectDir: string, env: Env = process.env): string {
  const found = findBackend(projectDir, env);
  if (found === undefined) throw new PreflightError(MISSING_BACKEND_MESSAGE);
  return found.url;
}

export const MISSING_PULUMI_MESSAGE =
  "the Pulumi CLI was not found (looked on PATH, in $PULUMI_HOME/bin and ~/.pulumi/bin). " +
  "Install it (https://www.pulumi.com/docs/install/, e.g. `curl -fsSL https://get.pulumi.com | sh`) " +
  "and run again. Without it, `npm run plan` evaluates every stack offline.";

export const MISSING_CREDENTIALS_MESSAGE =
  "no AWS credentials found (environment variables, web identity, container credentials, or " +
  "~/.aws/credentials and ~/.aws/config). Sign in (e.g. `aws sso login`, or OIDC in CI), or " +
  "pass --no-credential-check when running on an instance or task role.";

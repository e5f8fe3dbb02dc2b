/**
 * What must be present before any stack is touched: the Pulumi CLI, cloud credentials, a
 * backend. Checked up front so that a missing tool is one clear message, not a failure in the
 * middle of a wave.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";

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

/** The state directory used when no backend is configured: inside the project, per checkout. */
export const LOCAL_STATE_DIR = ".pulumi-state";

/** `PULUMI_BACKEND_URL`, or a file backend in the project for a first run. */
export function backendUrl(projectDir: string, env: Env = process.env): string {
  const configured = env.PULUMI_BACKEND_URL?.trim();
  if (configured) return configured;
  return pathToFileURL(path.join(path.resolve(projectDir), LOCAL_STATE_DIR)).href;
}

export const MISSING_PULUMI_MESSAGE =
  "the Pulumi CLI was not found (looked on PATH, in $PULUMI_HOME/bin and ~/.pulumi/bin). " +
  "Install it (https://www.pulumi.com/docs/install/, e.g. `curl -fsSL https://get.pulumi.com | sh`) " +
  "and run again. Without it, `npm run plan` evaluates every stack offline.";

export const MISSING_CREDENTIALS_MESSAGE =
  "no AWS credentials found (environment variables, web identity, container credentials, or " +
  "~/.aws/credentials and ~/.aws/config). Sign in (e.g. `aws sso login`, or OIDC in CI), or " +
  "pass --no-credential-check when running on an instance or task role.";

/**
 * The pack's configuration file, named by PLATFORM_POLICY_CONFIG.
 *
 * The engine starts a policy pack with the pack's directory as its working directory, so a
 * relative path resolved by `fs` alone would be read from `policy/`, not from where the user
 * typed the command. A relative path is therefore looked up where the user was: npm's INIT_CWD
 * (`npm run`, `npx`), the shell's PWD (inherited through the CLI unless the plugin host rewrote
 * it), the project directory (the pack's parent, where the documented commands run), and last the
 * process's own directory. The first that exists wins; when none does, the error names the
 * variable, the value and every place it looked.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { parsePolicyConfig, type PolicyPackConfig } from "./config";

export const POLICY_CONFIG_ENV = "PLATFORM_POLICY_CONFIG";

export interface ResolveContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The process's working directory (the pack's directory under the engine). */
  readonly cwd: string;
  /** The pack's directory; its parent is the project's. */
  readonly packDir: string;
}

/** Where a relative path may point, most specific first, without duplicates. */
export function candidatePaths(file: string, ctx: ResolveContext): string[] {
  if (path.isAbsolute(file)) return [file];
  const bases = [ctx.env["INIT_CWD"], ctx.env["PWD"], path.dirname(ctx.packDir), ctx.cwd].filter(
    (b): b is string => typeof b === "string" && b !== "",
  );
  return [...new Set(bases.map((b) => path.resolve(b, file)))];
}

/** The file PLATFORM_POLICY_CONFIG names, resolved as its user meant it. */
export function resolvePolicyConfigPath(file: string, ctx: ResolveContext): string {
  const candidates = candidatePaths(file, ctx);
  const found = candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
  if (found === undefined) {
    throw new Error(
      `${POLICY_CONFIG_ENV}=${file}: no such file (looked for ${candidates.join(", ")}); give an absolute path or one relative to the directory you run pulumi from`,
    );
  }
  return found;
}

/** Reads and validates a policy config file (YAML or JSON); errors name the file. */
export function readPolicyConfigFile(file: string): PolicyPackConfig {
  let raw: unknown;
  try {
    raw = parse(fs.readFileSync(file, "utf8")) as unknown;
  } catch (e) {
    throw new Error(`${file}: cannot read the policy config: ${(e as Error).message}`);
  }
  try {
    return parsePolicyConfig(raw);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}

/** The configuration the pack starts with: the defaults, or the file the variable names. */
export function policyConfigFromEnv(ctx: ResolveContext): PolicyPackConfig | undefined {
  const file = ctx.env[POLICY_CONFIG_ENV];
  if (file === undefined || file === "") return undefined;
  return readPolicyConfigFile(resolvePolicyConfigPath(file, ctx));
}

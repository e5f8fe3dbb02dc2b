import type { z } from "zod";

/** One rejected setting: which stack, which key (as written in Pulumi.<stack>.yaml), why. */
export interface ConfigProblem {
  readonly stack: string;
  readonly key: string;
  readonly value: unknown;
  readonly message: string;
}

/** Bad configuration. Its message names the stack, the key, the value and what is allowed. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "ConfigError";
  }
}

export function formatProblem(p: ConfigProblem): string {
  if (/\.ya?ml$/.test(p.key)) return `stack "${p.stack}": file ${p.key}: ${p.message}`;
  const value = p.value === undefined ? "is missing" : `= ${JSON.stringify(p.value)}`;
  return `stack "${p.stack}": config key ${p.key} ${value}: ${p.message}`;
}

/**
 * The key as a person writes it: the first path element is the Pulumi key (`platform:network`,
 * or `aws:region` for the region), the rest is the path inside its value.
 */
export function configKey(path: readonly PropertyKey[]): string {
  const [head, ...rest] = path;
  const top =
    head === undefined ? "platform" : head === "region" ? "aws:region" : `platform:${String(head)}`;
  return rest.reduce<string>(
    (key, k) => (typeof k === "number" ? `${key}[${k}]` : `${key}.${String(k)}`),
    top,
  );
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (v, k) =>
      v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined,
    raw,
  );
}

/** Turns zod's issues into problems that name the key as written in the stack file. */
export function problemsFromZod(stack: string, raw: unknown, error: z.ZodError): ConfigProblem[] {
  return error.issues.flatMap((issue): ConfigProblem[] => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((k) => ({
        stack,
        key: configKey([...issue.path, k]),
        value: valueAt(raw, [...issue.path, k]),
        message: "unknown setting (check its spelling against lib/config/schema.ts)",
      }));
    }
    const value = valueAt(raw, issue.path);
    // zod's own words for a missing value only name the type; a schema that says why the setting
    // is required (a service's imageTag does) keeps its message.
    const message =
      value === undefined &&
      issue.code === "invalid_type" &&
      issue.message === `Invalid input: expected ${issue.expected}, received undefined`
        ? `required (expected ${issue.expected})`
        : issue.message;
    return [{ stack, key: configKey(issue.path), value, message }];
  });
}

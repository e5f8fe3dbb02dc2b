/**
 * Turns a stack's raw settings into a typed, validated configuration. The same function serves
 * the Pulumi program (settings from the engine) and the offline plan (settings from the YAML
 * files), so both reject the same input with the same words.
 */
import { ConfigError, problemsFromZod } from "./errors";
import {
  globalSchema,
  PROJECT,
  regionSchema,
  STACK_KINDS,
  type GlobalConfig,
  type RegionConfig,
  type StackConfig,
} from "./schema";

/**
 * The engine hands every config value over as a string: objects and lists as JSON, scalars as
 * their text. Decode JSON where the text is JSON, keep it as a string otherwise.
 */
export function decodeConfigValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Collects the settings this program reads from a flat Pulumi config map (`ns:key` -> string):
 * every `platform:*` key, plus `aws:region` as `region`.
 */
export function rawSettings(flat: Readonly<Record<string, string>>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(flat)) {
    if (key === "aws:region") raw.region = text;
    else if (key.startsWith(`${PROJECT}:`))
      raw[key.slice(PROJECT.length + 1)] = decodeConfigValue(text);
  }
  return raw;
}

export function parseStackConfig(stack: string, raw: Record<string, unknown>): StackConfig {
  const kind = raw.kind;
  if (kind !== "global" && kind !== "region") {
    throw new ConfigError([
      {
        stack,
        key: `${PROJECT}:kind`,
        value: kind,
        message: `cannot place this stack; allowed: ${STACK_KINDS.join(", ")}`,
      },
    ]);
  }
  const schema = kind === "global" ? globalSchema : regionSchema;
  const result = schema.safeParse(raw);
  if (!result.success) throw new ConfigError(problemsFromZod(stack, raw, result.error));
  return result.data;
}

export function parseGlobalConfig(stack: string, raw: Record<string, unknown>): GlobalConfig {
  const cfg = parseStackConfig(stack, raw);
  if (cfg.kind !== "global") throw new Error(`stack "${stack}" is a ${cfg.kind} stack, not global`);
  return cfg;
}

export function parseRegionConfig(stack: string, raw: Record<string, unknown>): RegionConfig {
  const cfg = parseStackConfig(stack, raw);
  if (cfg.kind !== "region")
    throw new Error(`stack "${stack}" is a ${cfg.kind} stack, not a region`);
  return cfg;
}

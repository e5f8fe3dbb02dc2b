/**
 * Reading resource properties the way the engine hands them to a policy: behind
 * `unknownCheckingProxy`, with values that are unknown during preview encoded as sentinel strings.
 *
 * The policies read the proxy's target rather than the proxy. Through the proxy, touching an
 * unknown value throws and the engine downgrades the whole policy to an advisory "can't run during
 * preview". The usual unknown here is the ARN of a key created in the same update, and that is
 * exactly the value a policy must accept, so the policies decide what an unknown means instead:
 * an unknown key, principal or document will be set to something computed and is judged at
 * `pulumi up`, when the engine analyzes the resource again with its inputs resolved.
 */

/** The sentinels `@pulumi/policy` uses for values that are unknown during preview. */
const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9", // string
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
  "030794c1-ac77-496b-92df-f27374a8bd58", // asset
  "e48ece36-62e2-4504-bad9-02848725956a", // archive
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
]);

/** The special property `unknownCheckingProxy` answers with its target (`getSpecialProxyTarget`). */
const PROXY_TARGET = "__getSpecialProxyTarget";

export const Unknown: unique symbol = Symbol("unknown during preview");
export type Unknown = typeof Unknown;

export function isUnknownValue(value: unknown): boolean {
  return typeof value === "string" && UNKNOWN_SENTINELS.has(value);
}

/** The plain object behind an `unknownCheckingProxy` (or the value itself when not proxied). */
export function target(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  const inner = (value as Record<string, unknown>)[PROXY_TARGET];
  return inner === undefined ? value : inner;
}

/**
 * The value at `path` under `root`: `Unknown` when it or any value on the way is unknown,
 * `undefined` when it is absent.
 */
export function at(root: unknown, ...path: ReadonlyArray<string | number>): unknown {
  let value = target(root);
  for (const key of path) {
    if (isUnknownValue(value)) return Unknown;
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return isUnknownValue(value) ? Unknown : value;
}

/** The elements of a list property; an unknown list is `Unknown`, an absent one empty. */
export function list(root: unknown, ...path: ReadonlyArray<string | number>): unknown[] | Unknown {
  const value = at(root, ...path);
  if (value === Unknown) return Unknown;
  if (Array.isArray(value)) return value.map((v) => (isUnknownValue(v) ? Unknown : v));
  if (value === undefined || value === null) return [];
  return [value];
}

/** A non-empty string, or a value that will be computed. */
export function isSet(value: unknown): boolean {
  return value === Unknown || (typeof value === "string" && value.trim() !== "");
}

/** `true` (booleans arrive as strings in some schemas, e.g. launch templates), or unknown. */
export function isTrue(value: unknown): boolean {
  return value === Unknown || value === true || value === "true";
}

const AWS_MANAGED_KEY = /(^|:)alias\/aws\//;

/**
 * A key reference that names a customer-managed key: set, and not an AWS-managed alias such as
 * `alias/aws/sqs` (those keys belong to AWS: no key policy, no rotation control).
 */
export function isCustomerKey(value: unknown): boolean {
  if (value === Unknown) return true;
  return typeof value === "string" && value.trim() !== "" && !AWS_MANAGED_KEY.test(value);
}

/** Why a key reference is not a customer-managed key, for the violation's detail. */
export function keyProblem(property: string, value: unknown): string {
  if (typeof value === "string" && AWS_MANAGED_KEY.test(value)) {
    return `${property} is the AWS-managed key ${JSON.stringify(value)}`;
  }
  return `${property} is not set`;
}

/** Shell-style pattern (`*` matches anything) to a whole-string regular expression. */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${body}$`);
}

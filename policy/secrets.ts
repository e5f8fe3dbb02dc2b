/**
 * Values a policy cannot read in a `pulumi preview --json` document.
 *
 * The engine hands a policy pack plaintext: `@pulumi/policy` unwraps secrets before a policy sees
 * them (`secretsPreservingProxy` in @pulumi/policy/secret.js, applied by deserialize.js). A preview
 * document does not: it masks every secret as the string "[secret]" unless written with
 * `--show-secrets`, and state exported by other tools can carry the wire envelope
 * (`{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": ...}`, the
 * SDK's signature for a secret; `ciphertext` instead of `value` when it is encrypted).
 *
 * `reveal` unwraps the envelopes that carry their value and marks every value that cannot be read;
 * `watch` hands a policy such a value as unknown (the policies then leave it to `pulumi up`) and
 * reports that the policy needed it, so that a gate never passes what it could not see.
 */

/** How `pulumi preview --json` prints a secret. */
export const SECRET_MASK = "[secret]";

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SIG_SECRET = "1b47061264138c4ac30d75fd1eb44270";
/** The string sentinel `@pulumi/policy` uses for a value unknown during preview. */
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A value the document holds but does not show. */
class Masked {
  constructor(readonly why: string) {}
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Unwraps readable secret envelopes; marks masked and encrypted values. */
export function reveal(value: unknown): unknown {
  if (value === SECRET_MASK) return new Masked(`shown as "${SECRET_MASK}"`);
  if (Array.isArray(value)) return value.map(reveal);
  if (!isRecord(value)) return value;
  if (value[SIG_KEY] === SIG_SECRET) {
    return "value" in value ? reveal(value.value) : new Masked("an encrypted secret");
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)]));
}

/** Whether `reveal` marked anything in the value. */
export function hasMasked(value: unknown): boolean {
  if (value instanceof Masked) return true;
  if (Array.isArray(value)) return value.some(hasMasked);
  return isRecord(value) && Object.values(value).some(hasMasked);
}

function formatPath(path: ReadonlyArray<string>): string {
  return path.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

/**
 * A view of a revealed value that reports each masked value a reader touches (its property path)
 * and hands the reader the unknown sentinel in its place.
 */
export function watch(
  value: unknown,
  onRead: (property: string, why: string) => void,
  path: ReadonlyArray<string> = [],
): unknown {
  if (value instanceof Masked) {
    onRead(formatPath(path), value.why);
    return UNKNOWN_STRING;
  }
  if (value === null || typeof value !== "object") return value;
  const cache = new Map<PropertyKey, unknown>();
  return new Proxy(value as object, {
    get(target, key, receiver) {
      const inner: unknown = Reflect.get(target, key, receiver);
      if (typeof key === "symbol") return inner;
      if (inner instanceof Masked) {
        onRead(formatPath([...path, key]), inner.why);
        return UNKNOWN_STRING;
      }
      if (inner === null || typeof inner !== "object") return inner;
      if (!cache.has(key)) cache.set(key, watch(inner, onRead, [...path, key]));
      return cache.get(key);
    },
  });
}

export interface UnreadableValue {
  readonly urn: string;
  /** The property path, e.g. `policy` or `environment.variables.TOKEN`. */
  readonly property: string;
  readonly why: string;
  /** The policies that needed it, in report order. */
  readonly policies: string[];
}

/** Whether a value holds anything `reveal` would change: a mask or a secret envelope. */
export function mayHideValues(value: unknown): boolean {
  if (value === SECRET_MASK) return true;
  if (Array.isArray(value)) return value.some(mayHideValues);
  if (!isRecord(value)) return false;
  return SIG_KEY in value || Object.values(value).some(mayHideValues);
}

/**
 * What the offline plan records of each resource: what the engine's register request carried
 * (type, name, parent, provider, dependencies, protect, retainOnDelete) and what the mocks
 * answered. The plan documents and the policy evaluation are built from these records.
 */
export interface RecordedResource {
  readonly op: "create" | "read";
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  /** True for multi-language components (awsx, eks) that the engine expands itself. */
  readonly remote: boolean;
  readonly id: string;
  readonly parent: string;
  /** Provider reference (`urn::id`), "" for the default provider. */
  readonly provider: string;
  readonly dependencies: readonly string[];
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  readonly inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

export interface PolicyViolation {
  readonly policy: string;
  readonly urn: string;
  readonly enforcementLevel: "advisory" | "mandatory" | "remediate" | "disabled";
  readonly message: string;
}

// The SDK's wire signatures for special values inside a protobuf Struct.
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SIG_SECRET = "1b47061264138c4ac30d75fd1eb44270";
const SIG_RESOURCE = "5cf8f73096256a8f31e491e813e4eb8e";
const SIG_OUTPUT = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * Turns a wire-format value into plain JSON: resource references become their URN, secrets and
 * output values their plain value, as `pulumi preview --json` shows them with --show-secrets.
 */
export function plainValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plainValue);
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  switch (obj[SIG_KEY]) {
    case SIG_SECRET:
      return plainValue(obj.value);
    case SIG_RESOURCE:
      return obj.urn;
    case SIG_OUTPUT:
      return "value" in obj ? plainValue(obj.value) : UNKNOWN;
    default:
      return Object.fromEntries(
        Object.entries(obj)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => [k, plainValue(v)]),
      );
  }
}

/**
 * Building blocks for the children of a remote (multi-language) component, as the engine records
 * them when the component's plugin constructs it: URNs, ids and a record per child.
 */
import { plainValue, type RecordedResource } from "../record";

/**
 * A child's URN, composed as the SDK's MockMonitor composes every other URN of the plan
 * (`newUrn` in @pulumi/pulumi/runtime/mocks.js: the parent's own type, `$`, the child's type), so
 * that the children and the rest of the plan share one naming scheme.
 */
export function childUrn(parentUrn: string, type: string, name: string): string {
  const [head, project, qualifiedType] = parentUrn.split("::");
  const parentType = qualifiedType.split("$").pop();
  return [head, project, `${parentType}$${type}`, name].join("::");
}

/** The stack of a URN (`urn:pulumi:<stack>::<project>::...`). */
export function stackOfUrn(urn: string): string {
  return urn.split("::")[0].replace(/^urn:pulumi:/, "");
}

export interface ChildSpec {
  readonly type: string;
  readonly name: string;
  readonly parent: string;
  /** @default true - a custom resource; false for a component the plugin nests */
  readonly custom?: boolean;
  readonly id?: string;
  readonly inputs?: Record<string, unknown>;
  /** What the provider returns besides the inputs (ids, ARNs). */
  readonly outputs?: Record<string, unknown>;
  /** URNs of what the child waits on: explicit dependsOn and the resources its inputs read. */
  readonly dependencies?: readonly string[];
  readonly provider?: string;
}

/**
 * One child as the offline plan records it. A component registered by the plugin carries no
 * inputs: the plugins bundle an SDK that drops a component's args (see ./index.ts).
 */
export function child(spec: ChildSpec): RecordedResource {
  const custom = spec.custom ?? true;
  const inputs = custom ? (plainValue(spec.inputs ?? {}) as Record<string, unknown>) : {};
  return {
    op: "create",
    urn: childUrn(spec.parent, spec.type, spec.name),
    type: spec.type,
    name: spec.name,
    custom,
    remote: false,
    id: custom ? (spec.id ?? "") : "",
    parent: spec.parent,
    provider: spec.provider ?? "",
    dependencies: [...new Set(spec.dependencies ?? [])],
    protect: false,
    retainOnDelete: false,
    inputs,
    outputs: custom
      ? (plainValue({ ...inputs, ...(spec.outputs ?? {}), id: spec.id ?? "" }) as Record<
          string,
          unknown
        >)
      : (plainValue(spec.outputs ?? {}) as Record<string, unknown>),
  };
}

/** Throws when the component has an argument the derivation does not model. */
export function checkModelled(
  component: RecordedResource,
  modelled: readonly string[],
  source: string,
): void {
  const extra = Object.keys(component.inputs).filter((k) => !modelled.includes(k));
  if (extra.length > 0) {
    throw new Error(
      `the offline plan does not model ${component.type} argument(s) ${extra.join(", ")} of ${component.urn}; ` +
        `derive their children from ${source} in plan/remote/`,
    );
  }
}

/** Reads a component argument loosely: the args arrive as an untyped payload. */
export function arg<T>(component: RecordedResource, key: string): T | undefined {
  return component.inputs[key] as T | undefined;
}

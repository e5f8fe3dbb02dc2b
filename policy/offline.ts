/**
 * The offline evaluator: runs the pack's CrossGuard policies over recorded resources the way the
 * engine's analyzer does (`analyze` per resource, `analyzeStack` once over the stack), with
 * validation arguments built as the engine builds them: props behind `unknownCheckingProxy`,
 * the same `ResourceValidationArgs` / `PolicyResource` shape, `notApplicable`, and an
 * `UnknownValueError` turned into an advisory "can't run during preview" diagnostic.
 */
import type {
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import * as proxyModule from "@pulumi/policy/proxy";
import type { PolicyViolation } from "../plan/record";
import { DEFAULT_POLICY_CONFIG, type PolicyPackConfig } from "./config";
import { toCrossGuardPolicy, type ExemptionUse } from "./pack";
import { ALL_POLICIES } from "./policies";
import { hasMasked, mayHideValues, reveal, watch, type UnreadableValue } from "./secrets";
import type { PlatformPolicy } from "./types";

// The proxy module's typings are stripped (@internal) but it is the engine's own code.
const { unknownCheckingProxy, UnknownValueError } = proxyModule as unknown as {
  unknownCheckingProxy<T extends object>(value: T): T;
  UnknownValueError: new (...args: never[]) => Error;
};

export interface OfflineResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  /** What the engine's analyzeStack sees besides the inputs, when the caller knows it. */
  readonly outputs?: Record<string, unknown>;
  readonly parent?: string;
  readonly dependencies?: readonly string[];
  readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
  readonly protect?: boolean;
}

export interface OfflineReport {
  violations: PolicyViolation[];
  exemptions: ExemptionUse[];
  /** Values a policy needed but the document does not show (secrets), by resource and property. */
  unreadable: UnreadableValue[];
}

export interface EvaluateOptions {
  /** @default ALL_POLICIES - the pack's policies */
  readonly policies?: readonly PlatformPolicy[];
  /**
   * The level of the violation reported for each value a policy needed but could not read.
   * @default advisory - reported, does not fail the check
   */
  readonly unreadable?: "advisory" | "mandatory";
}

/** A resource's properties as a policy reads them: secrets unwrapped, masked values watched. */
interface Readable {
  readonly inputs: Record<string, unknown>;
  readonly state: Record<string, unknown>;
  readonly masked: boolean;
}

function readable(resource: OfflineResource): Readable {
  // Most documents hold no secret: skip the copies then.
  if (!mayHideValues(resource.inputs) && !mayHideValues(resource.outputs)) {
    return {
      inputs: resource.inputs,
      state: { ...(resource.outputs ?? {}), ...resource.inputs },
      masked: false,
    };
  }
  const inputs = reveal(resource.inputs) as Record<string, unknown>;
  const outputs = reveal(resource.outputs ?? {}) as Record<string, unknown>;
  // analyzeStack sees the resource's state: its outputs, which carry its inputs.
  const state = { ...outputs, ...inputs };
  return { inputs, state, masked: hasMasked(state) };
}

type OnRead = (urn: string, property: string, why: string) => void;

function propsOf(
  value: Record<string, unknown>,
  masked: boolean,
  urn: string,
  onRead: OnRead,
): Record<string, unknown> {
  // A fresh proxy per validation, as the engine deserializes per validation.
  const view = masked
    ? (watch(value, (property, why) => onRead(urn, property, why)) as Record<string, unknown>)
    : { ...value };
  return unknownCheckingProxy(view);
}

class NotApplicable extends Error {}

function notApplicable(reason?: string): never {
  throw new NotApplicable(reason ?? "Policy does not apply");
}

const stackTags: ReadonlyMap<string, string> = new Map();

function isTypeOf(type: string, resourceClass: unknown): boolean {
  const klass = resourceClass as {
    __pulumiType?: unknown;
    isInstance?: (o: unknown) => boolean;
  };
  if (typeof klass.__pulumiType === "string" && klass.__pulumiType !== "") {
    return klass.__pulumiType === type;
  }
  return typeof klass.isInstance === "function" && klass.isInstance({ __pulumiType: type });
}

function optionsOf(resource: OfflineResource): PolicyResourceOptions {
  return {
    protect: resource.protect ?? false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    ...(resource.parent ? { parent: resource.parent } : {}),
  };
}

function resourceArgs(
  resource: OfflineResource,
  seen: Readable,
  policyName: string,
  onRead: OnRead,
): ResourceValidationArgs {
  const props = propsOf(seen.inputs, seen.masked, resource.urn, onRead);
  return {
    type: resource.type,
    props,
    urn: resource.urn,
    name: resource.name,
    opts: optionsOf(resource),
    stackTags,
    isType: (resourceClass) => isTypeOf(resource.type, resourceClass),
    asType: ((resourceClass: unknown) =>
      isTypeOf(resource.type, resourceClass)
        ? props
        : undefined) as ResourceValidationArgs["asType"],
    getConfig: <T extends object>() => ({}) as T,
    notApplicable: (reason?: string) => notApplicable(reason ?? `${policyName} does not apply`),
  };
}

function stackResources(
  resources: ReadonlyArray<OfflineResource>,
  seen: readonly Readable[],
  onRead: OnRead,
): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const built = resources.map((resource, i) => {
    const props = propsOf(seen[i].state, seen[i].masked, resource.urn, onRead);
    const policyResource: PolicyResource = {
      type: resource.type,
      props,
      urn: resource.urn,
      name: resource.name,
      opts: optionsOf(resource),
      dependencies: [],
      propertyDependencies: {},
      isType: (resourceClass) => isTypeOf(resource.type, resourceClass),
      asType: ((resourceClass: unknown) =>
        isTypeOf(resource.type, resourceClass) ? props : undefined) as PolicyResource["asType"],
    };
    byUrn.set(resource.urn, policyResource);
    return policyResource;
  });
  resources.forEach((resource, i) => {
    const r = built[i];
    const lookup = (urns: readonly string[] | undefined) =>
      (urns ?? []).flatMap((u) => byUrn.get(u) ?? []);
    if (resource.parent) r.parent = byUrn.get(resource.parent);
    r.dependencies = lookup(resource.dependencies);
    for (const [key, urns] of Object.entries(resource.propertyDependencies ?? {})) {
      r.propertyDependencies[key] = lookup(urns);
    }
  });
  return built;
}

type Level = PolicyViolation["enforcementLevel"];

/**
 * Evaluates every policy of the pack over one stack's resources. Violations an exemption covers
 * are not reported; they are listed in `exemptions` with the exemption's reason.
 */
export function evaluateResources(
  resources: ReadonlyArray<OfflineResource>,
  config: PolicyPackConfig = DEFAULT_POLICY_CONFIG,
  options: EvaluateOptions = {},
): OfflineReport {
  const violations: PolicyViolation[] = [];
  const exemptions: ExemptionUse[] = [];
  const hooks = { onExemption: (use: ExemptionUse) => exemptions.push(use) };

  // Which policy is running, so that a masked value it reads is reported against it.
  let running = "";
  const unreadable = new Map<string, UnreadableValue>();
  const onRead: OnRead = (urn, property, why) => {
    if (running === "") return;
    const key = `${urn}\u0000${property}`;
    const entry = unreadable.get(key) ?? { urn, property, why, policies: [] };
    if (!entry.policies.includes(running)) entry.policies.push(running);
    unreadable.set(key, entry);
  };
  const seen = new Map<OfflineResource, Readable>();
  const readableOf = (resource: OfflineResource) => {
    let r = seen.get(resource);
    if (r === undefined) {
      r = readable(resource);
      seen.set(resource, r);
    }
    return r;
  };

  const resourcePolicies: Array<{ policy: ResourceValidationPolicy; types: Set<string> }> = [];
  const stackPolicies: StackValidationPolicy[] = [];
  for (const definition of options.policies ?? ALL_POLICIES) {
    const policy = toCrossGuardPolicy(definition, config, hooks);
    if (policy.enforcementLevel === "disabled") continue;
    if ("validateStack" in policy) stackPolicies.push(policy);
    else resourcePolicies.push({ policy, types: new Set(definition.types) });
  }

  const run = (
    policy: ResourceValidationPolicy | StackValidationPolicy,
    urn: string,
    fn: () => unknown,
  ): Level | undefined => {
    // As the engine: a policy set to remediate that still finds a violation reports mandatory.
    const level: Level =
      policy.enforcementLevel === "remediate"
        ? "mandatory"
        : (policy.enforcementLevel ?? "mandatory");
    running = policy.name;
    try {
      fn();
    } catch (e) {
      if (e instanceof NotApplicable) return;
      if (e instanceof UnknownValueError) {
        violations.push({
          policy: policy.name,
          urn,
          enforcementLevel: "advisory",
          message: `can't run policy '${policy.name}' during preview: ${e.message}`,
        });
        return;
      }
      throw new Error(`policy ${policy.name} failed: ${(e as Error).message}`, { cause: e });
    } finally {
      running = "";
    }
    return level;
  };

  for (const resource of resources) {
    for (const { policy, types } of resourcePolicies) {
      // The wrapped validation returns at once for other types; skipping it here saves building
      // arguments that would not be read.
      if (!types.has(resource.type)) continue;
      const validations = Array.isArray(policy.validateResource)
        ? policy.validateResource
        : policy.validateResource
          ? [policy.validateResource]
          : [];
      for (const validate of validations) {
        const found: PolicyViolation[] = [];
        const level = run(policy, resource.urn, () =>
          validate(
            resourceArgs(resource, readableOf(resource), policy.name, onRead),
            (message, urn) =>
              found.push({
                policy: policy.name,
                urn: urn ?? resource.urn,
                enforcementLevel: "mandatory",
                message,
              }),
          ),
        );
        if (level !== undefined)
          violations.push(...found.map((v) => ({ ...v, enforcementLevel: level })));
      }
    }
  }

  if (stackPolicies.length > 0) {
    const policyResources = stackResources(resources, resources.map(readableOf), onRead);
    for (const policy of stackPolicies) {
      const found: PolicyViolation[] = [];
      const args: StackValidationArgs = {
        resources: policyResources,
        stackTags,
        getConfig: <T extends object>() => ({}) as T,
        notApplicable,
      };
      const level = run(policy, "", () =>
        policy.validateStack(args, (message, urn) =>
          found.push({
            policy: policy.name,
            urn: urn ?? "",
            enforcementLevel: "mandatory",
            message,
          }),
        ),
      );
      if (level !== undefined)
        violations.push(...found.map((v) => ({ ...v, enforcementLevel: level })));
    }
  }

  // A gate never passes what it could not see: each value a policy needed and could not read is
  // reported, against the policy that needed it.
  const level = options.unreadable ?? "advisory";
  for (const u of unreadable.values()) {
    for (const policy of u.policies) {
      violations.push({
        policy,
        urn: u.urn,
        enforcementLevel: level,
        message: `cannot judge ${u.property}: the document does not show it (${u.why}). Check a document written with \`pulumi preview --json --show-secrets\`, or let the pack judge it in \`pulumi preview --policy-pack policy\``,
      });
    }
  }
  return { violations, exemptions, unreadable: [...unreadable.values()] };
}

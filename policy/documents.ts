/**
 * IAM policy documents wherever a resource carries one (identity, trust, resource and key
 * policies), as JSON strings or objects, normalised to statements the policies can judge.
 */
import { Unknown, at, isUnknownValue, list, target } from "./values";

/**
 * What a document is: an identity policy (attached to a principal), a trust policy (who may
 * assume a role), a resource policy (bucket, queue, topic, repository, bus, secret, log
 * destination) or a key policy (where `Resource: "*"` means "this key").
 */
export type DocumentKind = "identity" | "trust" | "resource" | "key";

export interface PolicyDocument {
  readonly kind: DocumentKind;
  /** The property that holds it, e.g. `inlinePolicies[0].policy`. */
  readonly path: string;
  /** The parsed document, `Unknown` during preview, `undefined` when not JSON. */
  readonly document: unknown;
}

/** `[property, kind]` for the resource types whose properties hold one document each. */
const SINGLE_DOCUMENTS: Readonly<Record<string, readonly [string, DocumentKind][]>> = {
  "aws:iam/role:Role": [["assumeRolePolicy", "trust"]],
  "aws:iam/policy:Policy": [["policy", "identity"]],
  "aws:iam/rolePolicy:RolePolicy": [["policy", "identity"]],
  "aws:iam/userPolicy:UserPolicy": [["policy", "identity"]],
  "aws:iam/groupPolicy:GroupPolicy": [["policy", "identity"]],
  "aws:s3/bucketPolicy:BucketPolicy": [["policy", "resource"]],
  "aws:s3/bucket:Bucket": [["policy", "resource"]],
  "aws:s3/bucketV2:BucketV2": [["policy", "resource"]],
  "aws:sqs/queuePolicy:QueuePolicy": [["policy", "resource"]],
  "aws:sqs/queue:Queue": [["policy", "resource"]],
  "aws:sns/topicPolicy:TopicPolicy": [["policy", "resource"]],
  "aws:sns/topic:Topic": [["policy", "resource"]],
  "aws:ecr/repositoryPolicy:RepositoryPolicy": [["policy", "resource"]],
  "aws:ecr/registryPolicy:RegistryPolicy": [["policy", "resource"]],
  "aws:cloudwatch/eventBusPolicy:EventBusPolicy": [["policy", "resource"]],
  "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": [["policyDocument", "resource"]],
  "aws:secretsmanager/secretPolicy:SecretPolicy": [["policy", "resource"]],
  "aws:secretsmanager/secret:Secret": [["policy", "resource"]],
  "aws:kms/key:Key": [["policy", "key"]],
  "aws:kms/replicaKey:ReplicaKey": [["policy", "key"]],
};

/** Every resource type that can carry a policy document. */
export const DOCUMENT_TYPES: readonly string[] = Object.keys(SINGLE_DOCUMENTS);

export function parseDocument(value: unknown): unknown {
  if (value === Unknown || isUnknownValue(value)) return Unknown;
  if (typeof value === "string") {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      // Not JSON: AWS rejects it at deploy time; there is nothing to judge here.
      return undefined;
    }
  }
  return target(value);
}

export function documentsOf(type: string, props: unknown): PolicyDocument[] {
  const found: PolicyDocument[] = [];
  for (const [property, kind] of SINGLE_DOCUMENTS[type] ?? []) {
    const value = at(props, property);
    if (value !== undefined && value !== null && value !== "") {
      found.push({ kind, path: property, document: parseDocument(value) });
    }
  }
  if (type === "aws:iam/role:Role") {
    const inline = list(props, "inlinePolicies");
    if (inline !== Unknown) {
      inline.forEach((entry, i) => {
        const value = at(entry, "policy");
        if (value !== undefined && value !== null && value !== "") {
          const path = `inlinePolicies[${i}].policy`;
          found.push({ kind: "identity", path, document: parseDocument(value) });
        }
      });
    }
  }
  return found;
}

export function keyPolicyDocuments(type: string, props: unknown): PolicyDocument[] {
  return documentsOf(type, props).filter((d) => d.kind === "key");
}

/** A statement element's values: `undefined` when absent, `Unknown` when not known yet. */
export type Values = readonly (string | Unknown)[] | Unknown | undefined;

export interface Statement {
  /** e.g. `policy Statement[1] (AllowRead)`, for the violation's detail. */
  readonly label: string;
  readonly effect: unknown;
  readonly action: Values;
  readonly notAction: Values;
  readonly resource: Values;
  readonly notResource: Values;
  readonly principal: unknown;
  readonly notPrincipal: unknown;
  readonly condition: unknown;
}

function values(statement: unknown, key: string): Values {
  const value = at(statement, key);
  if (value === undefined || value === null) return undefined;
  if (value === Unknown) return Unknown;
  const items = Array.isArray(value) ? value : [value];
  return items.map((v) => (typeof v === "string" && !isUnknownValue(v) ? v : Unknown));
}

export function statementsOf(document: PolicyDocument): Statement[] {
  if (document.document === Unknown || document.document === undefined) return [];
  const raw = list(document.document, "Statement");
  if (raw === Unknown) return [];
  return raw.map((statement, i) => {
    const sid = at(statement, "Sid");
    const named = typeof sid === "string" && sid !== "" ? ` (${sid})` : "";
    return {
      label: `${document.path} Statement[${i}]${named}`,
      effect: at(statement, "Effect"),
      action: values(statement, "Action"),
      notAction: values(statement, "NotAction"),
      resource: values(statement, "Resource"),
      notResource: values(statement, "NotResource"),
      principal: at(statement, "Principal"),
      notPrincipal: at(statement, "NotPrincipal"),
      condition: at(statement, "Condition"),
    };
  });
}

export function isAllow(statement: Statement): boolean {
  // An unknown effect is judged as a grant would be only once it is known.
  return statement.effect === "Allow";
}

/** Whether the statement's values include exactly `*` (the element matches everything). */
export function includesStar(v: Values): boolean {
  return v !== undefined && v !== Unknown && v.includes("*");
}

/**
 * Condition keys that narrow a wildcard principal to an account, organization, source resource
 * or network endpoint of ours (lower case: IAM condition keys are case-insensitive).
 */
const NARROWING_KEYS: ReadonlySet<string> = new Set([
  "aws:sourcearn",
  "aws:sourceaccount",
  "aws:sourceowner",
  "aws:sourceorgid",
  "aws:sourceorgpaths",
  "aws:principalorgid",
  "aws:principalorgpaths",
  "aws:principalaccount",
  "aws:principalarn",
  "aws:sourcevpc",
  "aws:sourcevpce",
  "kms:calleraccount",
]);

/**
 * Whether a condition narrows the statement: a narrowing key compared with a value that is not
 * itself a wildcard. `...IfExists` and `Null` operators do not narrow: they pass when the key is
 * absent.
 */
export function isNarrowed(condition: unknown): boolean {
  if (condition === Unknown) return true;
  const operators = target(condition);
  if (operators === null || typeof operators !== "object") return false;
  for (const [operator, block] of Object.entries(operators as Record<string, unknown>)) {
    if (isUnknownValue(block)) return true;
    if (/^null$/i.test(operator) || /ifexists$/i.test(operator)) continue;
    if (block === null || typeof block !== "object") continue;
    for (const [key, value] of Object.entries(block as Record<string, unknown>)) {
      if (!NARROWING_KEYS.has(key.toLowerCase())) continue;
      const items = Array.isArray(value) ? value : [value];
      const narrows = items.length > 0 && items.every((v) => typeof v === "string" && v !== "*");
      if (narrows) return true;
    }
  }
  return false;
}

/** Whether a Principal element names everyone: `"*"`, `{ AWS: "*" }` or an AWS wildcard ARN. */
export function isWildcardPrincipal(principal: unknown): boolean {
  if (principal === "*") return true;
  const value = target(principal);
  if (value === null || typeof value !== "object") return false;
  for (const [kind, entry] of Object.entries(value as Record<string, unknown>)) {
    const items = Array.isArray(entry) ? entry : [entry];
    for (const item of items) {
      if (typeof item !== "string" || isUnknownValue(item)) continue;
      if (item === "*") return true;
      if (kind === "AWS" && item.includes("*")) return true;
    }
  }
  return false;
}

/** Why an Allow statement grants to everyone, or `undefined` when it does not. */
export function principalProblem(statement: Statement): string | undefined {
  if (!isAllow(statement)) return undefined;
  if (statement.notPrincipal !== undefined) {
    return `${statement.label}: Allow with NotPrincipal grants to every principal but the listed ones`;
  }
  if (isWildcardPrincipal(statement.principal) && !isNarrowed(statement.condition)) {
    return `${statement.label}: Allow to a wildcard principal without a narrowing condition`;
  }
  return undefined;
}

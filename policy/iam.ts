/**
 * Least-privilege IAM over every policy document the stack carries (see `documents.ts`):
 * no `*` or `service:*` action, nothing mutating and no privilege escalation on `Resource: "*"`
 * (wildcards expanded against real IAM data), no wildcard principals, no Allow with NotAction or
 * NotResource, no AWS-managed admin or full-access policy attached.
 */
import { expandAction, isMutating, type ActionInfo } from "./actions";
import {
  DOCUMENT_TYPES,
  documentsOf,
  includesStar,
  isAllow,
  principalProblem,
  statementsOf,
  type DocumentKind,
  type Statement,
} from "./documents";
import type { ResourcePolicy } from "./types";
import { Unknown, list, target } from "./values";

/** Runs `judge` over every Allow statement of the resource's documents of the given kinds. */
function overStatements(
  type: string,
  props: unknown,
  kinds: readonly DocumentKind[],
  judge: (statement: Statement, kind: DocumentKind) => string | undefined,
): string[] {
  const problems: string[] = [];
  for (const document of documentsOf(type, props)) {
    if (!kinds.includes(document.kind)) continue;
    for (const statement of statementsOf(document)) {
      if (!isAllow(statement)) continue;
      const problem = judge(statement, document.kind);
      if (problem !== undefined) problems.push(problem);
    }
  }
  return problems;
}

function knownActions(statement: Statement): string[] {
  const actions = statement.action;
  if (actions === undefined || actions === Unknown) return [];
  return actions.filter((a): a is string => a !== Unknown);
}

const ALL_KINDS: readonly DocumentKind[] = ["identity", "trust", "resource", "key"];
// In a key policy `Resource: "*"` means the key itself, and a trust policy has no Resource.
const RESOURCE_KINDS: readonly DocumentKind[] = ["identity", "resource"];

function shortList(items: readonly string[]): string {
  const shown = items.slice(0, 5).join(", ");
  return items.length > 5 ? `${shown} (+${items.length - 5} more)` : shown;
}

export const iamNoWildcardAction: ResourcePolicy = {
  kind: "resource",
  name: "iam-no-wildcard-action",
  domain: "iam",
  description: 'No policy statement allows every action ("*").',
  message: 'List the actions the principal needs instead of "*"',
  types: DOCUMENT_TYPES,
  check({ type, props }) {
    return overStatements(type, props, ALL_KINDS, (statement) => {
      const wild = knownActions(statement).filter((a) => a === "*" || a.startsWith("*:"));
      return wild.length > 0 ? `${statement.label}: Action ${JSON.stringify(wild[0])}` : undefined;
    });
  },
};

/**
 * The key-policy statement that grants `kms:*` to the account root and nobody else. It grants no
 * principal anything by itself: it lets IAM policies (which these policies judge) grant access to
 * the key, and without it a key can become unmanageable. It is the statement AWS puts in every
 * default key policy (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
 */
function isIamDelegation(statement: Statement, action: string): boolean {
  if (action.toLowerCase() !== "kms:*") return false;
  const principal = target(statement.principal);
  if (principal === null || typeof principal !== "object") return false;
  const entries = Object.entries(principal as Record<string, unknown>);
  if (entries.length !== 1 || entries[0][0] !== "AWS") return false;
  const arns = Array.isArray(entries[0][1]) ? entries[0][1] : [entries[0][1]];
  return (
    arns.length > 0 &&
    arns.every((a) => typeof a === "string" && /^(arn:[^:]+:iam::\d{12}:root|\d{12})$/.test(a))
  );
}

export const iamNoServiceWildcardAction: ResourcePolicy = {
  kind: "resource",
  name: "iam-no-service-wildcard-action",
  domain: "iam",
  description: 'No policy statement allows every action of a service ("s3:*").',
  message: 'List the service\'s actions the principal needs instead of "service:*"',
  types: DOCUMENT_TYPES,
  check({ type, props }) {
    return overStatements(type, props, ALL_KINDS, (statement, kind) => {
      const wild = knownActions(statement).filter(
        (a) => /^[^:*?]+:\*+$/.test(a) && !(kind === "key" && isIamDelegation(statement, a)),
      );
      return wild.length > 0 ? `${statement.label}: Action ${wild.join(", ")}` : undefined;
    });
  },
};

/**
 * The finding for a statement on `Resource: "*"` that grants, once its wildcards are expanded
 * against the IAM data, an action `offends` picks; undefined when there is none.
 */
function grantedOnAnyResource(
  statement: Statement,
  offends: (info: ActionInfo) => boolean,
): string | undefined {
  if (!includesStar(statement.resource)) return undefined;
  const offending = new Set<string>();
  for (const pattern of knownActions(statement)) {
    // "*" itself is iam-no-wildcard-action's finding; expanding it would list all of AWS.
    if (pattern === "*" || pattern.startsWith("*:")) continue;
    for (const info of expandAction(pattern)) {
      if (offends(info)) offending.add(info.action);
    }
  }
  if (offending.size === 0) return undefined;
  return `${statement.label}: Resource "*" with ${shortList([...offending].sort())}`;
}

export const iamNoMutationOnWildcardResource: ResourcePolicy = {
  kind: "resource",
  name: "iam-no-write-on-wildcard-resource",
  domain: "iam",
  description:
    'No write, permissions-management or tagging action is allowed on Resource "*" when the action supports resource-level permissions.',
  message:
    'Scope Resource to the ARNs the actions touch; only actions that support no resource type may use "*"',
  types: DOCUMENT_TYPES,
  check({ type, props }) {
    return overStatements(type, props, RESOURCE_KINDS, (statement) =>
      grantedOnAnyResource(statement, (info) => isMutating(info) && !info.wildcardOnly),
    );
  },
};

/**
 * Actions that let a principal raise its own privileges when granted on every resource
 * (the well-known IAM privilege-escalation paths), lower case.
 */
const ESCALATION_ACTIONS: ReadonlySet<string> = new Set([
  "iam:passrole",
  "iam:createpolicyversion",
  "iam:setdefaultpolicyversion",
  "iam:attachrolepolicy",
  "iam:attachuserpolicy",
  "iam:attachgrouppolicy",
  "iam:putrolepolicy",
  "iam:putuserpolicy",
  "iam:putgrouppolicy",
  "iam:putrolepermissionsboundary",
  "iam:deleterolepermissionsboundary",
  "iam:putuserpermissionsboundary",
  "iam:deleteuserpermissionsboundary",
  "iam:updateassumerolepolicy",
  "iam:createaccesskey",
  "iam:createloginprofile",
  "iam:updateloginprofile",
  "iam:addusertogroup",
  "sts:assumerole",
  "lambda:updatefunctioncode",
  "glue:updatedevendpoint",
]);

export const iamNoPrivilegeEscalation: ResourcePolicy = {
  kind: "resource",
  name: "iam-no-privilege-escalation",
  domain: "iam",
  description:
    'No privilege-escalation action (iam:PassRole, iam:CreatePolicyVersion, iam:AttachRolePolicy, sts:AssumeRole, ...) is allowed on Resource "*".',
  message:
    "Scope Resource to the exact roles or policies (e.g. the role ARNs that may be passed), and add a condition such as iam:PassedToService",
  types: DOCUMENT_TYPES,
  check({ type, props }) {
    return overStatements(type, props, RESOURCE_KINDS, (statement) =>
      grantedOnAnyResource(statement, (info) => ESCALATION_ACTIONS.has(info.action.toLowerCase())),
    );
  },
};

export const iamNoWildcardPrincipal: ResourcePolicy = {
  kind: "resource",
  name: "iam-no-wildcard-principal",
  domain: "iam",
  description:
    "Trust and resource policies grant nothing to a wildcard principal unless a condition narrows it (aws:SourceArn, aws:SourceAccount, aws:PrincipalOrgID, ...).",
  message:
    'Name the principals (account, role or service), or narrow "*" with a condition on aws:SourceArn, aws:SourceAccount or aws:PrincipalOrgID',
  types: DOCUMENT_TYPES,
  check({ type, props }) {
    // Key policies are kms-key-policy-no-wildcard-principal's.
    return overStatements(type, props, ["trust", "resource"], principalProblem);
  },
};

export const iamNoAllowNotAction: ResourcePolicy = {
  kind: "resource",
  name: "iam-no-allow-not-action",
  domain: "iam",
  description: "No Allow statement uses NotAction (it grants every action but the listed ones).",
  message: "Use Action with the actions to allow; keep NotAction for Deny statements",
  types: DOCUMENT_TYPES,
  check({ type, props }) {
    return overStatements(type, props, ALL_KINDS, (statement) =>
      statement.notAction === undefined ? undefined : `${statement.label}: Allow with NotAction`,
    );
  },
};

export const iamNoAllowNotResource: ResourcePolicy = {
  kind: "resource",
  name: "iam-no-allow-not-resource",
  domain: "iam",
  description:
    "No Allow statement uses NotResource (it grants on every resource but the listed ones).",
  message: "Use Resource with the ARNs to allow; keep NotResource for Deny statements",
  types: DOCUMENT_TYPES,
  check({ type, props }) {
    return overStatements(type, props, ALL_KINDS, (statement) =>
      statement.notResource === undefined
        ? undefined
        : `${statement.label}: Allow with NotResource`,
    );
  },
};

/** AWS-managed (account `aws`) admin and full-access policies, at any path. */
const ADMIN_POLICY_ARN =
  /^arn:[^:]+:iam::aws:policy\/(?:[^/]+\/)*(AdministratorAccess[^/]*|PowerUserAccess|IAMFullAccess|[^/]*FullAccess[^/]*)$/;

const ATTACHMENTS: Readonly<Record<string, string>> = {
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "policyArn",
  "aws:iam/userPolicyAttachment:UserPolicyAttachment": "policyArn",
  "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": "policyArn",
  "aws:iam/policyAttachment:PolicyAttachment": "policyArn",
  "aws:iam/role:Role": "managedPolicyArns",
  "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": "policyArns",
  "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": "policyArns",
  "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": "policyArns",
};

export const iamNoAdminManagedPolicy: ResourcePolicy = {
  kind: "resource",
  name: "iam-no-admin-managed-policy",
  domain: "iam",
  description:
    "No AWS-managed admin or full-access policy (AdministratorAccess, PowerUserAccess, IAMFullAccess, *FullAccess) is attached.",
  message: "Attach a customer-managed policy with the actions and resources the principal needs",
  types: Object.keys(ATTACHMENTS),
  check({ type, props }) {
    const property = ATTACHMENTS[type];
    const arns = list(props, property);
    if (arns === Unknown) return [];
    return arns.flatMap((arn) => {
      const match = typeof arn === "string" ? ADMIN_POLICY_ARN.exec(arn) : null;
      return match === null ? [] : [`${property} attaches ${match[1]}`];
    });
  },
};

export const IAM_POLICIES: readonly ResourcePolicy[] = [
  iamNoWildcardAction,
  iamNoServiceWildcardAction,
  iamNoMutationOnWildcardResource,
  iamNoPrivilegeEscalation,
  iamNoWildcardPrincipal,
  iamNoAllowNotAction,
  iamNoAllowNotResource,
  iamNoAdminManagedPolicy,
];

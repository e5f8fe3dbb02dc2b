/**
 * Policies for the audit, edge-protection and drill resources: the KMS and IAM surface they bring.
 * - cloudtrail-trail-cmk: trails encrypt with a customer-managed key, validate their log files
 *   and cover every region;
 * - synthetics-canary-artifacts-cmk: canary artifacts are written with SSE-KMS under a
 *   customer-managed key;
 * - wafv2-web-acl-logging-cmk (stack): every web ACL logs, to a CloudWatch log group of the stack
 *   that is encrypted with a customer-managed key (WAF's log group name prefix);
 * - fis-experiment-template-guarded (stack): every FIS experiment template stops on a CloudWatch
 *   alarm, and runs as a role of the stack that only FIS (for this account) may assume and that
 *   has no managed policy attached (the AWS managed FIS policies grant far more than a template
 *   needs; the role's inline policy is judged by the IAM policies).
 */
import type { PolicyResource } from "@pulumi/policy";
import { documentsOf, isNarrowed, statementsOf } from "./documents";
import type { ResourcePolicy, StackFinding, StackPolicy } from "./types";
import { Unknown, at, isCustomerKey, isTrue, keyProblem, list, target } from "./values";

export const TRAIL_TYPE = "aws:cloudtrail/trail:Trail";
export const CANARY_TYPE = "aws:synthetics/canary:Canary";
export const WEB_ACL_TYPE = "aws:wafv2/webAcl:WebAcl";
export const WEB_ACL_LOGGING_TYPE =
  "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration";
export const LOG_GROUP_TYPE = "aws:cloudwatch/logGroup:LogGroup";
export const FIS_TEMPLATE_TYPE = "aws:fis/experimentTemplate:ExperimentTemplate";
export const ROLE_TYPE = "aws:iam/role:Role";
export const ROLE_ATTACHMENT_TYPES: readonly string[] = [
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  "aws:iam/policyAttachment:PolicyAttachment",
];

export const cloudTrailTrailCmk: ResourcePolicy = {
  kind: "resource",
  name: "cloudtrail-trail-cmk",
  domain: "kms",
  description:
    "CloudTrail trails encrypt log files with a customer-managed KMS key, validate them and cover every region.",
  message:
    "Set kmsKeyId to a customer-managed key whose policy allows cloudtrail.amazonaws.com (aws:SourceArn the trail), enableLogFileValidation: true and isMultiRegionTrail: true",
  types: [TRAIL_TYPE],
  check({ props }) {
    const problems: string[] = [];
    const key = at(props, "kmsKeyId");
    if (!isCustomerKey(key)) problems.push(`${keyProblem("kmsKeyId", key)} (SSE-S3 is used)`);
    if (!isTrue(at(props, "enableLogFileValidation"))) {
      problems.push("enableLogFileValidation is not true");
    }
    if (!isTrue(at(props, "isMultiRegionTrail"))) problems.push("isMultiRegionTrail is not true");
    return problems;
  },
};

export const syntheticsCanaryArtifactsCmk: ResourcePolicy = {
  kind: "resource",
  name: "synthetics-canary-artifacts-cmk",
  domain: "kms",
  description:
    "CloudWatch Synthetics canaries write their artifacts with SSE-KMS under a customer-managed key.",
  message:
    'Set artifactConfig { s3Encryption: { encryptionMode: "SSE_KMS", kmsKeyArn: <CMK ARN> } }',
  types: [CANARY_TYPE],
  check({ props }) {
    const mode = at(props, "artifactConfig", "s3Encryption", "encryptionMode");
    if (mode === Unknown) return [];
    if (mode !== "SSE_KMS") {
      return [`artifactConfig.s3Encryption.encryptionMode is ${JSON.stringify(mode ?? "SSE_S3")}`];
    }
    const key = at(props, "artifactConfig", "s3Encryption", "kmsKeyArn");
    return isCustomerKey(key) ? [] : [keyProblem("artifactConfig.s3Encryption.kmsKeyArn", key)];
  },
};

/** The resources a property of `r` refers to: by value (ARN or id), else by its dependency. */
function referenced(
  r: PolicyResource,
  property: string,
  value: unknown,
  candidates: readonly PolicyResource[],
): PolicyResource[] | Unknown {
  if (typeof value === "string") {
    const direct = candidates.filter(
      (c) => at(c.props, "arn") === value || at(c.props, "id") === value || c.urn === value,
    );
    if (direct.length > 0) return direct;
  }
  const viaDependency = (r.propertyDependencies?.[property] ?? []).filter((d) =>
    candidates.includes(d),
  );
  if (viaDependency.length > 0) return viaDependency;
  return value === Unknown ? Unknown : [];
}

export const wafv2WebAclLoggingCmk: StackPolicy = {
  kind: "stack",
  name: "wafv2-web-acl-logging-cmk",
  domain: "kms",
  description:
    "Every WAF web ACL logs, to a CloudWatch log group of the stack encrypted with a customer-managed key.",
  message:
    'Add an aws.wafv2.WebAclLoggingConfiguration for the web ACL with logDestinationConfigs [<ARN of an "aws-waf-logs-..." log group whose kmsKeyId is a CMK>]',
  types: [WEB_ACL_TYPE, WEB_ACL_LOGGING_TYPE, LOG_GROUP_TYPE],
  check(resources) {
    const acls = resources.filter((r) => r.type === WEB_ACL_TYPE);
    const configs = resources.filter((r) => r.type === WEB_ACL_LOGGING_TYPE);
    const groups = resources.filter((r) => r.type === LOG_GROUP_TYPE);
    const findings: StackFinding[] = [];
    const logged = new Set<PolicyResource>();
    for (const config of configs) {
      const acl = referenced(config, "resourceArn", at(config.props, "resourceArn"), acls);
      if (acl === Unknown) acls.forEach((a) => logged.add(a));
      else acl.forEach((a) => logged.add(a));
      const destinations = list(config.props, "logDestinationConfigs");
      if (destinations === Unknown) continue;
      destinations.forEach((destination, i) => {
        if (destination === Unknown) return;
        const group = referenced(config, "logDestinationConfigs", destination, groups);
        if (group === Unknown) return;
        if (group.length === 0) {
          findings.push({
            urn: config.urn,
            detail: `logDestinationConfigs[${i}] is not a CloudWatch log group of the stack (${JSON.stringify(destination)})`,
          });
          return;
        }
        for (const g of group) {
          const key = at(g.props, "kmsKeyId");
          if (!isCustomerKey(key)) {
            findings.push({
              urn: config.urn,
              detail: `logDestinationConfigs[${i}] (${g.name}): ${keyProblem("kmsKeyId", key)}`,
            });
          }
        }
      });
    }
    for (const acl of acls) {
      if (!logged.has(acl)) {
        findings.push({
          urn: acl.urn,
          detail: "no WebAclLoggingConfiguration of the stack names this web ACL",
        });
      }
    }
    return findings;
  },
};

/** Why a role's trust is not "FIS only, for this account"; undefined when it is or is unknown. */
function fisTrustProblem(role: PolicyResource): string | undefined {
  const trust = documentsOf(ROLE_TYPE, role.props).find((d) => d.kind === "trust");
  if (trust === undefined) return "the role has no trust policy";
  if (trust.document === Unknown) return undefined;
  const statements = statementsOf(trust).filter((s) => s.effect === "Allow");
  if (statements.length === 0) return "the role's trust policy allows nobody";
  for (const s of statements) {
    const principal = target(s.principal);
    const services =
      principal !== null && typeof principal === "object"
        ? (principal as Record<string, unknown>)["Service"]
        : undefined;
    const others =
      principal !== null && typeof principal === "object"
        ? Object.keys(principal as Record<string, unknown>).filter((k) => k !== "Service")
        : ["*"];
    const names = Array.isArray(services) ? services : [services];
    if (others.length > 0 || names.some((n) => n !== "fis.amazonaws.com")) {
      return `${s.label}: the role may be assumed by more than fis.amazonaws.com`;
    }
    if (!isNarrowed(s.condition)) {
      return `${s.label}: no aws:SourceAccount or aws:SourceArn condition (confused deputy)`;
    }
  }
  return undefined;
}

export const fisExperimentTemplateGuarded: StackPolicy = {
  kind: "stack",
  name: "fis-experiment-template-guarded",
  domain: "iam",
  description:
    "Every FIS experiment template stops on a CloudWatch alarm and runs as a role of the stack that only FIS may assume, with no managed policy attached.",
  message:
    'Give the template stopConditions [{ source: "aws:cloudwatch:alarm", value: <alarm ARN> }] and a roleArn of a role whose trust names fis.amazonaws.com with aws:SourceAccount/aws:SourceArn, scoped by an inline policy',
  types: [FIS_TEMPLATE_TYPE, ROLE_TYPE, ...ROLE_ATTACHMENT_TYPES],
  check(resources) {
    const roles = resources.filter((r) => r.type === ROLE_TYPE);
    const attachments = resources.filter((r) => ROLE_ATTACHMENT_TYPES.includes(r.type));
    const findings: StackFinding[] = [];
    for (const template of resources.filter((r) => r.type === FIS_TEMPLATE_TYPE)) {
      const problems: string[] = [];
      const stops = list(template.props, "stopConditions");
      if (stops !== Unknown) {
        const alarms = stops.filter(
          (s) => s === Unknown || at(s, "source") === "aws:cloudwatch:alarm",
        );
        if (alarms.length === 0) {
          problems.push("no stop condition is a CloudWatch alarm (the experiment cannot stop)");
        }
      }
      const role = referenced(template, "roleArn", at(template.props, "roleArn"), roles);
      if (role !== Unknown) {
        if (role.length === 0) {
          problems.push("roleArn is not a role of the stack (its scope cannot be checked)");
        }
        for (const r of role) {
          const trust = fisTrustProblem(r);
          if (trust !== undefined) problems.push(`role ${r.name}: ${trust}`);
          const managed = list(r.props, "managedPolicyArns");
          const attached = attachments.filter((a) => {
            const value = at(a.props, "role");
            const roles = at(a.props, "roles");
            return (
              value === at(r.props, "name") ||
              value === at(r.props, "id") ||
              (Array.isArray(roles) && roles.includes(at(r.props, "name"))) ||
              (a.propertyDependencies?.["role"] ?? []).includes(r)
            );
          });
          if ((managed !== Unknown && managed.length > 0) || attached.length > 0) {
            problems.push(`role ${r.name}: has a managed policy attached`);
          }
        }
      }
      if (problems.length > 0) findings.push({ urn: template.urn, detail: problems.join("; ") });
    }
    return findings;
  },
};

export const AUDIT_POLICIES: readonly (ResourcePolicy | StackPolicy)[] = [
  cloudTrailTrailCmk,
  syntheticsCanaryArtifactsCmk,
  wafv2WebAclLoggingCmk,
  fisExperimentTemplateGuarded,
];

/**
 * Turns rows of the security-group table (sg-rules.ts) into `aws.vpc.SecurityGroup*Rule`
 * resources: one resource per rule, so each shows in the plan and changes on its own.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Group, SgRule } from "./sg-rules";

export type GroupIds = Partial<Record<Group, pulumi.Input<string>>>;

export function createSecurityGroupRules(
  name: string,
  rules: readonly SgRule[],
  groupIds: GroupIds,
  opts: pulumi.CustomResourceOptions,
): Array<aws.vpc.SecurityGroupIngressRule | aws.vpc.SecurityGroupEgressRule> {
  const idOf = (group: Group): pulumi.Input<string> => {
    const id = groupIds[group];
    if (id === undefined) throw new Error(`security group "${group}" is not known to ${name}`);
    return id;
  };
  return rules.map((rule) => {
    const args = {
      securityGroupId: idOf(rule.group),
      ipProtocol: rule.protocol,
      fromPort: rule.fromPort,
      toPort: rule.toPort,
      description: rule.description,
      ...(rule.peer.kind === "cidr"
        ? { cidrIpv4: rule.peer.cidr }
        : { referencedSecurityGroupId: idOf(rule.peer.group) }),
    };
    return rule.direction === "ingress"
      ? new aws.vpc.SecurityGroupIngressRule(`${name}-${rule.key}`, args, opts)
      : new aws.vpc.SecurityGroupEgressRule(`${name}-${rule.key}`, args, opts);
  });
}

/** Rules that involve the EKS-managed cluster group: created once the cluster exists. */
export function involvesCluster(rule: SgRule): boolean {
  return rule.group === "cluster" || (rule.peer.kind === "group" && rule.peer.group === "cluster");
}

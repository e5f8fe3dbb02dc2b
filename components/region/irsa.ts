/**
 * An IAM role for one Kubernetes service account (IRSA), with one inline policy or AWS managed
 * policies. The trust names the cluster's OIDC provider and exactly
 * `system:serviceaccount:<namespace>:<name>`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { irsaTrust, type PolicyDocument } from "./iam";

export interface IrsaRoleArgs {
  oidcProviderArn: pulumi.Input<string>;
  /** The issuer URL, with or without `https://`. */
  oidcProviderUrl: pulumi.Input<string>;
  namespace: string;
  serviceAccount: string;
  /** The role's inline policy; or none, with `managedPolicyArns`. */
  policy?: pulumi.Input<PolicyDocument>;
  /** @default [] - AWS managed policies, for add-ons whose policy AWS maintains */
  managedPolicyArns?: pulumi.Input<string>[];
}

export function issuerHost(url: string): string {
  return url.replace(/^https:\/\//, "");
}

export function irsaRole(
  name: string,
  args: IrsaRoleArgs,
  opts: pulumi.CustomResourceOptions,
): aws.iam.Role {
  return irsaRoleWithGrants(name, args, opts).role;
}

/** The role and what grants it its permissions, for a consumer that must wait for both. */
export function irsaRoleWithGrants(
  name: string,
  args: IrsaRoleArgs,
  opts: pulumi.CustomResourceOptions,
): { role: aws.iam.Role; grants: pulumi.CustomResource[] } {
  const role = new aws.iam.Role(
    name,
    {
      assumeRolePolicy: pulumi.jsonStringify(
        pulumi
          .all([args.oidcProviderArn, args.oidcProviderUrl])
          .apply(([arn, url]) =>
            irsaTrust(arn, issuerHost(url), args.namespace, args.serviceAccount),
          ),
      ),
    },
    opts,
  );
  const managed = args.managedPolicyArns ?? [];
  if (args.policy === undefined && managed.length === 0) {
    throw new Error(`${name}: an IRSA role needs a policy or managedPolicyArns`);
  }
  const grants: pulumi.CustomResource[] = managed.map(
    (policyArn, i) =>
      new aws.iam.RolePolicyAttachment(`${name}-${i}`, { role: role.name, policyArn }, opts),
  );
  if (args.policy !== undefined) {
    grants.push(
      new aws.iam.RolePolicy(
        name,
        { role: role.id, policy: pulumi.jsonStringify(args.policy) },
        opts,
      ),
    );
  }
  return { role, grants };
}

/**
 * An IAM role for one Kubernetes service account (IRSA), with one inline policy. The trust names
 * the cluster's OIDC provider and exactly `system:serviceaccount:<namespace>:<name>`.
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
  policy: pulumi.Input<PolicyDocument>;
}

export function issuerHost(url: string): string {
  return url.replace(/^https:\/\//, "");
}

export function irsaRole(
  name: string,
  args: IrsaRoleArgs,
  opts: pulumi.CustomResourceOptions,
): aws.iam.Role {
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
  new aws.iam.RolePolicy(name, { role: role.id, policy: pulumi.jsonStringify(args.policy) }, opts);
  return role;
}

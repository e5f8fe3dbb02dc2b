/**
 * Who can reach a region's Kubernetes API, and whether the deployer is among them. Pure: the
 * region schema reports these problems against the stack file's keys; the Cluster component
 * checks the same rules on its own arguments.
 *
 * EKS serves the API on a private endpoint (in the VPC) and an optional public one whose callers
 * are limited to `publicAccessCidrs`; with the public endpoint off, nothing outside the VPC (or a
 * network connected to it) can dial the API:
 * https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html. Every Helm release and
 * Kubernetes object of the region stack is sent to that API by the machine running `pulumi up`.
 */
import { isPrivate, parseCidr } from "../cidr";

/**
 * Where the deploy of a region stack runs: `internet` (GitHub-hosted runners, a workstation: the
 * public endpoint must admit it) or `vpc` (a runner or build project in the region's VPC, or a
 * network routed to it: the private endpoint serves it).
 */
export const DEPLOYER_NETWORKS = ["internet", "vpc"] as const;
export type DeployerNetwork = (typeof DEPLOYER_NETWORKS)[number];

export interface EndpointAccess {
  readonly deployerNetwork: DeployerNetwork;
  readonly publicAccessCidrs: readonly string[];
  readonly allowPublicAccessFromAnywhere: boolean;
}

export interface EndpointProblem {
  /** The key under `platform:cluster` the problem is reported on. */
  readonly key: keyof EndpointAccess;
  readonly message: string;
}

const ANYWHERE = ["0.0.0.0/0", "::/0"];

/** Every rule the settings break; empty when the deployer reaches the API as configured. */
export function endpointAccessProblems(a: EndpointAccess): EndpointProblem[] {
  const problems: EndpointProblem[] = [];
  const open = a.publicAccessCidrs.find((c) => ANYWHERE.includes(c));
  if (open !== undefined && !a.allowPublicAccessFromAnywhere) {
    problems.push({
      key: "publicAccessCidrs",
      message: `${open} opens the Kubernetes API's public endpoint to the whole internet (IAM authentication still applies); list the deployer's egress CIDRs, or accept it with cluster.allowPublicAccessFromAnywhere: true`,
    });
  }
  if (open === undefined && a.allowPublicAccessFromAnywhere) {
    problems.push({
      key: "allowPublicAccessFromAnywhere",
      message:
        "true, but cluster.publicAccessCidrs does not contain 0.0.0.0/0: there is nothing to accept; remove the setting",
    });
  }
  const inside = a.publicAccessCidrs.find((c) => {
    try {
      return isPrivate(parseCidr(c));
    } catch {
      return false; // the schema reports the malformed block itself
    }
  });
  if (inside !== undefined) {
    problems.push({
      key: "publicAccessCidrs",
      message: `${inside} is a private range, which never reaches the public endpoint; callers in the VPC use the private endpoint (set cluster.deployerNetwork: vpc for a deployer there)`,
    });
  }
  if (a.deployerNetwork === "internet" && a.publicAccessCidrs.length === 0) {
    problems.push({
      key: "publicAccessCidrs",
      message:
        "empty, so the API has no public endpoint, but cluster.deployerNetwork is internet: the deployer could not reach the API; list its egress CIDRs here, or deploy from inside the VPC and set cluster.deployerNetwork: vpc",
    });
  }
  return problems;
}

/** Throws the first problem, naming the key: for callers outside the schema. */
export function checkEndpointAccess(a: EndpointAccess): void {
  const [first] = endpointAccessProblems(a);
  if (first !== undefined) throw new Error(`cluster.${first.key}: ${first.message}`);
}

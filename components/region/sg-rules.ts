/**
 * The security-group rules of a region, as a table. Pure: no Pulumi.
 *
 * Who may talk to whom:
 * - the internet reaches only the ALB, on 443 and on 80 (which only redirects to 443);
 * - the ALB reaches the nodes only on the ingress gateway's port (IP targets: the pods' VPC
 *   addresses carry the node's security group under the VPC CNI);
 * - nodes accept each other (pod-to-pod, the mesh) and the EKS control plane (kubelet, webhooks);
 * - the interface endpoints accept 443 from the VPC;
 * - the database accepts 5432 from the nodes only;
 * - the Lambda consumer accepts nothing.
 * Egress stays open for nodes and Lambda (image pulls through NAT, AWS APIs through endpoints):
 * the threat these rules address is inbound reach.
 */
export const GROUPS = ["alb", "nodes", "endpoints", "lambda", "database", "cluster"] as const;
export type Group = (typeof GROUPS)[number];

export type Peer =
  | { readonly kind: "cidr"; readonly cidr: string }
  | { readonly kind: "group"; readonly group: Group };

export interface SgRule {
  /** A stable suffix for the Pulumi name. */
  readonly key: string;
  readonly group: Group;
  readonly direction: "ingress" | "egress";
  /** "-1" is every protocol (and then no ports). */
  readonly protocol: "tcp" | "-1";
  readonly fromPort?: number;
  readonly toPort?: number;
  readonly peer: Peer;
  readonly description: string;
}

export const ANYWHERE = "0.0.0.0/0";

export interface SgRuleInputs {
  readonly vpcCidr: string;
  /** The port the mesh's ingress gateway listens on (the target group's port). */
  readonly ingressPort: number;
  /** The port of the gateway's readiness endpoint (the target group's health check). */
  readonly ingressHealthPort: number;
  /** @default false - add the database group's rules */
  readonly database?: boolean;
}

const tcp = (port: number) => ({ protocol: "tcp" as const, fromPort: port, toPort: port });

export function securityGroupRules(inputs: SgRuleInputs): SgRule[] {
  const { vpcCidr, ingressPort, ingressHealthPort } = inputs;
  for (const [key, port] of Object.entries({ ingressPort, ingressHealthPort })) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`${key}: ${port} is not a TCP port (allowed: 1-65535)`);
    }
  }
  const anywhere: Peer = { kind: "cidr", cidr: ANYWHERE };
  const rules: SgRule[] = [
    {
      key: "alb-in-https",
      group: "alb",
      direction: "ingress",
      ...tcp(443),
      peer: anywhere,
      description: "HTTPS from the internet",
    },
    {
      key: "alb-in-http",
      group: "alb",
      direction: "ingress",
      ...tcp(80),
      peer: anywhere,
      description: "HTTP from the internet, redirected to HTTPS",
    },
    {
      key: "alb-out-nodes",
      group: "alb",
      direction: "egress",
      ...tcp(ingressPort),
      peer: { kind: "group", group: "nodes" },
      description: "to the ingress gateway pods",
    },
    {
      key: "alb-out-health",
      group: "alb",
      direction: "egress",
      ...tcp(ingressHealthPort),
      peer: { kind: "group", group: "nodes" },
      description: "health checks of the ingress gateway pods",
    },
    {
      key: "nodes-in-alb",
      group: "nodes",
      direction: "ingress",
      ...tcp(ingressPort),
      peer: { kind: "group", group: "alb" },
      description: "from the ALB to the ingress gateway",
    },
    {
      key: "nodes-in-alb-health",
      group: "nodes",
      direction: "ingress",
      ...tcp(ingressHealthPort),
      peer: { kind: "group", group: "alb" },
      description: "ALB health checks of the ingress gateway",
    },
    {
      key: "nodes-in-self",
      group: "nodes",
      direction: "ingress",
      protocol: "-1",
      peer: { kind: "group", group: "nodes" },
      description: "node to node and pod to pod",
    },
    {
      key: "nodes-in-cluster-https",
      group: "nodes",
      direction: "ingress",
      ...tcp(443),
      peer: { kind: "group", group: "cluster" },
      description: "control plane to webhooks on 443",
    },
    {
      key: "nodes-in-cluster-high",
      group: "nodes",
      direction: "ingress",
      protocol: "tcp",
      fromPort: 1025,
      toPort: 65535,
      peer: { kind: "group", group: "cluster" },
      description: "control plane to kubelet and webhooks",
    },
    {
      key: "nodes-out-all",
      group: "nodes",
      direction: "egress",
      protocol: "-1",
      peer: anywhere,
      description: "image pulls, AWS APIs",
    },
    {
      key: "cluster-in-nodes",
      group: "cluster",
      direction: "ingress",
      ...tcp(443),
      peer: { kind: "group", group: "nodes" },
      description: "nodes to the Kubernetes API",
    },
    {
      key: "endpoints-in-vpc",
      group: "endpoints",
      direction: "ingress",
      ...tcp(443),
      peer: { kind: "cidr", cidr: vpcCidr },
      description: "AWS APIs from inside the VPC",
    },
    {
      key: "lambda-out-https",
      group: "lambda",
      direction: "egress",
      ...tcp(443),
      peer: anywhere,
      description: "AWS APIs (endpoints, NAT)",
    },
  ];
  if (inputs.database) {
    rules.push({
      key: "database-in-nodes",
      group: "database",
      direction: "ingress",
      ...tcp(5432),
      peer: { kind: "group", group: "nodes" },
      description: "PostgreSQL from the workloads",
    });
  }
  return rules;
}

/** Ingress rules open to the whole internet: only the ALB's 80 and 443 may appear here. */
export function openToInternet(rules: readonly SgRule[]): SgRule[] {
  return rules.filter(
    (r) => r.direction === "ingress" && r.peer.kind === "cidr" && r.peer.cidr === ANYWHERE,
  );
}

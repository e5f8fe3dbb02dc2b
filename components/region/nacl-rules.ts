/**
 * The data tier's network ACL, as a table. Pure: no Pulumi.
 *
 * NACLs are stateless, so each allowed flow needs its return path. The data tier only answers:
 * nothing in it initiates a connection (Aurora's cross-region replication runs on AWS's storage
 * network, not through the VPC), so the table is
 *   inbound:  each app subnet -> the data ports (5432, PostgreSQL);
 *   outbound: the data tier -> each app subnet on the ephemeral ports (the replies).
 * Everything else meets the NACL's implicit deny. Port 443 is deliberately absent: the interface
 * endpoints live in the app tier, so the data tier hosts nothing that listens on 443.
 */
export const DATA_PORTS = [{ name: "postgres", port: 5432 }] as const;

/** Linux and the AWS Lambda/EKS hosts use 32768-60999; AWS recommends the wider 1024-65535. */
export const EPHEMERAL_PORTS = { from: 1024, to: 65535 } as const;

export interface NaclRule {
  readonly ruleNumber: number;
  readonly egress: boolean;
  readonly protocol: "tcp";
  readonly ruleAction: "allow";
  readonly cidrBlock: string;
  readonly fromPort: number;
  readonly toPort: number;
  /** A stable suffix for the Pulumi name of the rule. */
  readonly key: string;
}

export function dataTierNaclRules(appCidrs: readonly string[]): NaclRule[] {
  if (appCidrs.length === 0) {
    throw new Error("dataTierNaclRules: appCidrs is empty; the data tier must accept the app tier");
  }
  const rules: NaclRule[] = [];
  appCidrs.forEach((cidrBlock, zone) => {
    DATA_PORTS.forEach(({ name, port }, p) => {
      rules.push({
        ruleNumber: 100 + zone * 10 + p,
        egress: false,
        protocol: "tcp",
        ruleAction: "allow",
        cidrBlock,
        fromPort: port,
        toPort: port,
        key: `in-${name}-${zone}`,
      });
    });
    rules.push({
      ruleNumber: 100 + zone * 10,
      egress: true,
      protocol: "tcp",
      ruleAction: "allow",
      cidrBlock,
      fromPort: EPHEMERAL_PORTS.from,
      toPort: EPHEMERAL_PORTS.to,
      key: `out-ephemeral-${zone}`,
    });
  });
  return rules;
}

import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { findOverlap, parseCidr, contains } from "../lib/cidr";
import {
  GATEWAY_ENDPOINTS,
  INTERFACE_ENDPOINTS,
  endpointServiceName,
} from "../components/region/endpoints";
import { dataTierNaclRules } from "../components/region/nacl-rules";
import { openToInternet, securityGroupRules } from "../components/region/sg-rules";
import { planSubnets, subnetSpecs, zoneSlots } from "../components/region/subnets";
import type { StackEvaluation } from "../plan/evaluate";
import { KEY_ARN, doc, evaluatePlatform, ofType, one, regionConfig } from "./region-helpers";

describe("subnet plan", () => {
  describe.each([
    [
      "10.20.0.0/16",
      3,
      ["10.20.0.0/19", "10.20.32.0/19", "10.20.64.0/19"],
      ["10.20.96.0/21", "10.20.104.0/21", "10.20.112.0/21"],
      ["10.20.120.0/21", "10.20.128.0/21", "10.20.136.0/21"],
    ],
    [
      "10.10.0.0/16",
      2,
      ["10.10.0.0/18", "10.10.64.0/18"],
      ["10.10.128.0/20", "10.10.144.0/20"],
      ["10.10.160.0/20", "10.10.176.0/20"],
    ],
    [
      "192.168.0.0/24",
      2,
      ["192.168.0.0/26", "192.168.0.64/26"],
      ["192.168.0.128/28", "192.168.0.144/28"],
      ["192.168.0.160/28", "192.168.0.176/28"],
    ],
  ])("%s over %i zones", (vpc, zones, app, pub, data) => {
    const plan = planSubnets(vpc, zones);
    it("gives each tier one block per zone, app first", () => {
      expect(plan.blocks).toEqual({ public: pub, app, data });
    });
  });

  describe.each([
    [
      "10.0.0.0/24",
      3,
      "network.vpcCidr: 10.0.0.0/24 is too small for 3 zones (public and data subnets would be /29; AWS allows /28 at most): use a larger block or fewer zones",
    ],
    ["10.0.0.0/24", 0, "network.azCount: 0 is not a whole number of zones (allowed: 1 or more)"],
    ["10.0.0.1/16", 3, '"10.0.0.1/16" has host bits set: the network address is 10.0.0.0/16'],
  ])("rejects %s over %i zones", (vpc, zones, message) => {
    it("with the key, the value and what is allowed", () => {
      expect(() => planSubnets(vpc, zones)).toThrow(message);
    });
  });

  it("never overlaps and stays inside the VPC block (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 16, max: 22 }),
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 0, max: 255 }),
        (prefix, zones, second) => {
          const vpcText = `10.${second}.0.0/${prefix}`;
          let vpc;
          try {
            vpc = parseCidr(vpcText);
          } catch {
            return; // host bits set for this prefix: not a VPC block
          }
          const plan = planSubnets(vpcText, zones);
          const all = [...plan.blocks.app, ...plan.blocks.public, ...plan.blocks.data].map(
            parseCidr,
          );
          expect(all).toHaveLength(3 * zones);
          expect(findOverlap(all)).toBeUndefined();
          expect(all.every((c) => contains(vpc, c))).toBe(true);
        },
      ),
    );
  });

  it("reserves a power of two of zone slots", () => {
    expect([1, 2, 3, 4, 5, 6].map(zoneSlots)).toEqual([1, 2, 4, 4, 8, 8]);
  });

  it("maps the tiers to awsx subnet types with explicit blocks", () => {
    const specs = subnetSpecs(planSubnets("10.20.0.0/16", 3));
    expect(specs.map((s) => [s.name, s.type, s.cidrBlocks.length])).toEqual([
      ["public", "Public", 3],
      ["app", "Private", 3],
      ["data", "Isolated", 3],
    ]);
  });
});

describe("data tier NACL", () => {
  it("accepts the app tier on 5432 and answers it on the ephemeral ports, nothing else", () => {
    const rules = dataTierNaclRules(["10.20.0.0/19", "10.20.32.0/19"]);
    expect(
      rules.map((r) => [r.egress ? "out" : "in", r.ruleNumber, r.cidrBlock, r.fromPort, r.toPort]),
    ).toEqual([
      ["in", 100, "10.20.0.0/19", 5432, 5432],
      ["out", 100, "10.20.0.0/19", 1024, 65535],
      ["in", 110, "10.20.32.0/19", 5432, 5432],
      ["out", 110, "10.20.32.0/19", 1024, 65535],
    ]);
    expect(new Set(rules.map((r) => r.ruleAction))).toEqual(new Set(["allow"]));
  });

  it("refuses an empty app tier", () => {
    expect(() => dataTierNaclRules([])).toThrow(
      "dataTierNaclRules: appCidrs is empty; the data tier must accept the app tier",
    );
  });
});

describe("security-group table", () => {
  const rules = securityGroupRules({
    vpcCidr: "10.20.0.0/16",
    ingressPort: 8080,
    ingressHealthPort: 15021,
  });

  it("opens only the ALB's 80 and 443 to the internet", () => {
    expect(openToInternet(rules).map((r) => [r.group, r.fromPort, r.toPort])).toEqual([
      ["alb", 443, 443],
      ["alb", 80, 80],
    ]);
  });

  it("lets the nodes accept only the ALB, each other and the control plane", () => {
    const sources = rules
      .filter((r) => r.group === "nodes" && r.direction === "ingress")
      .map((r) => (r.peer.kind === "group" ? r.peer.group : r.peer.cidr));
    expect(sources.sort()).toEqual(["alb", "alb", "cluster", "cluster", "nodes"]);
  });

  it("adds the database group only with Aurora, reachable from the nodes on 5432", () => {
    const withDb = securityGroupRules({
      vpcCidr: "10.20.0.0/16",
      ingressPort: 8080,
      ingressHealthPort: 15021,
      database: true,
    });
    expect(withDb.filter((r) => r.group === "database")).toEqual([
      expect.objectContaining({
        direction: "ingress",
        fromPort: 5432,
        toPort: 5432,
        peer: { kind: "group", group: "nodes" },
      }),
    ]);
    expect(rules.some((r) => r.group === "database")).toBe(false);
  });

  describe.each([
    [
      { ingressPort: 0, ingressHealthPort: 15021 },
      "ingressPort: 0 is not a TCP port (allowed: 1-65535)",
    ],
    [
      { ingressPort: 8080, ingressHealthPort: 70000 },
      "ingressHealthPort: 70000 is not a TCP port (allowed: 1-65535)",
    ],
  ])("rejects %o", (ports, message) => {
    it("naming the port", () => {
      expect(() => securityGroupRules({ vpcCidr: "10.0.0.0/16", ...ports })).toThrow(message);
    });
  });
});

describe("endpoint list", () => {
  it("is S3 + DynamoDB gateways and the seven interface services", () => {
    expect(GATEWAY_ENDPOINTS).toEqual(["s3", "dynamodb"]);
    expect(INTERFACE_ENDPOINTS).toEqual([
      "ecr.api",
      "ecr.dkr",
      "sts",
      "kms",
      "logs",
      "sqs",
      "events",
    ]);
    expect(endpointServiceName("cn.com.amazonaws", "cn-north-1", "sts")).toBe(
      "cn.com.amazonaws.cn-north-1.sts",
    );
  });
});

describe("Network under the mock monitor", () => {
  let ev: StackEvaluation;
  beforeAll(async () => {
    ev = await evaluatePlatform(regionConfig());
  });

  it("declares one awsx VPC with three explicit tiers and a NAT gateway per zone", () => {
    const vpc = one(ev.records, "awsx:ec2:Vpc");
    expect(vpc.remote).toBe(true);
    expect(vpc.name).toBe("platform-network-vpc");
    expect(vpc.inputs).toMatchObject({
      cidrBlock: "10.20.0.0/16",
      numberOfAvailabilityZones: 3,
      subnetStrategy: "Auto",
      natGateways: { strategy: "OnePerAz" },
      enableDnsHostnames: true,
    });
    const specs = vpc.inputs.subnetSpecs as Array<{
      type: string;
      name: string;
      cidrBlocks: string[];
    }>;
    expect(specs.map((s) => [s.type, s.name, s.cidrBlocks])).toEqual([
      ["Public", "public", ["10.20.96.0/21", "10.20.104.0/21", "10.20.112.0/21"]],
      ["Private", "app", ["10.20.0.0/19", "10.20.32.0/19", "10.20.64.0/19"]],
      ["Isolated", "data", ["10.20.120.0/21", "10.20.128.0/21", "10.20.136.0/21"]],
    ]);
  });

  it("uses a single NAT gateway when asked", async () => {
    const single = await evaluatePlatform(
      regionConfig((raw) => (raw.network.natGateways = "single")),
    );
    expect(one(single.records, "awsx:ec2:Vpc").inputs.natGateways).toEqual({ strategy: "Single" });
  });

  it("creates the two gateway and seven interface endpoints, the latter in the app subnets", () => {
    const endpoints = ofType(ev.records, "aws:ec2/vpcEndpoint:VpcEndpoint");
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect(
      [...endpoints]
        .sort(byName)
        .map((e) => [e.name, e.inputs.vpcEndpointType, e.inputs.serviceName]),
    ).toEqual(
      [
        ["s3", "Gateway"],
        ["dynamodb", "Gateway"],
        ...INTERFACE_ENDPOINTS.map((s) => [s, "Interface"]),
      ]
        .map(([s, type]) => [
          `platform-network-${s.replace(".", "-")}`,
          type,
          `com.amazonaws.eu-central-1.${s}`,
        ])
        .sort((a, b) => a[0].localeCompare(b[0])),
    );
    const vpcOut = one(ev.records, "awsx:ec2:Vpc").outputs as { privateSubnetIds: string[] };
    const sg = one(ev.records, "aws:ec2/securityGroup:SecurityGroup", "platform-network-endpoints");
    for (const e of endpoints.filter((x) => x.inputs.vpcEndpointType === "Interface")) {
      expect(e.inputs.subnetIds).toEqual(vpcOut.privateSubnetIds);
      expect(e.inputs.privateDnsEnabled).toBe(true);
      expect(e.inputs.securityGroupIds).toEqual([sg.id]);
    }
  });

  it("writes flow logs of all traffic to a KMS-encrypted, protected log group", () => {
    const group = one(ev.records, "aws:cloudwatch/logGroup:LogGroup", "platform-network-flow-logs");
    expect(group.inputs).toMatchObject({ kmsKeyId: KEY_ARN, retentionInDays: 90 });
    expect([group.protect, group.retainOnDelete]).toEqual([true, true]);
    const flowLog = one(ev.records, "aws:ec2/flowLog:FlowLog");
    expect(flowLog.inputs).toMatchObject({
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: group.outputs.arn,
      vpcId: one(ev.records, "awsx:ec2:Vpc").outputs.vpcId,
    });
    const policy = doc(
      one(ev.records, "aws:iam/rolePolicy:RolePolicy", "platform-network-flow-logs").inputs.policy,
    );
    expect(policy.Statement[0].Resource).toEqual([
      group.outputs.arn,
      `${group.outputs.arn}:log-stream:*`,
    ]);
    // Only this account's flow logs in this region may assume the role (confused deputy).
    const trust = doc(
      one(ev.records, "aws:iam/role:Role", "platform-network-flow-logs").inputs.assumeRolePolicy,
    );
    expect(trust.Statement).toEqual([
      {
        Sid: "AssumedByService",
        Effect: "Allow",
        Principal: { Service: "vpc-flow-logs.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": "123456789012" },
          ArnLike: { "aws:SourceArn": "arn:aws:ec2:eu-central-1:123456789012:vpc-flow-log/*" },
        },
      },
    ]);
  });

  it("puts a NACL with six rules on the data subnets", () => {
    const nacl = one(ev.records, "aws:ec2/networkAcl:NetworkAcl");
    const vpcOut = one(ev.records, "awsx:ec2:Vpc").outputs as { isolatedSubnetIds: string[] };
    expect(nacl.inputs.subnetIds).toEqual(vpcOut.isolatedSubnetIds);
    const rules = ofType(ev.records, "aws:ec2/networkAclRule:NetworkAclRule").sort(
      (a, b) =>
        Number(a.inputs.ruleNumber) - Number(b.inputs.ruleNumber) ||
        Number(a.inputs.egress) - Number(b.inputs.egress),
    );
    expect(
      rules.map((r) => [
        r.inputs.egress,
        r.inputs.ruleNumber,
        r.inputs.cidrBlock,
        r.inputs.fromPort,
      ]),
    ).toEqual([
      [false, 100, "10.20.0.0/19", 5432],
      [true, 100, "10.20.0.0/19", 1024],
      [false, 110, "10.20.32.0/19", 5432],
      [true, 110, "10.20.32.0/19", 1024],
      [false, 120, "10.20.64.0/19", 5432],
      [true, 120, "10.20.64.0/19", 1024],
    ]);
  });

  it("has no security-group ingress from 0.0.0.0/0 except the ALB on 80 and 443", () => {
    const albSg = one(ev.records, "aws:ec2/securityGroup:SecurityGroup", "platform-network-alb");
    const open = ofType(
      ev.records,
      "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    ).filter((r) => r.inputs.cidrIpv4 === "0.0.0.0/0");
    expect(
      open.map((r) => [r.inputs.securityGroupId, r.inputs.fromPort, r.inputs.toPort]).sort(),
    ).toEqual([
      [albSg.id, 443, 443],
      [albSg.id, 80, 80],
    ]);
    expect(
      ofType(ev.records, "aws:ec2/securityGroup:SecurityGroup")
        .map((g) => g.name)
        .sort(),
    ).toEqual([
      "platform-network-alb",
      "platform-network-endpoints",
      "platform-network-lambda",
      "platform-network-nodes",
    ]);
    for (const g of ofType(ev.records, "aws:ec2/securityGroup:SecurityGroup")) {
      expect(g.inputs.ingress ?? []).toEqual([]);
    }
  });
});

/**
 * FailoverDrills under the mock monitor: the four FIS templates, their stop conditions and
 * targets, the role scoped to them, and the Kubernetes access the pod actions need.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import {
  FIS_KUBERNETES_USER,
  FailoverDrills,
  fisRolePolicy,
  type FailoverDrillsArgs,
} from "../components/region/drills";
import { evaluateResources } from "../policy/offline";
import { evaluateInRegion, ofType, one } from "./fixtures";

const REGION = "eu-central-1";
const ACCOUNT = "123456789012";
const TABLE = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/platform-global`;
const ALB_ALARM = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:alb-5xx`;
const CANARY_ALARM = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:canary-global`;
const SUBNETS = ["subnet-0a", "subnet-0b", "subnet-0c"];

const args = (edit: Partial<FailoverDrillsArgs> = {}): FailoverDrillsArgs => ({
  region: REGION,
  clusterName: "platform-euc1",
  vpcId: "vpc-0123",
  vpcCidr: "10.20.0.0/16",
  appSubnetIds: SUBNETS,
  tableArn: TABLE,
  targetService: "svc-a",
  durationMinutes: 10,
  podPercent: 50,
  serviceStopAlarmArns: [ALB_ALARM, CANARY_ALARM],
  failoverStopAlarmArns: [CANARY_ALARM],
  ...edit,
});

const evaluate = (a: FailoverDrillsArgs) =>
  evaluateInRegion(REGION, async () => {
    const d = new FailoverDrills("drills", a);
    return { templateIds: pulumi.output(d.templateIds) };
  });

type Template = {
  description: string;
  roleArn: string;
  stopConditions: Array<{ source: string; value: string }>;
  targets: Array<Record<string, unknown>>;
  actions: Array<{ actionId: string; parameters: Array<{ key: string; value: string }> }>;
};

describe("FailoverDrills", () => {
  it("makes the four templates, each stopping on alarms and running as the one role", async () => {
    const ev = await evaluate(args());
    const role = one(ev.records, "aws:iam/role:Role");
    const templates = Object.fromEntries(
      ofType(ev.records, "aws:fis/experimentTemplate:ExperimentTemplate").map((t) => [
        t.name.replace("drills-", ""),
        t.inputs as unknown as Template,
      ]),
    );
    expect(Object.keys(templates).sort()).toEqual([
      "app-subnets-disrupt",
      "pod-cpu-stress",
      "pod-delete",
      "table-replication-pause",
    ]);
    for (const t of Object.values(templates)) expect(t.roleArn).toBe(role.outputs.arn);
    const stops = (t: Template) => t.stopConditions.map((s) => `${s.source} ${s.value}`);
    expect(stops(templates["pod-delete"])).toEqual([
      `aws:cloudwatch:alarm ${ALB_ALARM}`,
      `aws:cloudwatch:alarm ${CANARY_ALARM}`,
    ]);
    // The subnet cut breaks this region on purpose: only the global name failing stops it.
    expect(stops(templates["app-subnets-disrupt"])).toEqual([
      `aws:cloudwatch:alarm ${CANARY_ALARM}`,
    ]);

    expect(templates["pod-delete"].targets[0]).toEqual({
      name: "Pods",
      resourceType: "aws:eks:pod",
      selectionMode: "PERCENT(50)",
      parameters: {
        clusterIdentifier: "platform-euc1",
        namespace: "svc-a",
        selectorType: "labelSelector",
        selectorValue: "app=svc-a",
      },
    });
    expect(templates["pod-cpu-stress"].actions[0]).toMatchObject({
      actionId: "aws:eks:pod-cpu-stress",
      parameters: expect.arrayContaining([{ key: "duration", value: "PT10M" }]),
    });
    expect(templates["app-subnets-disrupt"].targets[0]).toMatchObject({
      resourceType: "aws:ec2:subnet",
      resourceArns: SUBNETS.map((s) => `arn:aws:ec2:${REGION}:${ACCOUNT}:subnet/${s}`),
    });
    expect(templates["app-subnets-disrupt"].actions[0].parameters).toEqual([
      { key: "duration", value: "PT10M" },
      { key: "scope", value: "all" },
    ]);
    expect(templates["table-replication-pause"]).toMatchObject({
      targets: [{ resourceType: "aws:dynamodb:global-table", resourceArns: [TABLE] }],
      actions: [{ actionId: "aws:dynamodb:global-table-pause-replication" }],
    });
  });

  it("maps the role to the FIS Kubernetes user, bound in the service's namespace only", async () => {
    const ev = await evaluate(args());
    const role = one(ev.records, "aws:iam/role:Role");
    expect(one(ev.records, "aws:eks/accessEntry:AccessEntry").inputs).toMatchObject({
      principalArn: role.outputs.arn,
      userName: FIS_KUBERNETES_USER,
      type: "STANDARD",
    });
    const binding = one(ev.records, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding");
    expect(binding.inputs).toMatchObject({
      metadata: { namespace: "svc-a" },
      roleRef: { kind: "Role" },
      subjects: [
        { kind: "ServiceAccount", namespace: "svc-a" },
        { kind: "User", name: FIS_KUBERNETES_USER },
      ],
    });
    expect(
      ofType(ev.records, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"),
    ).toEqual([]);
  });

  it("lets FIS's pod reach the API server through the mesh's default-deny egress, not the service's pods", async () => {
    const ev = await evaluate(args());
    const policy = one(ev.records, "kubernetes:networking.k8s.io/v1:NetworkPolicy");
    expect(policy.inputs).toMatchObject({
      metadata: { namespace: "svc-a" },
      spec: {
        podSelector: { matchExpressions: [{ key: "app", operator: "NotIn", values: ["svc-a"] }] },
        policyTypes: ["Egress"],
        egress: [
          { to: [{ ipBlock: { cidr: "10.20.0.0/16" } }], ports: [{ protocol: "TCP", port: 443 }] },
        ],
      },
    });
    // The templates wait for it: an experiment started before it exists would hang.
    const template = ofType(ev.records, "aws:fis/experimentTemplate:ExperimentTemplate")[0];
    expect(template.dependencies).toContain(policy.urn);
  });

  it("is clean under the policy pack (role scoped, FIS-only trust, alarm stops)", async () => {
    const ev = await evaluate(args());
    expect(evaluateResources(ev.records).violations).toEqual([]);
    const trust = JSON.parse(String(one(ev.records, "aws:iam/role:Role").inputs.assumeRolePolicy));
    expect(trust.Statement[0].Condition).toEqual({
      StringEquals: { "aws:SourceAccount": ACCOUNT },
      ArnLike: { "aws:SourceArn": `arn:aws:fis:${REGION}:${ACCOUNT}:experiment/*` },
    });
  });

  // The role's policy for one region's cluster, app subnets and replica.
  const testRolePolicy = () =>
    fisRolePolicy({
      partition: "aws",
      region: REGION,
      accountId: ACCOUNT,
      clusterName: "c",
      vpcId: "vpc-1",
      appSubnetIds: SUBNETS,
      tableArn: TABLE,
    });

  it("swaps network ACLs on the app subnets only, and touches only this region's replica", () => {
    const policy = testRolePolicy();
    const swap = policy.Statement.find((s) => s.Sid === "SwapNetworkAclsOfTheAppSubnets")!;
    expect(swap.Resource).toEqual([
      `arn:aws:ec2:${REGION}:${ACCOUNT}:network-acl/*`,
      ...SUBNETS.map((s) => `arn:aws:ec2:${REGION}:${ACCOUNT}:subnet/${s}`),
    ]);
    // FIS writes its deny statement into the replica's policy and its stream's policy.
    expect(
      policy.Statement.find((s) => s.Sid === "PauseReplicationOfThisReplica")!.Resource,
    ).toEqual([TABLE, `${TABLE}/stream/*`]);
    const onStar = policy.Statement.filter((s) => s.Resource === "*").flatMap((s) => s.Action);
    expect(onStar.every((a) => /:(Describe|Get)/.test(a))).toBe(true);
  });

  it("grants every permission the FIS actions reference lists for the four actions", () => {
    const policy = testRolePolicy();
    const granted = new Set(policy.Statement.flatMap((s) => [s.Action].flat()));
    // https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html
    const documented = {
      "aws:eks:pod-delete": ["eks:DescribeCluster", "ec2:DescribeSubnets", "tag:GetResources"],
      "aws:eks:pod-cpu-stress": ["eks:DescribeCluster", "ec2:DescribeSubnets", "tag:GetResources"],
      "aws:network:disrupt-connectivity": [
        "ec2:CreateNetworkAcl",
        "ec2:CreateNetworkAclEntry",
        "ec2:CreateTags",
        "ec2:DeleteNetworkAcl",
        "ec2:DescribeManagedPrefixLists",
        "ec2:DescribeNetworkAcls",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
        "ec2:GetManagedPrefixListEntries",
        "ec2:ReplaceNetworkAclAssociation",
      ],
      "aws:dynamodb:global-table-pause-replication": [
        "dynamodb:PutResourcePolicy",
        "dynamodb:DeleteResourcePolicy",
        "dynamodb:GetResourcePolicy",
        "dynamodb:DescribeTable",
        "tag:GetResources",
      ],
    };
    for (const [action, permissions] of Object.entries(documented)) {
      expect({ action, missing: permissions.filter((p) => !granted.has(p)) }).toEqual({
        action,
        missing: [],
      });
    }
  });

  it("leaves the subnet cut out without a failover alarm, and refuses templates that cannot stop", async () => {
    const ev = await evaluate(args({ failoverStopAlarmArns: [] }));
    expect(
      ofType(ev.records, "aws:fis/experimentTemplate:ExperimentTemplate").map((t) => t.name),
    ).not.toContain("drills-app-subnets-disrupt");
    await expect(evaluate(args({ serviceStopAlarmArns: [] }))).rejects.toThrow(
      "every experiment template needs at least one stop-condition alarm",
    );
  });
});

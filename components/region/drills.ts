/**
 * FailoverDrills: AWS FIS experiment templates of one region, each with CloudWatch alarms as stop
 * conditions and one role scoped to exactly what the templates touch:
 * - pod-delete / pod-cpu-stress: a share of the target service's pods (aws:eks:pod-delete,
 *   aws:eks:pod-cpu-stress), through a Kubernetes service account and RBAC in the service's
 *   namespace and an EKS access entry mapping the role to the user FIS expects;
 *   https://docs.aws.amazon.com/fis/latest/userguide/eks-pod-actions.html
 * - app-subnets-disrupt: the app tier's subnets cut off (aws:network:disrupt-connectivity,
 *   scope all), the region's real failure: Route 53 must take it out of the global name;
 * - table-replication-pause: the region's replica of the global table stops replicating
 *   (aws:dynamodb:global-table-pause-replication).
 *   https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html
 *
 * Created after the mesh (the service's namespace must exist); its Kubernetes children go to the
 * region's cluster through `opts.providers`.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { policyDocument as doc, type PolicyDocument } from "../../lib/iam";

/** The Kubernetes user FIS acts as and the service account its pods run with. */
export const FIS_KUBERNETES_USER = "fis-experiment";
export const FIS_SERVICE_ACCOUNT = "fis-experiment";

export interface DrillScope {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly clusterName: string;
  readonly vpcId: string;
  readonly appSubnetIds: readonly string[];
  readonly tableArn: string;
}

export const subnetArn = (s: DrillScope, id: string): string =>
  `arn:${s.partition}:ec2:${s.region}:${s.accountId}:subnet/${id}`;

/**
 * FIS assumes the role for this account's experiments in this region only (the confused-deputy
 * conditions of https://docs.aws.amazon.com/fis/latest/userguide/getting-started-iam-service-role.html).
 */
export function fisTrustPolicy(s: Pick<DrillScope, "partition" | "region" | "accountId">) {
  return doc({
    Sid: "AssumedByFis",
    Effect: "Allow",
    Principal: { Service: "fis.amazonaws.com" },
    Action: "sts:AssumeRole",
    Condition: {
      StringEquals: { "aws:SourceAccount": s.accountId },
      ArnLike: {
        "aws:SourceArn": `arn:${s.partition}:fis:${s.region}:${s.accountId}:experiment/*`,
      },
    },
  });
}

/**
 * What the templates need, and no more: the cluster (pod actions), the FIS-tagged network ACLs it
 * creates in this VPC and swaps onto the app subnets only (after the AWS managed policy
 * AWSFaultInjectionSimulatorNetworkAccess, narrowed to this VPC and these subnets), and the
 * resource policies of this region's table replica and its stream (the pause action adds and
 * removes a statement denying the replication role on both). Describe/List calls have no resource
 * types and stay on "*". Each action's permissions are listed in
 * https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html (pod actions:
 * eks:DescribeCluster, ec2:DescribeSubnets, tag:GetResources).
 */
export function fisRolePolicy(s: DrillScope): PolicyDocument {
  const ec2 = `arn:${s.partition}:ec2:${s.region}:${s.accountId}`;
  const fisTag = { "aws:RequestTag/managedByFIS": "true" };
  return doc(
    {
      Sid: "DescribeTheCluster",
      Effect: "Allow",
      Action: ["eks:DescribeCluster"],
      Resource: `arn:${s.partition}:eks:${s.region}:${s.accountId}:cluster/${s.clusterName}`,
    },
    {
      Sid: "CreateFisNetworkAcls",
      Effect: "Allow",
      Action: ["ec2:CreateNetworkAcl"],
      Resource: `${ec2}:network-acl/*`,
      Condition: { StringEquals: fisTag },
    },
    {
      Sid: "CreateFisNetworkAclsInThisVpc",
      Effect: "Allow",
      Action: ["ec2:CreateNetworkAcl"],
      Resource: `${ec2}:vpc/${s.vpcId}`,
    },
    {
      Sid: "TagFisNetworkAclsOnCreate",
      Effect: "Allow",
      Action: ["ec2:CreateTags"],
      Resource: `${ec2}:network-acl/*`,
      Condition: { StringEquals: { "ec2:CreateAction": "CreateNetworkAcl", ...fisTag } },
    },
    {
      Sid: "ManageOnlyFisNetworkAcls",
      Effect: "Allow",
      Action: ["ec2:CreateNetworkAclEntry", "ec2:DeleteNetworkAcl"],
      Resource: `${ec2}:network-acl/*`,
      Condition: { StringEquals: { "ec2:ResourceTag/managedByFIS": "true" } },
    },
    {
      Sid: "SwapNetworkAclsOfTheAppSubnets",
      Effect: "Allow",
      Action: ["ec2:ReplaceNetworkAclAssociation"],
      Resource: [`${ec2}:network-acl/*`, ...s.appSubnetIds.map((id) => subnetArn(s, id))],
    },
    {
      Sid: "ReadNetwork",
      Effect: "Allow",
      Action: [
        "ec2:DescribeManagedPrefixLists",
        "ec2:DescribeNetworkAcls",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
        "ec2:GetManagedPrefixListEntries",
      ],
      Resource: "*",
    },
    {
      // The pause adds its deny statement to the replica's resource policy and to its stream's
      // (table/<name>/stream/<label>), so both need the policy actions.
      // https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html#global-table-pause-replication
      Sid: "PauseReplicationOfThisReplica",
      Effect: "Allow",
      Action: [
        "dynamodb:DeleteResourcePolicy",
        "dynamodb:DescribeTable",
        "dynamodb:GetResourcePolicy",
        "dynamodb:PutResourcePolicy",
      ],
      Resource: [s.tableArn, `${s.tableArn}/stream/*`],
    },
    {
      Sid: "ResolveTargets",
      Effect: "Allow",
      Action: ["tag:GetResources"],
      Resource: "*",
    },
  );
}

/**
 * The namespaced RBAC FIS documents for the pod actions: its pod (run as the service account)
 * creates ephemeral containers in the target pods, or deletes them.
 */
export const FIS_RBAC_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
  { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "create", "patch", "delete"] },
  {
    apiGroups: [""],
    resources: ["pods"],
    verbs: ["create", "list", "get", "delete", "deletecollection"],
  },
  { apiGroups: [""], resources: ["pods/ephemeralcontainers"], verbs: ["update"] },
  { apiGroups: [""], resources: ["pods/exec"], verbs: ["create"] },
  { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get"] },
];

/**
 * The mesh denies all egress in a service's namespace except to its own pods' callees
 * (components/mesh/network-policy.ts); the pod FIS starts there must reach the Kubernetes API
 * (the cluster's private endpoint ENIs, in the VPC, on 443) to delete pods or attach ephemeral
 * containers. FIS's own pod carries no `app` label of ours (its labels are FIS's), so the policy
 * selects every pod of the namespace that is not the service's.
 * https://docs.aws.amazon.com/fis/latest/userguide/eks-pod-actions.html
 */
export function fisPodEgressPolicy(
  service: string,
  vpcCidr: string,
): k8s.types.input.networking.v1.NetworkPolicySpec {
  return {
    podSelector: { matchExpressions: [{ key: "app", operator: "NotIn", values: [service] }] },
    policyTypes: ["Egress"],
    egress: [{ to: [{ ipBlock: { cidr: vpcCidr } }], ports: [{ protocol: "TCP", port: 443 }] }],
  };
}

const param = (entries: Record<string, string>) =>
  Object.entries(entries).map(([key, value]) => ({ key, value }));

/** ISO 8601 duration FIS takes. */
export const isoMinutes = (minutes: number): string => `PT${minutes}M`;

export interface FailoverDrillsArgs {
  region: string;
  clusterName: pulumi.Input<string>;
  vpcId: pulumi.Input<string>;
  /** The VPC's CIDR, where the cluster's API endpoint is (the FIS pod's egress). */
  vpcCidr: string;
  appSubnetIds: pulumi.Input<string[]>;
  /** This region's replica of the global table. */
  tableArn: pulumi.Input<string>;
  /** The service whose pods the pod experiments hit; its namespace and `app` label. */
  targetService: string;
  durationMinutes: number;
  podPercent: number;
  /** Alarms that stop a pod or replication experiment (user-facing errors in this region). */
  serviceStopAlarmArns: pulumi.Input<string>[];
  /**
   * Alarms that stop the subnet disruption: only the global name failing for longer than a
   * failover takes (this region's own errors are the point of that experiment). Empty: no subnet
   * disruption template, since nothing could tell a failed failover from the intended outage.
   */
  failoverStopAlarmArns: pulumi.Input<string>[];
}

export class FailoverDrills extends pulumi.ComponentResource {
  /** Experiment key -> template id. */
  public readonly templateIds: Readonly<Record<string, pulumi.Output<string>>>;
  public readonly roleArn: pulumi.Output<string>;

  constructor(name: string, args: FailoverDrillsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:region:Drills", name, {}, opts);
    if (args.serviceStopAlarmArns.length === 0) {
      throw new Error("drills: every experiment template needs at least one stop-condition alarm");
    }
    const parent = { parent: this };
    const partition = aws.getPartitionOutput({}, parent);
    const identity = aws.getCallerIdentityOutput({}, parent);
    const scope = pulumi
      .all([
        partition.partition,
        identity.accountId,
        args.clusterName,
        args.vpcId,
        args.appSubnetIds,
        args.tableArn,
      ])
      .apply(([p, accountId, clusterName, vpcId, appSubnetIds, tableArn]): DrillScope => ({
        partition: p,
        region: args.region,
        accountId,
        clusterName,
        vpcId,
        appSubnetIds,
        tableArn,
      }));

    const role = new aws.iam.Role(
      `${name}-fis`,
      { assumeRolePolicy: pulumi.jsonStringify(scope.apply(fisTrustPolicy)) },
      parent,
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-fis`,
      { role: role.id, policy: pulumi.jsonStringify(scope.apply(fisRolePolicy)) },
      parent,
    );

    // The pod actions: the experiment role is the Kubernetes user fis-experiment, bound with the
    // service account to a Role in the target service's namespace only.
    const namespace = args.targetService;
    const accessEntry = new aws.eks.AccessEntry(
      `${name}-fis`,
      {
        clusterName: args.clusterName,
        principalArn: role.arn,
        type: "STANDARD",
        userName: FIS_KUBERNETES_USER,
      },
      parent,
    );
    const account = new k8s.core.v1.ServiceAccount(
      `${name}-fis`,
      { metadata: { name: FIS_SERVICE_ACCOUNT, namespace } },
      parent,
    );
    const k8sRole = new k8s.rbac.v1.Role(
      `${name}-fis`,
      { metadata: { name: FIS_SERVICE_ACCOUNT, namespace }, rules: FIS_RBAC_RULES },
      parent,
    );
    const binding = new k8s.rbac.v1.RoleBinding(
      `${name}-fis`,
      {
        metadata: { name: FIS_SERVICE_ACCOUNT, namespace },
        roleRef: {
          apiGroup: "rbac.authorization.k8s.io",
          kind: "Role",
          name: k8sRole.metadata.name,
        },
        subjects: [
          { kind: "ServiceAccount", name: account.metadata.name, namespace },
          { apiGroup: "rbac.authorization.k8s.io", kind: "User", name: FIS_KUBERNETES_USER },
        ],
      },
      parent,
    );

    const egress = new k8s.networking.v1.NetworkPolicy(
      `${name}-fis`,
      {
        metadata: { name: "allow-fis-pod-egress", namespace },
        spec: fisPodEgressPolicy(args.targetService, args.vpcCidr),
      },
      parent,
    );

    const stop = (arns: pulumi.Input<string>[]) =>
      arns.map((value) => ({ source: "aws:cloudwatch:alarm", value }));
    const duration = isoMinutes(args.durationMinutes);
    const pods = {
      name: "Pods",
      resourceType: "aws:eks:pod",
      selectionMode: `PERCENT(${args.podPercent})`,
      parameters: {
        clusterIdentifier: args.clusterName,
        namespace,
        selectorType: "labelSelector",
        selectorValue: `app=${args.targetService}`,
      },
    };
    const templates: Record<string, aws.fis.ExperimentTemplateArgs> = {
      "pod-delete": {
        description: `delete ${args.podPercent}% of ${args.targetService}'s pods in ${args.region}`,
        roleArn: role.arn,
        stopConditions: stop(args.serviceStopAlarmArns),
        targets: [pods],
        actions: [
          {
            name: "delete-pods",
            actionId: "aws:eks:pod-delete",
            parameters: param({ kubernetesServiceAccount: FIS_SERVICE_ACCOUNT }),
            target: { key: "Pods", value: "Pods" },
          },
        ],
      },
      "pod-cpu-stress": {
        description: `stress the CPU of ${args.podPercent}% of ${args.targetService}'s pods in ${args.region} for ${duration}`,
        roleArn: role.arn,
        stopConditions: stop(args.serviceStopAlarmArns),
        targets: [pods],
        actions: [
          {
            name: "stress-cpu",
            actionId: "aws:eks:pod-cpu-stress",
            parameters: param({
              duration,
              percent: "80",
              kubernetesServiceAccount: FIS_SERVICE_ACCOUNT,
            }),
            target: { key: "Pods", value: "Pods" },
          },
        ],
      },
      "app-subnets-disrupt": {
        description: `cut the app subnets of ${args.region} off for ${duration}: the region must fail over`,
        roleArn: role.arn,
        stopConditions: stop(args.failoverStopAlarmArns),
        targets: [
          {
            name: "Subnets",
            resourceType: "aws:ec2:subnet",
            selectionMode: "ALL",
            resourceArns: scope.apply((s) => s.appSubnetIds.map((id) => subnetArn(s, id))),
          },
        ],
        actions: [
          {
            name: "disrupt-app-subnets",
            actionId: "aws:network:disrupt-connectivity",
            parameters: param({ duration, scope: "all" }),
            target: { key: "Subnets", value: "Subnets" },
          },
        ],
      },
      "table-replication-pause": {
        description: `pause the global table's replication to and from ${args.region} for ${duration}`,
        roleArn: role.arn,
        stopConditions: stop(args.serviceStopAlarmArns),
        targets: [
          {
            name: "Tables",
            resourceType: "aws:dynamodb:global-table",
            selectionMode: "ALL",
            resourceArns: [args.tableArn],
          },
        ],
        actions: [
          {
            name: "pause-replication",
            actionId: "aws:dynamodb:global-table-pause-replication",
            parameters: param({ duration }),
            target: { key: "Tables", value: "Tables" },
          },
        ],
      },
    };
    const templateIds: Record<string, pulumi.Output<string>> = {};
    if (args.failoverStopAlarmArns.length === 0) delete templates["app-subnets-disrupt"];
    for (const [key, template] of Object.entries(templates)) {
      templateIds[key] = new aws.fis.ExperimentTemplate(
        `${name}-${key}`,
        { ...template, tags: { Name: `${name}-${key}` } },
        { ...parent, dependsOn: [rolePolicy, accessEntry, binding, egress] },
      ).id;
    }
    this.templateIds = templateIds;
    this.roleArn = role.arn;
    this.registerOutputs({ templateIds, roleArn: this.roleArn });
  }
}

/**
 * The IAM documents of a region, as typed objects built from plain strings. The constructors
 * resolve the ARNs first (`pulumi.all(...).apply(builder)`) and serialise the result with
 * `pulumi.jsonStringify`; tests call the builders directly.
 *
 * Rules every document here follows: no `*` action, no `service:*`, ARNs from the partition,
 * trust policies name one service or one federated OIDC provider and one service account.
 * Where an AWS API has no resource-level permissions it must be granted on "*" (AWS says so in
 * the Service Authorization Reference); those statements are the `RESOURCE_STAR_ONLY` actions
 * below, each with its reason, and they carry a condition where AWS offers one.
 */
import {
  cloudWatchAlarmsKeyStatement,
  policyDocument as doc,
  type PolicyDocument,
  type PolicyStatement,
} from "../../lib/iam";

type Str = string;
export type { PolicyDocument };
type Statement = PolicyStatement;

/** Actions AWS only authorises on Resource "*", with the reason. */
export const RESOURCE_STAR_ONLY: Readonly<Record<string, string>> = {
  "xray:PutTraceSegments": "X-Ray has no resource types",
  "xray:PutTelemetryRecords": "X-Ray has no resource types",
  "xray:GetSamplingRules": "X-Ray sampling reads are account-wide",
  "xray:GetSamplingTargets": "X-Ray sampling reads are account-wide",
  "cloudwatch:PutMetricData": "no resource types; scoped by the cloudwatch:namespace condition",
  "ec2:DescribeNetworkInterfaces": "Describe* calls have no resource types",
};

/**
 * IRSA trust: exactly one service account of the cluster's OIDC provider. `issuer` is the OIDC
 * URL without `https://` (what the condition keys are named after).
 */
export function irsaTrust(
  oidcProviderArn: Str,
  issuer: string,
  namespace: string,
  serviceAccount: string,
): PolicyDocument {
  return doc({
    Effect: "Allow",
    Principal: { Federated: oidcProviderArn },
    Action: ["sts:AssumeRoleWithWebIdentity"],
    Condition: {
      StringEquals: {
        [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
        [`${issuer}:aud`]: "sts.amazonaws.com",
      },
    },
  });
}

export interface Scope {
  readonly partition: Str;
  readonly region: Str;
  readonly accountId: Str;
}

/** VPC flow logs delivering into one log group. */
export function flowLogsPolicy(logGroupArn: Str): PolicyDocument {
  return doc({
    Sid: "DeliverFlowLogs",
    Effect: "Allow",
    Action: ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
    Resource: [logGroupArn, `${logGroupArn}:log-stream:*`],
  });
}

export interface ConsumerPolicyInputs {
  readonly tableArn: Str;
  readonly dlqArn: Str;
  readonly kmsKeyArn: Str;
  readonly logGroupArn: Str;
  /** `arn:<partition>:ec2:<region>:<account>` */
  readonly ec2ArnPrefix: Str;
  readonly subnetArns: Str[];
  readonly securityGroupArn: Str;
  /** The VPC the subnets belong to. */
  readonly vpcArn: Str;
  readonly region: Str;
}

/**
 * The AWS services through which a role may use the region key (`kms:ViaService`): the key then
 * works only inside calls to those services in this region, never directly
 * (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
 */
export function viaServices(services: readonly string[], region: Str): string[] {
  return [...new Set(services)].sort().map((svc) => `${svc}.${region}.amazonaws.com`);
}

/** The Lambda consumer: the idempotency write, its DLQ, the key, its logs, its ENIs, X-Ray. */
export function consumerPolicy(i: ConsumerPolicyInputs): PolicyDocument {
  return doc(
    {
      Sid: "IdempotencyWrite",
      Effect: "Allow",
      Action: ["dynamodb:PutItem"],
      Resource: i.tableArn,
    },
    {
      Sid: "OnFailureDestination",
      Effect: "Allow",
      Action: ["sqs:SendMessage"],
      Resource: i.dlqArn,
    },
    {
      // Through DynamoDB (the table), SQS (the dead-letter queue) and Lambda (its environment).
      Sid: "RegionKey",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: i.kmsKeyArn,
      Condition: {
        StringEquals: { "kms:ViaService": viaServices(["dynamodb", "lambda", "sqs"], i.region) },
      },
    },
    {
      Sid: "Logs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: i.logGroupArn,
    },
    {
      Sid: "VpcEniPlacement",
      Effect: "Allow",
      Action: ["ec2:CreateNetworkInterface"],
      Resource: [...i.subnetArns, i.securityGroupArn],
    },
    {
      // Network interfaces only in the consumer's subnets of its VPC: the network-interface
      // resource carries ec2:Subnet and ec2:Vpc (Service Authorization Reference, Amazon EC2,
      // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
      Sid: "VpcEnis",
      Effect: "Allow",
      Action: [
        "ec2:AssignPrivateIpAddresses",
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:UnassignPrivateIpAddresses",
      ],
      Resource: `${i.ec2ArnPrefix}:network-interface/*`,
      Condition: { ArnEquals: { "ec2:Subnet": i.subnetArns, "ec2:Vpc": i.vpcArn } },
    },
    {
      Sid: "DescribeEnis",
      Effect: "Allow",
      Action: ["ec2:DescribeNetworkInterfaces"],
      Resource: "*",
    },
    ...xrayStatements(),
  );
}

function xrayStatements(): Statement[] {
  return [
    {
      Sid: "XRay",
      Effect: "Allow",
      Action: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
      Resource: "*",
    },
  ];
}

/** The ADOT collector: traces to X-Ray, metrics to the managed Prometheus workspace (if any). */
export function collectorPolicy(ampWorkspaceArn?: Str): PolicyDocument {
  return doc(
    {
      Sid: "XRay",
      Effect: "Allow",
      Action: [
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
      ],
      Resource: "*",
    },
    ...(ampWorkspaceArn
      ? [
          {
            Sid: "RemoteWrite",
            Effect: "Allow" as const,
            Action: ["aps:RemoteWrite"],
            Resource: ampWorkspaceArn,
          },
        ]
      : []),
  );
}

/** The CloudWatch agent of the Container Insights add-on, held to its log groups and namespaces. */
export function cloudwatchAgentPolicy(s: Scope, clusterName: Str): PolicyDocument {
  const groups = `arn:${s.partition}:logs:${s.region}:${s.accountId}:log-group:/aws/containerinsights/${clusterName}/*`;
  return doc(
    {
      Sid: "Metrics",
      Effect: "Allow",
      Action: ["cloudwatch:PutMetricData"],
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": ["ContainerInsights", "CWAgent"] } },
    },
    {
      Sid: "Logs",
      Effect: "Allow",
      Action: [
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
        "logs:PutRetentionPolicy",
      ],
      Resource: [groups, `${groups}:log-stream:*`],
    },
    {
      Sid: "Describe",
      Effect: "Allow",
      Action: ["ec2:DescribeTags", "ec2:DescribeVolumes", "eks:DescribeCluster"],
      Resource: "*",
    },
  );
}

/**
 * cluster-autoscaler: reads are account-wide; changes only to the Auto Scaling groups tagged as
 * this cluster's (EKS tags its managed node groups' groups with the auto-discovery tags).
 */
export function clusterAutoscalerPolicy(s: Scope, clusterName: Str): PolicyDocument {
  return doc(
    {
      Sid: "Discover",
      Effect: "Allow",
      Action: [
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeAutoScalingInstances",
        "autoscaling:DescribeLaunchConfigurations",
        "autoscaling:DescribeScalingActivities",
        "autoscaling:DescribeTags",
        "ec2:DescribeImages",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeLaunchTemplateVersions",
        "ec2:GetInstanceTypesFromInstanceRequirements",
        "eks:DescribeNodegroup",
      ],
      Resource: "*",
    },
    {
      Sid: "ScaleOwnGroups",
      Effect: "Allow",
      Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
      Resource: `arn:${s.partition}:autoscaling:${s.region}:${s.accountId}:autoScalingGroup:*:autoScalingGroupName/*`,
      Condition: {
        StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: "owned" },
      },
    },
  );
}

/**
 * The AWS Load Balancer Controller, run for TargetGroupBinding only (the ALB and its listeners
 * are Pulumi's): it registers pod IPs into the one target group and reads what it needs to.
 */
export function loadBalancerControllerPolicy(targetGroupArn: Str): PolicyDocument {
  return doc(
    {
      Sid: "Read",
      Effect: "Allow",
      Action: [
        "ec2:DescribeAvailabilityZones",
        "ec2:DescribeInstances",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeTags",
        "elasticloadbalancing:DescribeTargetGroupAttributes",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetHealth",
      ],
      Resource: "*",
    },
    {
      Sid: "RegisterTargets",
      Effect: "Allow",
      Action: ["elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets"],
      Resource: targetGroupArn,
    },
  );
}

/**
 * The key of the us-east-1 alarm topic (Route 53 health-check alarms exist only there). The
 * account administers it with named actions; CloudWatch may use it to publish to the topic, on
 * behalf of this account's alarms in the key's region only: the same statement as the fabric key's
 * (components/global/policies.ts).
 */
export function alarmKeyPolicy(
  partition: string,
  accountId: string,
  region: string,
): PolicyDocument {
  return doc(
    {
      Sid: "AccountAdministers",
      Effect: "Allow",
      Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
      Action: [
        "kms:CancelKeyDeletion",
        "kms:Create*",
        "kms:Decrypt",
        "kms:Delete*",
        "kms:Describe*",
        "kms:Disable*",
        "kms:Enable*",
        "kms:Encrypt",
        "kms:GenerateDataKey*",
        "kms:Get*",
        "kms:List*",
        "kms:Put*",
        "kms:ReEncrypt*",
        "kms:Revoke*",
        "kms:ScheduleKeyDeletion",
        "kms:TagResource",
        "kms:UntagResource",
        "kms:Update*",
      ],
      Resource: "*",
    },
    cloudWatchAlarmsKeyStatement(partition, region, accountId),
  );
}

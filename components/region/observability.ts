/**
 * The region's observability: KMS-encrypted log groups with retention, an encrypted SNS alarm
 * topic with e-mail subscriptions, the alarms (alarms.ts), Container Insights (the
 * amazon-cloudwatch-observability add-on), traces through an in-cluster ADOT collector to X-Ray,
 * and Prometheus: an Amazon Managed Prometheus workspace the collector writes to, or the
 * kube-prometheus-stack in the cluster.
 *
 * The Kubernetes provider comes through `opts.providers`; AWS resources use the default provider,
 * except the Route 53 health-check alarm (below).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { chartRelease } from "./addons";
import { alarmSpecs, replicationLatencyQuery, type AlarmSpec } from "./alarms";
import { CHARTS, collectorEndpoint, collectorValues } from "./charts";
import { alarmKeyPolicy, cloudwatchAgentPolicy, collectorPolicy } from "./iam";
import { irsaRole } from "./irsa";

export const PROMETHEUS_MODES = ["managed", "in-cluster"] as const;
export type PrometheusMode = (typeof PROMETHEUS_MODES)[number];

/** The groups Container Insights writes to; created here so they carry the key and retention. */
export const CONTAINER_INSIGHTS_LOG_GROUPS = [
  "application",
  "dataplane",
  "host",
  "performance",
] as const;

/** Route 53 publishes health-check metrics in us-east-1 only. */
export const ROUTE53_METRICS_REGION = "us-east-1";

export interface ObservabilityArgs {
  region: string;
  clusterName: string;
  oidcProviderArn: pulumi.Input<string>;
  oidcProviderUrl: pulumi.Input<string>;
  kmsKeyArn: pulumi.Input<string>;
  logRetentionDays: number;
  /** @default [] - who gets the alarms (each confirms the subscription by e-mail) */
  alarmEmails?: string[];
  /** @default managed */
  prometheus?: PrometheusMode;
  albArnSuffix: pulumi.Input<string>;
  targetGroupArnSuffix: pulumi.Input<string>;
  dlqName: pulumi.Input<string>;
  tableName: pulumi.Input<string>;
  healthCheckId: pulumi.Input<string>;
  /**
   * @default [] - what the Container Insights add-on waits for: the cluster's node groups (its
   * agents need nodes; the Helm releases wait through their Kubernetes provider)
   */
  nodeGroups?: pulumi.Resource[];
}

export class Observability extends pulumi.ComponentResource {
  public readonly alarmTopicArn: pulumi.Output<string>;
  /** OTLP/gRPC endpoint of the in-cluster collector, for the mesh's Telemetry. */
  public readonly tracingEndpoint: pulumi.Output<string>;
  /** The managed Prometheus workspace's endpoint, or "" when Prometheus runs in the cluster. */
  public readonly prometheusEndpoint: pulumi.Output<string>;
  public readonly alarmNames: pulumi.Output<string>[];
  /** Alarm key (alarms.ts) -> ARN, e.g. for FIS stop conditions. */
  public readonly alarmArns: Readonly<Record<string, pulumi.Output<string>>>;

  constructor(name: string, args: ObservabilityArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:region:Observability", name, {}, opts);
    const mode = args.prometheus ?? "managed";
    if (!PROMETHEUS_MODES.includes(mode)) {
      throw new Error(
        `observability.prometheus: "${mode}" is not one of ${PROMETHEUS_MODES.join(", ")}`,
      );
    }
    const parent = { parent: this };
    const partition = aws.getPartitionOutput({}, parent);
    const identity = aws.getCallerIdentityOutput({}, parent);
    const logGroup = (key: string, groupName: pulumi.Input<string> | undefined) =>
      new aws.cloudwatch.LogGroup(
        `${name}-${key}`,
        {
          ...(groupName ? { name: groupName } : {}),
          kmsKeyId: args.kmsKeyArn,
          retentionInDays: args.logRetentionDays,
        },
        parent,
      );

    // Alarm topic and subscriptions.
    const topic = new aws.sns.Topic(`${name}-alarms`, { kmsMasterKeyId: args.kmsKeyArn }, parent);
    const subscribe = (
      suffix: string,
      topicArn: pulumi.Input<string>,
      o: pulumi.CustomResourceOptions,
    ) =>
      (args.alarmEmails ?? []).forEach(
        (email, i) =>
          new aws.sns.TopicSubscription(
            `${name}-alarms${suffix}-${i}`,
            { topic: topicArn, protocol: "email", endpoint: email },
            o,
          ),
      );
    subscribe("", topic.arn, parent);

    // The health-check alarm must live in us-east-1, and its action must be a topic in the same
    // region as the alarm: outside us-east-1, a second topic (with its own key) lives there.
    let usEast1: { opts: pulumi.CustomResourceOptions; topicArn: pulumi.Output<string> } = {
      opts: parent,
      topicArn: topic.arn,
    };
    if (args.region !== ROUTE53_METRICS_REGION) {
      const provider = new aws.Provider(
        `${name}-${ROUTE53_METRICS_REGION}`,
        { region: ROUTE53_METRICS_REGION },
        parent,
      );
      const o = { parent: this, provider };
      const key = new aws.kms.Key(
        `${name}-alarms-${ROUTE53_METRICS_REGION}`,
        {
          description: `alarm topic of ${args.region} (Route 53 health-check alarms live in ${ROUTE53_METRICS_REGION})`,
          enableKeyRotation: true,
          deletionWindowInDays: 30,
          policy: pulumi.jsonStringify(
            pulumi
              .all([partition.partition, identity.accountId])
              .apply(([p, a]) => alarmKeyPolicy(p, a, ROUTE53_METRICS_REGION)),
          ),
        },
        { ...o, protect: true },
      );
      const remoteTopic = new aws.sns.Topic(
        `${name}-alarms-${ROUTE53_METRICS_REGION}`,
        { kmsMasterKeyId: key.arn },
        o,
      );
      subscribe(`-${ROUTE53_METRICS_REGION}`, remoteTopic.arn, o);
      usEast1 = { opts: o, topicArn: remoteTopic.arn };
    }

    const specs = alarmSpecs({
      albArnSuffix: args.albArnSuffix,
      targetGroupArnSuffix: args.targetGroupArnSuffix,
      dlqName: args.dlqName,
      replicationLatencyQuery: pulumi.output(args.tableName).apply(replicationLatencyQuery),
      healthCheckId: args.healthCheckId,
    });
    const alarms = specs.map((spec) => {
      const where = spec.usEast1 ? usEast1 : { opts: parent, topicArn: topic.arn };
      return { key: spec.key, alarm: this.alarm(name, spec, where.topicArn, where.opts) };
    });
    this.alarmNames = alarms.map((a) => a.alarm.name);
    this.alarmArns = Object.fromEntries(alarms.map((a) => [a.key, a.alarm.arn]));

    // Container Insights: the add-on's agent writes into the groups created here.
    const insightsGroups = CONTAINER_INSIGHTS_LOG_GROUPS.map((g) =>
      logGroup(`insights-${g}`, `/aws/containerinsights/${args.clusterName}/${g}`),
    );
    const oidc = { oidcProviderArn: args.oidcProviderArn, oidcProviderUrl: args.oidcProviderUrl };
    const agentRole = irsaRole(
      `${name}-cloudwatch-agent`,
      {
        ...oidc,
        namespace: "amazon-cloudwatch",
        serviceAccount: "cloudwatch-agent",
        policy: pulumi
          .all([partition.partition, identity.accountId])
          .apply(([p, accountId]) =>
            cloudwatchAgentPolicy(
              { partition: p, region: args.region, accountId },
              args.clusterName,
            ),
          ),
      },
      parent,
    );
    new aws.eks.Addon(
      `${name}-container-insights`,
      {
        clusterName: args.clusterName,
        addonName: "amazon-cloudwatch-observability",
        serviceAccountRoleArn: agentRole.arn,
        resolveConflictsOnCreate: "OVERWRITE",
        resolveConflictsOnUpdate: "OVERWRITE",
      },
      { ...parent, dependsOn: [...insightsGroups, ...(args.nodeGroups ?? [])] },
    );

    // Prometheus.
    let remoteWriteUrl: pulumi.Output<string | undefined> = pulumi.output(undefined);
    let workspaceArn: pulumi.Output<string | undefined> = pulumi.output(undefined);
    switch (mode) {
      case "managed": {
        const ampLogs = logGroup("prometheus", undefined);
        const workspace = new aws.amp.Workspace(
          `${name}-prometheus`,
          {
            alias: args.clusterName,
            kmsKeyArn: args.kmsKeyArn,
            loggingConfiguration: { logGroupArn: pulumi.interpolate`${ampLogs.arn}:*` },
          },
          { ...parent, protect: true },
        );
        remoteWriteUrl = pulumi.interpolate`${workspace.prometheusEndpoint}api/v1/remote_write`;
        workspaceArn = workspace.arn;
        this.prometheusEndpoint = workspace.prometheusEndpoint;
        break;
      }
      case "in-cluster": {
        chartRelease(
          `${name}-kube-prometheus`,
          CHARTS.kubePrometheusStack,
          { grafana: { enabled: false }, alertmanager: { enabled: false } },
          parent,
        );
        this.prometheusEndpoint = pulumi.output("");
        break;
      }
      default: {
        const unreachable: never = mode;
        throw new Error(`unknown Prometheus mode ${String(unreachable)}`);
      }
    }

    // Traces (and OTLP metrics) through the ADOT collector.
    const collectorRole = irsaRole(
      `${name}-collector`,
      {
        ...oidc,
        namespace: CHARTS.collector.namespace,
        serviceAccount: CHARTS.collector.serviceAccount,
        policy: workspaceArn.apply((arn) => collectorPolicy(arn)),
      },
      parent,
    );
    chartRelease(
      `${name}-collector`,
      CHARTS.collector,
      pulumi
        .all([collectorRole.arn, remoteWriteUrl])
        .apply(([role, url]) => collectorValues(args.region, role, url)),
      parent,
    );

    this.alarmTopicArn = topic.arn;
    this.tracingEndpoint = pulumi.output(collectorEndpoint());
    this.registerOutputs({
      alarmTopicArn: this.alarmTopicArn,
      tracingEndpoint: this.tracingEndpoint,
      prometheusEndpoint: this.prometheusEndpoint,
      alarmNames: this.alarmNames,
    });
  }

  private alarm(
    name: string,
    spec: AlarmSpec,
    topicArn: pulumi.Input<string>,
    opts: pulumi.CustomResourceOptions,
  ): aws.cloudwatch.MetricAlarm {
    return new aws.cloudwatch.MetricAlarm(
      `${name}-${spec.key}`,
      {
        alarmDescription: spec.description,
        comparisonOperator: spec.comparisonOperator,
        threshold: spec.threshold,
        evaluationPeriods: spec.evaluationPeriods,
        datapointsToAlarm: spec.datapointsToAlarm,
        treatMissingData: spec.treatMissingData,
        namespace: spec.namespace,
        metricName: spec.metricName,
        statistic: spec.statistic,
        period: spec.period,
        dimensions: spec.dimensions,
        metricQueries: spec.metricQueries,
        alarmActions: [topicArn],
        okActions: [topicArn],
      },
      opts,
    );
  }
}

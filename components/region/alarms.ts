/**
 * The region's alarms, as data. Pure: the values are passed through untouched (plain strings in
 * tests, Outputs in the component), so the table is what the tests assert on.
 */
import type * as pulumi from "@pulumi/pulumi";

type In = pulumi.Input<string>;

/** ALB 5xx responses (its own and the targets') above this share of requests, in percent. */
export const ALB_5XX_RATE_PERCENT = 5;
/** Replication to any other region slower than this, in milliseconds. */
export const REPLICATION_LATENCY_MS = 60_000;

export interface MetricQuery {
  id: string;
  expression?: In;
  label?: string;
  returnData?: boolean;
  period?: number;
  metric?: {
    namespace: string;
    metricName: string;
    period: number;
    stat: string;
    dimensions: Record<string, In>;
  };
}

export interface AlarmSpec {
  key: string;
  description: string;
  comparisonOperator: "GreaterThanThreshold" | "LessThanThreshold";
  threshold: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  treatMissingData: "notBreaching" | "breaching" | "missing";
  /** Either a single metric... */
  namespace?: string;
  metricName?: string;
  statistic?: "Sum" | "Maximum" | "Minimum" | "Average";
  period?: number;
  dimensions?: Record<string, In>;
  /** ...or metric math / a Metrics Insights query. */
  metricQueries?: MetricQuery[];
  /** Route 53 metrics exist in us-east-1 only: this alarm must be created there. */
  usEast1?: boolean;
}

export interface AlarmInputs {
  albArnSuffix: In;
  targetGroupArnSuffix: In;
  dlqName: In;
  /** A Metrics Insights query over the table's ReplicationLatency to every receiving region. */
  replicationLatencyQuery: In;
  healthCheckId: In;
}

/** Metrics Insights: the worst replication latency from this region's replica to any other. */
export function replicationLatencyQuery(tableName: string): string {
  if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(tableName)) {
    throw new Error(`replicationLatencyQuery: "${tableName}" is not a DynamoDB table name`);
  }
  return `SELECT MAX(ReplicationLatency) FROM SCHEMA("AWS/DynamoDB", ReceivingRegion, TableName) WHERE TableName = '${tableName}'`;
}

const alb = (metricName: string, d: AlarmInputs) => ({
  namespace: "AWS/ApplicationELB",
  metricName,
  period: 60,
  stat: "Sum",
  dimensions: { LoadBalancer: d.albArnSuffix },
});

export function alarmSpecs(d: AlarmInputs): AlarmSpec[] {
  return [
    {
      key: "alb-5xx-rate",
      description: `ALB 5xx responses above ${ALB_5XX_RATE_PERCENT}% of requests`,
      comparisonOperator: "GreaterThanThreshold",
      threshold: ALB_5XX_RATE_PERCENT,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: "notBreaching",
      metricQueries: [
        { id: "elb5xx", metric: alb("HTTPCode_ELB_5XX_Count", d), returnData: false },
        { id: "target5xx", metric: alb("HTTPCode_Target_5XX_Count", d), returnData: false },
        { id: "requests", metric: alb("RequestCount", d), returnData: false },
        {
          id: "rate",
          expression: "100 * (FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests",
          label: "5xx rate (%)",
          returnData: true,
        },
      ],
    },
    {
      key: "unhealthy-targets",
      description: "the ingress gateway has unhealthy targets",
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: "notBreaching",
      namespace: "AWS/ApplicationELB",
      metricName: "UnHealthyHostCount",
      statistic: "Maximum",
      period: 60,
      dimensions: { LoadBalancer: d.albArnSuffix, TargetGroup: d.targetGroupArnSuffix },
    },
    {
      key: "dlq-depth",
      description: "messages in the dead-letter queue",
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      statistic: "Maximum",
      period: 60,
      dimensions: { QueueName: d.dlqName },
    },
    {
      key: "replication-latency",
      description: `DynamoDB replication to another region slower than ${REPLICATION_LATENCY_MS} ms`,
      comparisonOperator: "GreaterThanThreshold",
      threshold: REPLICATION_LATENCY_MS,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: "notBreaching",
      metricQueries: [
        {
          id: "latency",
          expression: d.replicationLatencyQuery,
          period: 60,
          label: "ReplicationLatency",
          returnData: true,
        },
      ],
    },
    {
      key: "health-check",
      description: "Route 53 health check of the regional endpoint is failing",
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: "breaching",
      namespace: "AWS/Route53",
      metricName: "HealthCheckStatus",
      statistic: "Minimum",
      period: 60,
      dimensions: { HealthCheckId: d.healthCheckId },
      usEast1: true,
    },
  ];
}

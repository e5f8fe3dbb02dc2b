import { beforeAll, describe, expect, it } from "vitest";
import {
  ALB_5XX_RATE_PERCENT,
  alarmSpecs,
  replicationLatencyQuery,
} from "../components/region/alarms";
import { regionSchema } from "../lib/config/schema";
import type { StackEvaluation } from "../plan/evaluate";
import {
  KEY_ARN,
  countByType,
  evaluatePlatform,
  globalView,
  ofType,
  one,
  rawRegion,
  regionConfig,
} from "./region-helpers";

describe("alarm table", () => {
  const specs = alarmSpecs({
    albArnSuffix: "app/alb/1",
    targetGroupArnSuffix: "targetgroup/tg/1",
    dlqName: "dlq",
    replicationLatencyQuery: replicationLatencyQuery("platform-data"),
    healthCheckId: "hc-1",
  });

  it("alarms on 5xx rate, unhealthy targets, DLQ depth, replication latency and the health check", () => {
    expect(
      specs.map((s) => [s.key, s.comparisonOperator, s.threshold, s.usEast1 ?? false]),
    ).toEqual([
      ["alb-5xx-rate", "GreaterThanThreshold", ALB_5XX_RATE_PERCENT, false],
      ["unhealthy-targets", "GreaterThanThreshold", 0, false],
      ["dlq-depth", "GreaterThanThreshold", 0, false],
      ["replication-latency", "GreaterThanThreshold", 60000, false],
      ["health-check", "LessThanThreshold", 1, true],
    ]);
    expect(specs[0].metricQueries!.find((q) => q.returnData)!.expression).toBe(
      "100 * (FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests",
    );
    expect(specs[3].metricQueries![0].expression).toBe(
      `SELECT MAX(ReplicationLatency) FROM SCHEMA("AWS/DynamoDB", ReceivingRegion, TableName) WHERE TableName = 'platform-data'`,
    );
  });

  it("refuses a table name that would break the query", () => {
    expect(() => replicationLatencyQuery("x' OR '1")).toThrow(
      `replicationLatencyQuery: "x' OR '1" is not a DynamoDB table name`,
    );
  });
});

describe("region config validation (issue 3's fields)", () => {
  it("takes the global database from the global stack, not from a hand-typed identifier", () => {
    const raw = rawRegion();
    raw.aurora = { enabled: true, globalClusterIdentifier: "platform-global" };
    const result = regionSchema.safeParse(raw);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => [i.code, i.path.join("."), i.message])).toEqual([
      ["unrecognized_keys", "aurora", 'Unrecognized key: "globalClusterIdentifier"'],
    ]);
  });

  it("defaults Aurora off, on the global database's version, with the platform user", () => {
    expect(regionConfig().aurora).toEqual({
      enabled: false,
      instanceClass: "db.r7g.large",
      instances: 2,
      masterUsername: "platform",
      backupRetentionDays: 7,
      performanceInsights: true,
    });
  });

  it("defaults the gateway ports and keeps the accelerator off", () => {
    expect(regionConfig().ingress).toEqual({
      apiGateway: false,
      healthCheckPath: "/healthz",
      healthCheckIntervalSeconds: 10,
      healthCheckFailureThreshold: 3,
      gatewayPort: 8080,
      gatewayHealthPort: 15021,
      gatewayHealthPath: "/healthz/ready",
      globalAccelerator: false,
    });
  });

  it("fails the platform on a VPC block too small for its zones", async () => {
    await expect(
      evaluatePlatform(
        regionConfig((raw) => (raw.network = { vpcCidr: "10.20.0.0/24", azCount: 3 })),
      ),
    ).rejects.toThrow("network.vpcCidr: 10.20.0.0/24 is too small for 3 zones");
  });
});

describe("RegionalPlatform under the mock monitor (update)", () => {
  let ev: StackEvaluation;
  beforeAll(async () => {
    ev = await evaluatePlatform(regionConfig(), { preview: false });
  });

  it("composes the five parts under one Platform component", () => {
    const platform = one(ev.records, "platform:region:Platform");
    const parts = ev.records.filter(
      (r) => r.parent === platform.urn && r.type.startsWith("platform:region:"),
    );
    expect(parts.map((p) => p.type).sort()).toEqual([
      "platform:region:Async",
      "platform:region:Cluster",
      "platform:region:Ingress",
      "platform:region:Network",
      "platform:region:Observability",
    ]);
  });

  it("declares the same resources every time (the region's inventory)", () => {
    expect(ev.records).toHaveLength(119);
    expect(countByType(ev.records)).toMatchObject({
      "aws:cloudwatch/logGroup:LogGroup": 8,
      "aws:cloudwatch/metricAlarm:MetricAlarm": 5,
      "aws:ec2/vpcEndpoint:VpcEndpoint": 9,
      "aws:eks/nodeGroup:NodeGroup": 3,
      "aws:iam/role:Role": 8,
      "aws:sns/topic:Topic": 2,
      "kubernetes:helm.sh/v3:Release": 4,
    });
  });

  it("encrypts every data service with the region key", () => {
    const keyed: Array<[string, string]> = [
      ["aws:cloudwatch/logGroup:LogGroup", "kmsKeyId"],
      ["aws:sqs/queue:Queue", "kmsMasterKeyId"],
      ["aws:lambda/function:Function", "kmsKeyArn"],
      ["aws:amp/workspace:Workspace", "kmsKeyArn"],
      ["eks:index:Cluster", "encryptionConfigKeyArn"],
    ];
    for (const [type, field] of keyed) {
      const resources = ofType(ev.records, type);
      expect(resources.length).toBeGreaterThan(0);
      for (const r of resources) expect([r.name, r.inputs[field]]).toEqual([r.name, KEY_ARN]);
    }
    // The SNS topic in us-east-1 (health-check alarms) uses its own key there.
    const topics = ofType(ev.records, "aws:sns/topic:Topic");
    const usEast1Key = one(ev.records, "aws:kms/key:Key");
    expect(topics.map((t) => [t.name, t.inputs.kmsMasterKeyId]).sort()).toEqual([
      ["platform-observability-alarms", KEY_ARN],
      ["platform-observability-alarms-us-east-1", usEast1Key.outputs.arn],
    ]);
    expect(usEast1Key.inputs.enableKeyRotation).toBe(true);
  });

  it("protects what holds data or audit records", () => {
    const protectedNames = ev.records.filter((r) => r.protect).map((r) => `${r.type} ${r.name}`);
    expect(protectedNames.sort()).toEqual([
      "aws:amp/workspace:Workspace platform-observability-prometheus",
      "aws:cloudwatch/logGroup:LogGroup platform-cluster-control-plane",
      "aws:cloudwatch/logGroup:LogGroup platform-network-flow-logs",
      "aws:kms/key:Key platform-observability-alarms-us-east-1",
      "aws:s3/bucket:Bucket platform-ingress-alb-logs",
    ]);
  });

  it("creates the Route 53 health-check alarm in us-east-1 and the others in the region", () => {
    const alarms = ofType(ev.records, "aws:cloudwatch/metricAlarm:MetricAlarm");
    const check = one(ev.records, "aws:route53/healthCheck:HealthCheck");
    const hc = one(
      ev.records,
      "aws:cloudwatch/metricAlarm:MetricAlarm",
      "platform-observability-health-check",
    );
    expect(hc.inputs).toMatchObject({
      namespace: "AWS/Route53",
      metricName: "HealthCheckStatus",
      dimensions: { HealthCheckId: check.id },
    });
    const provider = ev.records.find((r) => hc.provider.startsWith(r.urn))!;
    expect(provider.inputs.region).toBe("us-east-1");
    const usEast1Topic = one(
      ev.records,
      "aws:sns/topic:Topic",
      "platform-observability-alarms-us-east-1",
    );
    expect(hc.inputs.alarmActions).toEqual([usEast1Topic.outputs.arn]);
    const topic = one(ev.records, "aws:sns/topic:Topic", "platform-observability-alarms");
    for (const a of alarms.filter((x) => x !== hc)) {
      expect([a.name, a.provider, a.inputs.alarmActions]).toEqual([
        a.name,
        "",
        [topic.outputs.arn],
      ]);
    }
    const dlq = one(ev.records, "aws:sqs/queue:Queue", "platform-async-dlq");
    expect(
      one(ev.records, "aws:cloudwatch/metricAlarm:MetricAlarm", "platform-observability-dlq-depth")
        .inputs.dimensions,
    ).toEqual({
      QueueName: dlq.outputs.name,
    });
  });

  it("lets CloudWatch use the us-east-1 alarm key only for this account's alarms there", () => {
    const key = one(ev.records, "aws:kms/key:Key", "platform-observability-alarms-us-east-1");
    const statements = JSON.parse(String(key.inputs.policy)).Statement as Array<{ Sid: string }>;
    expect(statements.map((s) => s.Sid)).toEqual([
      "AccountAdministers",
      "AllowCloudWatchAlarmsToPublishToEncryptedTopics",
    ]);
    expect(statements[1]).toEqual({
      Sid: "AllowCloudWatchAlarmsToPublishToEncryptedTopics",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: "*",
      Condition: {
        StringEquals: { "aws:SourceAccount": "123456789012" },
        ArnLike: { "aws:SourceArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:*" },
      },
    });
  });

  it("subscribes the alarm e-mails in both regions", () => {
    const subs = ofType(ev.records, "aws:sns/topicSubscription:TopicSubscription");
    expect(subs.map((s) => [s.name, s.inputs.protocol, s.inputs.endpoint]).sort()).toEqual([
      ["platform-observability-alarms-0", "email", "oncall@example.com"],
      ["platform-observability-alarms-us-east-1-0", "email", "oncall@example.com"],
    ]);
  });

  it("turns on Container Insights and sends traces to X-Ray and metrics to managed Prometheus", () => {
    const [addon] = ofType(ev.records, "aws:eks/addon:Addon").filter(
      (a) => a.inputs.addonName === "amazon-cloudwatch-observability",
    );
    // Its agents need nodes: created after every node group.
    for (const g of ofType(ev.records, "aws:eks/nodeGroup:NodeGroup")) {
      expect(addon.dependencies).toContain(g.urn);
    }
    expect(addon.inputs).toMatchObject({
      addonName: "amazon-cloudwatch-observability",
      clusterName: "platform-euc1",
    });
    const insightGroups = ofType(ev.records, "aws:cloudwatch/logGroup:LogGroup")
      .map((g) => String(g.inputs.name))
      .filter((n) => n.startsWith("/aws/containerinsights/"));
    expect(insightGroups.sort()).toEqual(
      ["application", "dataplane", "host", "performance"].map(
        (g) => `/aws/containerinsights/platform-euc1/${g}`,
      ),
    );
    const collector = ofType(ev.records, "kubernetes:helm.sh/v3:Release").find(
      (r) => r.inputs.chart === "opentelemetry-collector",
    )!;
    const values = collector.inputs.values as {
      config: {
        exporters: Record<string, { endpoint: string }>;
        service: { pipelines: Record<string, { exporters: string[] }> };
      };
    };
    const workspace = one(ev.records, "aws:amp/workspace:Workspace");
    expect(values.config.exporters.prometheusremotewrite.endpoint).toBe(
      `${workspace.outputs.prometheusEndpoint}api/v1/remote_write`,
    );
    expect(values.config.service.pipelines.traces.exporters).toEqual(["awsxray"]);
    expect(ev.outputs.tracingEndpoint).toBe(
      "http://adot-collector.observability.svc.cluster.local:4317",
    );
  });

  it("exposes what the region program reads", () => {
    expect(Object.keys(ev.outputs).sort()).toEqual([
      "albDnsName",
      "clusterName",
      "ingressTargetGroupArn",
      "oidcProviderArn",
      "tracingEndpoint",
      "vpcId",
      "workQueueArn",
      "workQueueUrl",
    ]);
    expect(ev.outputs.clusterName).toBe("platform-euc1");
  });
});

describe("variants", () => {
  it("in us-east-1 needs no second topic, key or provider for the health-check alarm", async () => {
    const ev = await evaluatePlatform(regionConfig(() => {}, "us-east-1"));
    expect(ofType(ev.records, "aws:sns/topic:Topic")).toHaveLength(1);
    expect(ofType(ev.records, "aws:kms/key:Key")).toHaveLength(0);
    expect(ofType(ev.records, "pulumi:providers:aws")).toHaveLength(0);
    expect(
      one(
        ev.records,
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "platform-observability-health-check",
      ).provider,
    ).toBe("");
  });

  it("runs kube-prometheus-stack in the cluster instead of a managed workspace", async () => {
    const ev = await evaluatePlatform(
      regionConfig((raw) => (raw.observability.prometheus = "in-cluster")),
    );
    expect(ofType(ev.records, "aws:amp/workspace:Workspace")).toHaveLength(0);
    const charts = ofType(ev.records, "kubernetes:helm.sh/v3:Release").map((r) => r.inputs.chart);
    expect(charts).toContain("kube-prometheus-stack");
    expect(charts).toHaveLength(5);
  });

  it("fails a region that enables Aurora when the global stack has no global database", async () => {
    await expect(
      evaluatePlatform(
        regionConfig((raw) => (raw.aurora = { enabled: true })),
        { preview: false, global: globalView("", { auroraGlobalClusterId: "" }) },
      ),
    ).rejects.toThrow(
      "region eu-central-1 enables platform:aurora but the global stack exports no Aurora global cluster; set platform:aurora.enabled in Pulumi.global.yaml",
    );
  });

  it("previews the same inventory as an update (no resource hidden behind an apply)", async () => {
    // One after the other: the Pulumi runtime's state is process-wide.
    const preview = await evaluatePlatform(regionConfig(), { preview: true });
    const update = await evaluatePlatform(regionConfig(), { preview: false });
    expect(preview.records).toHaveLength(119);
    expect(countByType(preview.records)).toEqual(countByType(update.records));
    expect(preview.records.map((r) => r.name).sort()).toEqual(
      update.records.map((r) => r.name).sort(),
    );
  });
});

/**
 * What the issues say will be checked on the plan documents, checked here on the plan of the
 * project's real stack files (and of a four-region what-if), with the policy pack applied.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { runPlan, type PlanResult, type StackPlan } from "../plan/plan";
import { ADVISORY_BY_DEFAULT } from "../policy/config";
import { runProgram } from "../programs";
import { ofType, one, PROJECT_DIR } from "./fixtures";
import { planProjectWithPack } from "./project-plan";
import { ISTIO_MODELS } from "./mesh-fixtures";

const fabricOf = (result: PlanResult, region: string) =>
  (result.stacks[0].document.outputs.fabric as Record<string, Record<string, string>>)[region];

/** Resource types that hold data or identity, and must survive a careless destroy. */
const STATEFUL = [
  "aws:kms/key:Key",
  "aws:kms/replicaKey:ReplicaKey",
  "aws:dynamodb/table:Table",
  "aws:s3/bucket:Bucket",
  "aws:ecr/repository:Repository",
  "aws:route53/zone:Zone",
  "aws:rds/cluster:Cluster",
];

describe("the platform's plan", () => {
  let result: PlanResult;
  beforeAll(async () => {
    result = await planProjectWithPack();
  });

  it("has no policy violation in any stack (operational flags apart)", () => {
    // The operational flags (a queue nothing reads) are checked in policy-queues.test.ts.
    const violations = (s: StackPlan) =>
      s.document.violations.filter((v) => !ADVISORY_BY_DEFAULT.includes(v.policy));
    expect(result.stacks.map((s) => [s.stack, violations(s)])).toEqual([
      ["global", []],
      ["eu-central-1", []],
      ["us-east-1", []],
    ]);
  });

  it("protects every stateful resource", () => {
    for (const s of result.stacks) {
      for (const r of s.records.filter((r) => STATEFUL.includes(r.type))) {
        expect(r.protect || r.retainOnDelete, r.urn).toBe(true);
      }
    }
  });

  describe.each(["eu-central-1", "us-east-1"])("region %s", (region) => {
    let plan: StackPlan;
    beforeAll(() => {
      plan = result.stacks.find((s) => s.stack === region)!;
    });

    it("has a VPC with public, private-app and isolated data tiers", () => {
      const vpc = one(plan.records, "awsx:ec2:Vpc");
      const tiers = (vpc.inputs.subnetSpecs as Array<{ type: string }>).map((s) => s.type);
      expect(tiers.sort()).toEqual(["Isolated", "Private", "Public"]);
    });

    it("has an EKS cluster with secrets encrypted by the region key, reachable by the pipeline", () => {
      const cluster = one(plan.records, "eks:index:Cluster");
      expect(cluster.inputs.encryptionConfigKeyArn).toBe(fabricOf(result, region).kmsKeyArn);
      expect(cluster.inputs.endpointPrivateAccess).toBe(true);
      // The deploy workflow's GitHub-hosted runners have no fixed addresses: the stack files open
      // the public endpoint to them on purpose (allowPublicAccessFromAnywhere; README).
      expect(cluster.inputs.endpointPublicAccess).toBe(true);
      expect(cluster.inputs.publicAccessCidrs).toEqual(["0.0.0.0/0"]);
    });

    it("has an ALB with a TLS 1.2+ HTTPS listener and an HTTP redirect", () => {
      const listeners = ofType(plan.records, "aws:lb/listener:Listener");
      const https = listeners.find((l) => l.inputs.protocol === "HTTPS")!;
      const http = listeners.find((l) => l.inputs.protocol === "HTTP")!;
      expect(https.inputs.sslPolicy).toBe("ELBSecurityPolicy-TLS13-1-2-2021-06");
      expect(http.inputs.defaultActions).toEqual([
        { type: "redirect", redirect: { port: "443", protocol: "HTTPS", statusCode: "HTTP_301" } },
      ]);
    });

    it("registers in latency routing with a 10 s health check attached", () => {
      const check = one(plan.records, "aws:route53/healthCheck:HealthCheck");
      expect(check.inputs).toMatchObject({
        type: "HTTPS",
        resourcePath: "/healthz",
        requestInterval: 10,
        failureThreshold: 3,
        fqdn: `${region}.api.platform.example.com`,
      });
      const latency = ofType(plan.records, "aws:route53/record:Record").filter(
        (r) => r.inputs.setIdentifier !== undefined,
      );
      expect(latency).toHaveLength(1);
      expect(latency[0].inputs).toMatchObject({
        name: "api.platform.example.com",
        setIdentifier: region,
        latencyRoutingPolicies: [{ region }],
        healthCheckId: check.id,
        zoneId: result.stacks[0].document.outputs.zoneId,
      });
    });

    it("has a work queue with a dead-letter queue, a Lambda consumer and the alarms", () => {
      const queues = ofType(plan.records, "aws:sqs/queue:Queue");
      expect(queues).toHaveLength(2);
      const work = queues.find((q) => q.inputs.redrivePolicy !== undefined)!;
      const dlq = queues.find((q) => q !== work)!;
      expect(JSON.parse(String(work.inputs.redrivePolicy)).deadLetterTargetArn).toBe(
        dlq.outputs.arn,
      );
      const fn = one(plan.records, "aws:lambda/function:Function");
      expect(fn.inputs.tracingConfig).toEqual({ mode: "Active" });
      expect(
        ofType(plan.records, "aws:cloudwatch/metricAlarm:MetricAlarm").length,
      ).toBeGreaterThanOrEqual(5);
    });

    it("opens nothing to the internet but the ALB on 80 and 443", () => {
      const open = ofType(
        plan.records,
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
      ).filter((r) => r.inputs.cidrIpv4 === "0.0.0.0/0" || r.inputs.cidrIpv6 === "::/0");
      expect(open.map((r) => r.inputs.fromPort).sort()).toEqual([443, 80]);
      const albGroups = new Set(
        ofType(plan.records, "aws:lb/loadBalancer:LoadBalancer").flatMap(
          (lb) => lb.inputs.securityGroups as string[],
        ),
      );
      for (const rule of open)
        expect(albGroups.has(String(rule.inputs.securityGroupId))).toBe(true);
      for (const sg of ofType(plan.records, "aws:ec2/securityGroup:SecurityGroup")) {
        const ingress = (sg.inputs.ingress as Array<{ cidrBlocks?: string[] }> | undefined) ?? [];
        expect(ingress.flatMap((i) => i.cidrBlocks ?? [])).not.toContain("0.0.0.0/0");
      }
    });

    it("encrypts everything with the region's key (or a key the stack itself owns)", () => {
      const own = new Set(
        ofType(plan.records, "aws:kms/key:Key").map((k) => String(k.outputs.arn)),
      );
      own.add(fabricOf(result, region).kmsKeyArn);
      const keyInputs = ["kmsKeyId", "kmsMasterKeyId", "kmsKeyArn", "encryptionConfigKeyArn"];
      let checked = 0;
      for (const r of plan.records) {
        for (const k of keyInputs) {
          if (typeof r.inputs[k] === "string") {
            expect(own.has(r.inputs[k] as string), `${r.urn} ${k}`).toBe(true);
            checked++;
          }
        }
      }
      expect(checked).toBeGreaterThanOrEqual(10);
    });

    it("runs the mesh: Istio, strict mTLS, circuit breaking, deny by default", () => {
      const charts = ofType(plan.records, "kubernetes:helm.sh/v3:Release").map(
        (r) => r.inputs.chart,
      );
      expect(charts).toEqual(expect.arrayContaining(["base", "istiod", "gateway"]));
      const mtls = ofType(plan.records, "kubernetes:security.istio.io/v1beta1:PeerAuthentication");
      expect(mtls.map((p) => (p.inputs.spec as { mtls: { mode: string } }).mtls.mode)).toEqual([
        "STRICT",
      ]);
      const rules = plan.records.filter((r) => r.type.endsWith(":DestinationRule"));
      expect(
        rules.some(
          (r) =>
            (r.inputs.spec as { trafficPolicy?: { outlierDetection?: unknown } }).trafficPolicy
              ?.outlierDetection,
        ),
      ).toBe(true);
      const denyAll = plan.records.filter(
        (r) =>
          r.type.endsWith(":AuthorizationPolicy") &&
          Object.keys((r.inputs.spec as object) ?? {}).length === 0,
      );
      expect(denyAll.length).toBeGreaterThanOrEqual(3);
    });

    it("holds only Istio objects that validate against the Istio schema", () => {
      const istio = plan.records.filter((r) => r.type.includes(".istio.io/"));
      expect(istio.length).toBeGreaterThanOrEqual(15);
      for (const r of istio) {
        const Model = ISTIO_MODELS[`${r.inputs.apiVersion}/${r.inputs.kind}`];
        expect(Model, r.type).toBeDefined();
        expect(() => new Model(r.inputs as never).validate(), r.urn).not.toThrow();
      }
    });

    it.each(["svc-a", "svc-b", "svc-c"])("deploys %s with its full set of objects", (svc) => {
      const inNs = (type: string) =>
        plan.records.filter(
          (r) =>
            r.type.endsWith(type) &&
            (r.inputs.metadata as { namespace?: string })?.namespace === svc,
        );
      expect(inNs(":Deployment").length).toBeGreaterThanOrEqual(1);
      expect(inNs(":Service")).toHaveLength(1);
      expect(inNs(":HorizontalPodAutoscaler").length).toBeGreaterThanOrEqual(1);
      expect(inNs(":PodDisruptionBudget")).toHaveLength(1);
      expect(inNs(":DestinationRule")).toHaveLength(1);
      const vs = inNs(":VirtualService");
      expect(vs.length).toBeGreaterThanOrEqual(1);
      for (const v of vs) {
        for (const route of (
          v.inputs.spec as { http: Array<{ retries?: object; timeout?: string }> }
        ).http) {
          expect(route.retries, v.urn).toBeDefined();
          expect(route.timeout, v.urn).toBeDefined();
        }
      }
    });
  });
});

describe("a four-region what-if", () => {
  it("gives three replicas, twelve replication rules and twelve forwarding paths", async () => {
    const regions = ["us-east-1", "eu-central-1", "ap-southeast-2", "sa-east-1"] as const;
    const result = await runPlan({
      dir: PROJECT_DIR,
      program: runProgram,
      regions: [...regions],
      stack: "global",
    });
    const global = result.stacks[0];
    const table = one(global.records, "aws:dynamodb/table:Table");
    const replicas = table.inputs.replicas as Array<{
      regionName: string;
      kmsKeyArn: string;
      pointInTimeRecovery: boolean;
    }>;
    expect(replicas.map((r) => r.regionName).sort()).toEqual([
      "ap-southeast-2",
      "eu-central-1",
      "sa-east-1",
    ]);
    for (const r of replicas) {
      expect(r.pointInTimeRecovery).toBe(true);
      expect(r.kmsKeyArn).toBe(fabricOf(result, r.regionName).kmsKeyArn);
    }
    const rules = ofType(
      global.records,
      "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    ).flatMap(
      (c) => c.inputs.rules as Array<{ destination: { replicationTime?: { status: string } } }>,
    );
    expect(rules).toHaveLength(12);
    for (const rule of rules) expect(rule.destination.replicationTime?.status).toBe("Enabled");
    const targets = ofType(global.records, "aws:cloudwatch/eventTarget:EventTarget");
    const findings = targets.filter((t) => t.urn.includes("platform:global:ThreatDetection"));
    expect(targets.filter((t) => !findings.includes(t))).toHaveLength(12);
    // GuardDuty findings: one target per region; Security Hub's: one in the home region.
    expect(findings).toHaveLength(5);
    expect(ofType(global.records, "aws:cloudwatch/eventBus:EventBus")).toHaveLength(4);
    expect(ofType(global.records, "aws:kms/replicaKey:ReplicaKey")).toHaveLength(3);
    const replication = one(
      global.records,
      "aws:ecr/replicationConfiguration:ReplicationConfiguration",
    );
    const destinations = (
      replication.inputs.replicationConfiguration as {
        rules: Array<{ destinations: Array<{ region: string }> }>;
      }
    ).rules.flatMap((r) => r.destinations.map((d) => d.region));
    expect(destinations.sort()).toEqual(["ap-southeast-2", "eu-central-1", "sa-east-1"]);
  });
});

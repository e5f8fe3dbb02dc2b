import { beforeAll, describe, expect, it } from "vitest";
import { albLogBucketPolicy, logDeliveryPrincipal } from "../components/region/alb-logs";
import { TLS_POLICY, validateIngressArgs } from "../components/region/ingress";
import type { StackEvaluation } from "../plan/evaluate";
import * as pulumi from "@pulumi/pulumi";
import {
  GLOBAL_NAME_VALIDATION_FQDN,
  ZONE_ID,
  evaluatePlatform,
  globalView,
  doc,
  ofType,
  one,
  regionConfig,
} from "./region-helpers";

describe("ALB log delivery", () => {
  describe.each([
    ["us-east-1", "aws", { AWS: "arn:aws:iam::127311923021:root" }],
    ["eu-central-1", "aws", { AWS: "arn:aws:iam::054676820928:root" }],
    ["us-gov-west-1", "aws-us-gov", { AWS: "arn:aws-us-gov:iam::048591011584:root" }],
    ["ap-southeast-4", "aws", { Service: "logdelivery.elasticloadbalancing.amazonaws.com" }],
  ])("in %s", (region, partition, principal) => {
    it("names the region's writer", () =>
      expect(logDeliveryPrincipal(region, partition)).toEqual(principal));
  });

  it("lets the writer put objects under the prefix only, and denies plain HTTP", () => {
    const policy = albLogBucketPolicy(
      "arn:aws:s3:::b-alb-logs",
      "eu-central-1",
      "aws",
      "123456789012",
    );
    expect(policy.Statement.map((s) => [s.Effect, s.Action, s.Resource])).toEqual([
      ["Deny", ["s3:*"], ["arn:aws:s3:::b-alb-logs", "arn:aws:s3:::b-alb-logs/*"]],
      ["Allow", ["s3:PutObject"], "arn:aws:s3:::b-alb-logs/alb/AWSLogs/123456789012/*"],
    ]);
  });
});

describe("ingress validation", () => {
  it("refuses a regional name equal to the global name", () => {
    expect(() =>
      validateIngressArgs({ globalName: "api.example.com", regionalName: "api.example.com" }),
    ).toThrow(
      'dns.regionalName: "api.example.com" equals dns.globalName; the regional name must point to this region alone',
    );
  });
});

describe("Ingress under the mock monitor", () => {
  let ev: StackEvaluation;
  beforeAll(async () => {
    ev = await evaluatePlatform(regionConfig());
  });

  it("validates one certificate for both names in the global zone", () => {
    const cert = one(ev.records, "aws:acm/certificate:Certificate");
    expect(cert.inputs).toMatchObject({
      domainName: "eu-central-1.api.platform.example.com",
      subjectAlternativeNames: ["api.platform.example.com"],
      validationMethod: "DNS",
    });
    const records = ofType(ev.records, "aws:route53/record:Record").filter(
      (r) => r.inputs.type === "CNAME",
    );
    // Only the regional name's record is this stack's; the global name's is the global stack's,
    // so destroying one region never deletes what the others' certificates renew with.
    expect(records).toHaveLength(1);
    expect(records[0].inputs.zoneId).toBe(ZONE_ID);
    expect(String(records[0].inputs.name)).toMatch(
      /\.eu-central-1\.api\.platform\.example\.com\.$/,
    );
    expect(records[0].inputs.allowOverwrite).toBeUndefined();
    const validation = one(ev.records, "aws:acm/certificateValidation:CertificateValidation");
    expect(validation.inputs.certificateArn).toBe(cert.outputs.arn);
    expect(validation.inputs.validationRecordFqdns).toEqual([
      records[0].outputs.fqdn,
      GLOBAL_NAME_VALIDATION_FQDN,
    ]);
  });

  it("refuses a global stack whose validation record is not the one ACM asks for", async () => {
    const stale = {
      ...globalView(),
      globalNameValidationFqdn: pulumi.output("_old.api.platform.example.com"),
    };
    await expect(evaluatePlatform(regionConfig(), { global: stale })).rejects.toThrow(
      "the certificate of api.platform.example.com validates with",
    );
  });

  it("puts a protected, internet-facing ALB in the public subnets with access logs", () => {
    const alb = one(ev.records, "aws:lb/loadBalancer:LoadBalancer");
    const vpcOut = one(ev.records, "awsx:ec2:Vpc").outputs as { publicSubnetIds: string[] };
    const bucket = one(ev.records, "aws:s3/bucket:Bucket");
    expect(alb.inputs).toMatchObject({
      loadBalancerType: "application",
      internal: false,
      subnets: vpcOut.publicSubnetIds,
      dropInvalidHeaderFields: true,
      enableDeletionProtection: true,
      accessLogs: { bucket: bucket.outputs.bucket, prefix: "alb", enabled: true },
    });
    expect(bucket.name).toContain("alb-logs");
    expect(String(bucket.outputs.bucket)).toContain("alb-logs");
    expect([bucket.protect, bucket.retainOnDelete]).toEqual([true, true]);
    expect(
      one(
        ev.records,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      ).inputs.rules,
    ).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
    expect(
      one(ev.records, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs,
    ).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    const policy = doc(one(ev.records, "aws:s3/bucketPolicy:BucketPolicy").inputs.policy);
    expect(policy.Statement[1].Principal).toEqual({ AWS: "arn:aws:iam::054676820928:root" });
  });

  it("serves HTTPS with the TLS 1.2+ policy and redirects HTTP", () => {
    const listeners = ofType(ev.records, "aws:lb/listener:Listener").sort(
      (a, b) => Number(a.inputs.port) - Number(b.inputs.port),
    );
    const tg = one(ev.records, "aws:lb/targetGroup:TargetGroup");
    const cert = one(ev.records, "aws:acm/certificate:Certificate");
    expect(listeners.map((l) => l.inputs)).toEqual([
      expect.objectContaining({
        port: 80,
        protocol: "HTTP",
        defaultActions: [
          {
            type: "redirect",
            redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" },
          },
        ],
      }),
      expect.objectContaining({
        port: 443,
        protocol: "HTTPS",
        sslPolicy: TLS_POLICY,
        certificateArn: cert.outputs.arn,
        defaultActions: [{ type: "forward", targetGroupArn: tg.outputs.arn }],
      }),
    ]);
    expect(TLS_POLICY).toBe("ELBSecurityPolicy-TLS13-1-2-2021-06");
    expect(tg.inputs).toMatchObject({
      targetType: "ip",
      protocol: "HTTP",
      port: 8080,
      healthCheck: { port: "15021", path: "/healthz/ready", protocol: "HTTP" },
    });
  });

  it("checks the regional endpoint every 10 s and attaches the check to the latency record", () => {
    const check = one(ev.records, "aws:route53/healthCheck:HealthCheck");
    expect(check.inputs).toMatchObject({
      type: "HTTPS",
      fqdn: "eu-central-1.api.platform.example.com",
      port: 443,
      resourcePath: "/healthz",
      requestInterval: 10,
      failureThreshold: 3,
      enableSni: true,
    });
    const alb = one(ev.records, "aws:lb/loadBalancer:LoadBalancer");
    const alias = [
      { name: alb.outputs.dnsName, zoneId: alb.outputs.zoneId, evaluateTargetHealth: true },
    ];
    const latency = one(ev.records, "aws:route53/record:Record", "platform-ingress-global");
    expect(latency.inputs).toMatchObject({
      zoneId: ZONE_ID,
      name: "api.platform.example.com",
      type: "A",
      setIdentifier: "eu-central-1",
      latencyRoutingPolicies: [{ region: "eu-central-1" }],
      healthCheckId: check.id,
      aliases: alias,
    });
    const regional = one(ev.records, "aws:route53/record:Record", "platform-ingress-regional");
    expect(regional.inputs).toMatchObject({
      name: "eu-central-1.api.platform.example.com",
      type: "A",
      aliases: alias,
    });
    expect(regional.inputs.setIdentifier).toBeUndefined();
  });

  it("takes the health-check settings from config", async () => {
    const slow = await evaluatePlatform(
      regionConfig(
        (raw) =>
          (raw.ingress = {
            healthCheckIntervalSeconds: 30,
            healthCheckFailureThreshold: 5,
            healthCheckPath: "/ready",
          }),
      ),
    );
    expect(one(slow.records, "aws:route53/healthCheck:HealthCheck").inputs).toMatchObject({
      requestInterval: 30,
      failureThreshold: 5,
      resourcePath: "/ready",
    });
  });

  it("creates no API or accelerator endpoint by default", () => {
    expect(ofType(ev.records, "aws:apigatewayv2/api:Api")).toHaveLength(0);
    expect(ofType(ev.records, "aws:globalaccelerator/endpointGroup:EndpointGroup")).toHaveLength(0);
  });

  it("registers the ALB with the accelerator through a us-west-2 provider when asked", async () => {
    const listener = "arn:aws:globalaccelerator::123456789012:accelerator/a/listener/l";
    const withGa = await evaluatePlatform(
      regionConfig((raw) => (raw.ingress = { globalAccelerator: true })),
      {
        global: globalView(listener),
      },
    );
    const group = one(withGa.records, "aws:globalaccelerator/endpointGroup:EndpointGroup");
    const alb = one(withGa.records, "aws:lb/loadBalancer:LoadBalancer");
    expect(group.inputs).toMatchObject({
      listenerArn: listener,
      endpointGroupRegion: "eu-central-1",
      endpointConfigurations: [
        { endpointId: alb.outputs.arn, weight: 100, clientIpPreservationEnabled: true },
      ],
    });
    const provider = withGa.records.find((r) => group.provider.startsWith(r.urn))!;
    expect(provider.inputs.region).toBe("us-west-2");
  });

  it("fails when the accelerator is asked for but the global stack has none", async () => {
    await expect(
      evaluatePlatform(
        regionConfig((raw) => (raw.ingress = { globalAccelerator: true })),
        { preview: false },
      ),
    ).rejects.toThrow(
      "ingress.globalAccelerator is true but the global stack exports no acceleratorListenerArn",
    );
  });

  it("puts an HTTP API in front when asked", async () => {
    const withApi = await evaluatePlatform(
      regionConfig((raw) => (raw.ingress = { apiGateway: true })),
    );
    expect(one(withApi.records, "aws:apigatewayv2/api:Api").inputs.protocolType).toBe("HTTP");
    expect(one(withApi.records, "aws:apigatewayv2/integration:Integration").inputs).toMatchObject({
      integrationType: "HTTP_PROXY",
      integrationUri: "https://eu-central-1.api.platform.example.com/{proxy}",
    });
  });
});

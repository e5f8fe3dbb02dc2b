/** The ServiceMesh and its Microservices under the mock monitor: exact objects, counts, IAM. */
/* eslint-disable @typescript-eslint/no-explicit-any -- recorded inputs are untyped JSON, whose
   shape is exactly what these assertions check */
import { beforeAll, describe, expect, it } from "vitest";
import type { RecordedResource } from "../plan/record";
import {
  FABRIC,
  OIDC_ARN,
  TARGET_GROUP_ARN,
  WORK_QUEUE_ARN,
  WORK_QUEUE_URL,
  regionConfig,
  runMesh,
  type MeshRun,
  ISTIO_MODELS,
  TRACING_ENDPOINT,
} from "./mesh-fixtures";

const ofType = (run: MeshRun, type: string) => run.records.filter((r) => r.type === type);
const named = (run: MeshRun, name: string): RecordedResource => {
  const found = run.records.filter((r) => r.name === name);
  expect(found.map((r) => r.name)).toEqual([name]);
  return found[0];
};
const spec = (r: RecordedResource) => r.inputs.spec as Record<string, any>;
const K = {
  release: "kubernetes:helm.sh/v3:Release",
  deployment: "kubernetes:apps/v1:Deployment",
  service: "kubernetes:core/v1:Service",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  vs: "kubernetes:networking.istio.io/v1beta1:VirtualService",
  dr: "kubernetes:networking.istio.io/v1beta1:DestinationRule",
  authz: "kubernetes:security.istio.io/v1:AuthorizationPolicy",
  netpol: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  namespace: "kubernetes:core/v1:Namespace",
} as const;

describe.each([
  ["preview", true],
  ["update", false],
])("ServiceMesh in us-east-1 (%s)", (_mode, preview) => {
  let run: MeshRun;
  beforeAll(async () => {
    run = await runMesh({ preview });
  });

  it("declares the component tree, every Kubernetes object on the cluster's provider", () => {
    expect(ofType(run, "platform:mesh:Mesh").map((r) => r.name)).toEqual(["platform"]);
    expect(ofType(run, "platform:mesh:Service").map((r) => r.name)).toEqual([
      "platform-svc-a",
      "platform-svc-b",
      "platform-svc-c",
    ]);
    const kube = run.records.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
    expect(kube).toHaveLength(68);
    expect(kube.filter((r) => !r.provider.startsWith(`${run.providerUrn}::`))).toEqual([]);
    expect(
      run.records
        .filter((r) => r.type.startsWith("aws:"))
        .map((r) => r.type)
        .sort(),
    ).toEqual([
      ...Array(3).fill("aws:iam/role:Role"),
      ...Array(3).fill("aws:iam/rolePolicy:RolePolicy"),
    ]);
    expect(run.outputs.names).toEqual(["svc-a", "svc-b", "svc-c"]);
  });

  it("installs base, istiod and the gateway from Istio's repository, pinned, in order", () => {
    const releases = ofType(run, K.release);
    expect(
      releases.map((r) => [r.inputs.name, r.inputs.chart, r.inputs.version, r.inputs.namespace]),
    ).toEqual([
      ["istio-base", "base", "1.30.3", "istio-system"],
      ["istiod", "istiod", "1.30.3", "istio-system"],
      ["istio-ingressgateway", "gateway", "1.30.3", "istio-ingress"],
    ]);
    for (const r of releases) {
      expect(r.inputs.repositoryOpts).toEqual({
        repo: "https://istio-release.storage.googleapis.com/charts",
      });
    }
    const [base, istiod, gateway] = releases;
    expect(istiod.dependencies).toContain(base.urn);
    expect(gateway.dependencies).toContain(istiod.urn);
    const values = istiod.inputs.values as Record<string, any>;
    expect(values.meshConfig.extensionProviders).toEqual([
      {
        name: "otel-tracing",
        opentelemetry: { service: "adot-collector.observability.svc.cluster.local", port: 4317 },
      },
    ]);
    expect((gateway.inputs.values as Record<string, any>).service).toEqual({
      type: "ClusterIP",
      ports: [
        { name: "status-port", port: 15021, targetPort: 15021, protocol: "TCP" },
        { name: "http", port: 8080, targetPort: 8080, protocol: "TCP" },
      ],
    });
    expect(spec(named(run, "platform-gateway")).servers).toEqual([
      {
        port: { number: 8080, name: "http", protocol: "HTTP" },
        hosts: ["api.platform.example.com", "us-east-1.api.platform.example.com"],
      },
    ]);
    expect((gateway.inputs.values as Record<string, any>).autoscaling.minReplicas).toBe(3);
  });

  it("binds the gateway Service to the ALB's target group by pod IP", () => {
    const tgb = named(run, "platform-ingress-target-group-binding");
    expect(tgb.type).toBe("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding");
    expect(spec(tgb)).toEqual({
      targetGroupARN: TARGET_GROUP_ARN,
      targetType: "ip",
      serviceRef: { name: "istio-ingressgateway", port: 8080 },
    });
  });

  it("enforces STRICT mutual TLS mesh-wide", () => {
    const pa = named(run, "platform-peer-authentication");
    expect(pa.inputs.metadata).toEqual({ name: "default", namespace: "istio-system" });
    expect(spec(pa)).toEqual({ mtls: { mode: "STRICT" } });
  });

  it("talks plain text to the sidecar-less trace collector, mutual TLS to every service", () => {
    // Istio's choice among the root namespace's DestinationRules: the most specific host match
    // (an exact name before a wildcard, a longer wildcard suffix before a shorter one).
    const rules = ofType(run, K.dr).map((r) => spec(r) as { host: string; trafficPolicy: any });
    const ruleFor = (host: string) =>
      rules
        .filter(
          (r) => r.host === host || (r.host.startsWith("*") && host.endsWith(r.host.slice(1))),
        )
        .sort(
          (a, b) =>
            Number(b.host === host) - Number(a.host === host) || b.host.length - a.host.length,
        )[0];
    const collector = new URL(TRACING_ENDPOINT).hostname;
    expect(ruleFor(collector).host).toBe(collector);
    expect(ruleFor(collector).trafficPolicy.tls).toEqual({ mode: "DISABLE" });
    expect(ruleFor("svc-a.svc-a.svc.cluster.local").trafficPolicy.tls).toEqual({
      mode: "ISTIO_MUTUAL",
    });
    const rule = named(run, "platform-tracing-destination-rule");
    expect(rule.inputs.metadata).toEqual({ name: "tracing-collector", namespace: "istio-system" });
  });

  it("sets the default traffic policy: ISTIO_MUTUAL, pool limits, outlier detection", () => {
    const dr = named(run, "platform-default-destination-rule");
    expect(spec(dr)).toEqual({
      host: "*.local",
      trafficPolicy: {
        tls: { mode: "ISTIO_MUTUAL" },
        connectionPool: {
          tcp: { maxConnections: 1024, connectTimeout: "5s" },
          http: { http1MaxPendingRequests: 1024, http2MaxRequests: 1024, maxRetries: 3 },
        },
        outlierDetection: {
          consecutive5xxErrors: 5,
          interval: "10s",
          baseEjectionTime: "30s",
          maxEjectionPercent: 50,
        },
      },
    });
  });

  it("sends traces to the tracing provider and metrics to Prometheus", () => {
    expect(spec(named(run, "platform-telemetry"))).toEqual({
      tracing: [{ providers: [{ name: "otel-tracing" }], randomSamplingPercentage: 10 }],
      metrics: [{ providers: [{ name: "prometheus" }] }],
    });
  });

  it.each<[string, number, number, number, number]>([
    // service, Deployments, HPAs, VirtualServices (mesh + ingress), AuthorizationPolicies
    ["svc-a", 2, 2, 2, 2],
    ["svc-b", 1, 1, 2, 2],
    ["svc-c", 1, 1, 1, 2],
  ])("deploys %s with its workload, routing and policies", (svc, deployments, hpas, vss, authz) => {
    const of = (type: string) =>
      ofType(run, type).filter(
        (r) => (r.inputs.metadata as { namespace?: string }).namespace === svc,
      );
    expect(of(K.deployment)).toHaveLength(deployments);
    expect(of(K.hpa)).toHaveLength(hpas);
    expect(of(K.service)).toHaveLength(1);
    expect(of(K.pdb)).toHaveLength(1);
    expect(of(K.vs)).toHaveLength(vss);
    expect(of(K.dr)).toHaveLength(1);
    expect(of(K.authz)).toHaveLength(authz);
    expect(
      of(K.netpol)
        .map((r) => (r.inputs.metadata as { name: string }).name)
        .sort(),
    ).toEqual(["allow-egress", "allow-ingress", "allow-mesh", "allow-tracing", "default-deny"]);
    const ns = named(run, `platform-${svc}-namespace`);
    expect(ns.inputs.metadata).toEqual({ name: svc, labels: { "istio-injection": "enabled" } });
    expect(spec(of(K.netpol).find((r) => r.name.endsWith("default-deny"))!)).toEqual({
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
    });
    expect(spec(of(K.authz).find((r) => r.name.endsWith("allow-nothing"))!)).toEqual({});
  });

  it("routes svc-a 90/10 between stable and canary, with timeout and retries", () => {
    for (const name of ["platform-svc-a-vs", "platform-svc-a-ingress-vs"]) {
      const [http] = spec(named(run, name)).http as Array<Record<string, any>>;
      expect(http.timeout).toBe("10s");
      expect(http.retries).toEqual({
        attempts: 3,
        perTryTimeout: "3s",
        retryOn: "5xx,reset,connect-failure,retriable-4xx",
      });
      expect(http.route.map((r: any) => [r.destination.subset, r.weight])).toEqual([
        ["stable", 90],
        ["canary", 10],
      ]);
    }
    const ingress = spec(named(run, "platform-svc-a-ingress-vs"));
    expect(ingress.hosts).toEqual([
      "api.platform.example.com",
      "us-east-1.api.platform.example.com",
    ]);
    expect(ingress.gateways).toEqual(["istio-ingress/ingress"]);
    expect(ingress.http[0].match).toEqual([{ uri: { exact: "/a" } }, { uri: { prefix: "/a/" } }]);
  });

  it("sums the weights of every route to 100", () => {
    const routes = ofType(run, K.vs).flatMap((r) => spec(r).http as Array<{ route: any[] }>);
    expect(routes).toHaveLength(6);
    for (const http of routes) {
      expect(http.route.reduce((sum: number, r: { weight: number }) => sum + r.weight, 0)).toBe(
        100,
      );
    }
  });

  it("subsets each service by version, with the mesh's traffic policy", () => {
    const dr = spec(named(run, "platform-svc-b-dr"));
    expect(dr.host).toBe("svc-b.svc-b.svc.cluster.local");
    expect(dr.subsets).toEqual([
      { name: "stable", labels: { version: "stable" } },
      { name: "canary", labels: { version: "canary" } },
    ]);
    expect(dr.trafficPolicy.outlierDetection.consecutive5xxErrors).toBe(5);
  });

  it("runs the canary's image beside stable's, from the region's repository", () => {
    const image = (name: string) => spec(named(run, name)).template.spec.containers[0].image;
    expect(image("platform-svc-a-stable")).toBe(`${FABRIC.ecrRepositoryUrls["svc-a"]}:1.4.2`);
    expect(image("platform-svc-a-canary")).toBe(`${FABRIC.ecrRepositoryUrls["svc-a"]}:1.5.0-rc.1`);
    expect(image("platform-svc-b-stable")).toBe(`${FABRIC.ecrRepositoryUrls["svc-b"]}:2.3.0`);
    expect(spec(named(run, "platform-svc-a-canary")).template.metadata.labels).toEqual({
      app: "svc-a",
      version: "canary",
    });
  });

  it("tells every pod its region, its region's fabric, its callees and its collector", () => {
    const env = (name: string) => spec(named(run, name)).template.spec.containers[0].env;
    expect(
      ofType(run, K.deployment)
        .map((d) => d.name)
        .sort(),
    ).toEqual([
      "platform-svc-a-canary",
      "platform-svc-a-stable",
      "platform-svc-b-stable",
      "platform-svc-c-stable",
    ]);
    for (const [deployment, svc] of [
      ["platform-svc-a-stable", "svc-a"],
      ["platform-svc-a-canary", "svc-a"],
      ["platform-svc-b-stable", "svc-b"],
      ["platform-svc-c-stable", "svc-c"],
    ]) {
      expect(env(deployment)).toEqual([
        { name: "AWS_REGION", value: "us-east-1" },
        { name: "BUCKET_NAME", value: FABRIC.bucketName },
        { name: "EVENT_BUS_NAME", value: FABRIC.busName },
        { name: "EVENT_SOURCE", value: `platform.${svc}` },
        { name: "KMS_KEY_ARN", value: FABRIC.kmsKeyArn },
        {
          name: "OTEL_EXPORTER_OTLP_ENDPOINT",
          value: "http://adot-collector.observability.svc.cluster.local:4318",
        },
        { name: "OTEL_SERVICE_NAME", value: svc },
        { name: "PLATFORM_REGION", value: "us-east-1" },
        { name: "PORT", value: "8080" },
        // svc-c lists only svc-a in allowFrom: only svc-a is told where svc-c is.
        ...(svc === "svc-a"
          ? [{ name: "SVC_C_URL", value: "http://svc-c.svc-c.svc.cluster.local:8080" }]
          : []),
        { name: "TABLE_NAME", value: FABRIC.tableName },
        { name: "WORK_QUEUE_URL", value: WORK_QUEUE_URL },
        { name: "WORK_VISIBILITY_TIMEOUT_SECONDS", value: "300" },
      ]);
    }
  });

  it("answers the region's health path with svc-a's stable deep health, on the public names", () => {
    const vs = named(run, "platform-health-vs");
    expect(vs.type).toBe(K.vs);
    expect(vs.inputs.metadata).toEqual({ name: "regional-health", namespace: "istio-ingress" });
    expect(spec(vs)).toEqual({
      hosts: ["api.platform.example.com", "us-east-1.api.platform.example.com"],
      gateways: ["istio-ingress/ingress"],
      http: [
        {
          name: "health",
          match: [{ uri: { exact: "/healthz" } }],
          rewrite: { uri: "/healthz" },
          timeout: "1.5s",
          retries: { attempts: 2, perTryTimeout: "0.5s", retryOn: "5xx,reset,connect-failure" },
          route: [
            {
              destination: {
                host: "svc-a.svc-a.svc.cluster.local",
                subset: "stable",
                port: { number: 8080 },
              },
              weight: 100,
            },
          ],
        },
      ],
    });
    const [istiod, gateway] = ["platform-istiod", "platform-istio-ingressgateway"].map(
      (n) => named(run, n).urn,
    );
    expect(vs.dependencies).toEqual([istiod, gateway]);
  });

  it("lets the gateway through to svc-a's deep health path only, read-only", () => {
    const gateway = {
      source: { principals: ["cluster.local/ns/istio-ingress/sa/istio-ingressgateway"] },
    };
    expect(spec(named(run, "platform-svc-a-allow"))).toEqual({
      selector: { matchLabels: { app: "svc-a" } },
      action: "ALLOW",
      rules: [
        { from: [gateway], to: [{ operation: { ports: ["8080"], paths: ["/a", "/a/*"] } }] },
        {
          from: [gateway],
          to: [{ operation: { ports: ["8080"], paths: ["/healthz"], methods: ["GET", "HEAD"] } }],
        },
      ],
    });
    // The NetworkPolicies already open gateway -> svc-a on the service port, both ways.
    const pods = (name: string, ns: string) => ({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } },
      podSelector: { matchLabels: { app: name } },
    });
    expect(spec(named(run, "platform-np-istio-ingress-allow-gateway")).egress).toEqual([
      { to: [pods("svc-a", "svc-a")], ports: [{ protocol: "TCP", port: 8080 }] },
      { to: [pods("svc-b", "svc-b")], ports: [{ protocol: "TCP", port: 8080 }] },
    ]);
    expect(spec(named(run, "platform-svc-a-np-allow-ingress")).ingress[0]).toEqual({
      from: [pods("istio-ingressgateway", "istio-ingress")],
      ports: [{ protocol: "TCP", port: 8080 }],
    });
  });

  it("hardens every pod", () => {
    for (const d of ofType(run, K.deployment)) {
      const pod = spec(d).template.spec;
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(pod.containers[0].securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ["ALL"] },
      });
      expect(pod.containers[0].resources.limits).toEqual({ cpu: "1", memory: "512Mi" });
      expect(pod.containers[0].readinessProbe.httpGet.path).toBe("/ready");
      expect(pod.containers[0].livenessProbe.httpGet.path).toBe("/livez");
      expect(pod.topologySpreadConstraints[0].topologyKey).toBe("topology.kubernetes.io/zone");
      expect(spec(d).replicas).toBeUndefined();
    }
    const hpa = spec(named(run, "platform-svc-c-stable-hpa"));
    expect([hpa.minReplicas, hpa.maxReplicas, hpa.metrics[0].resource.target]).toEqual([
      2,
      10,
      { type: "Utilization", averageUtilization: 60 },
    ]);
  });

  it("allows each service's callers by SPIFFE identity only", () => {
    expect(spec(named(run, "platform-svc-c-allow"))).toEqual({
      selector: { matchLabels: { app: "svc-c" } },
      action: "ALLOW",
      rules: [
        {
          from: [
            {
              source: { principals: ["cluster.local/ns/svc-a/sa/svc-a"] },
            },
          ],
          to: [{ operation: { ports: ["8080"] } }],
        },
      ],
    });
    expect(spec(named(run, "platform-svc-b-allow")).rules).toEqual([
      {
        from: [
          { source: { principals: ["cluster.local/ns/istio-ingress/sa/istio-ingressgateway"] } },
        ],
        to: [{ operation: { ports: ["8080"], paths: ["/b", "/b/*"] } }],
      },
    ]);
  });

  it("opens the NetworkPolicies only along allowFrom, and the gateway only to the VPC", () => {
    const ns = (name: string) => ({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } },
      podSelector: { matchLabels: { app: name } },
    });
    const egress = spec(named(run, "platform-svc-a-np-allow-egress")).egress;
    expect(egress.slice(0, 2)).toEqual([
      { to: [ns("svc-c")], ports: [{ protocol: "TCP", port: 8080 }] },
      { to: [{ ipBlock: { cidr: "10.10.0.0/16" } }], ports: [{ protocol: "TCP", port: 443 }] },
    ]);
    expect(spec(named(run, "platform-svc-b-np-allow-egress")).egress[0]).toEqual({
      to: [{ ipBlock: { cidr: "10.10.0.0/16" } }],
      ports: [{ protocol: "TCP", port: 443 }],
    });
    expect(spec(named(run, "platform-svc-c-np-allow-ingress")).ingress[0]).toEqual({
      from: [ns("svc-a")],
      ports: [{ protocol: "TCP", port: 8080 }],
    });
    expect(spec(named(run, "platform-np-istio-ingress-allow-gateway")).ingress).toEqual([
      {
        from: [{ ipBlock: { cidr: "10.10.0.0/16" } }],
        ports: [
          { protocol: "TCP", port: 8080 },
          { protocol: "TCP", port: 15021 },
          { protocol: "TCP", port: 15020 },
        ],
      },
    ]);
  });

  it("validates every Istio object against its schema", () => {
    const istio = run.records.filter((r) => r.type.includes(".istio.io/"));
    expect(istio).toHaveLength(21);
    for (const r of istio) {
      const Model = ISTIO_MODELS[`${r.inputs.apiVersion}/${r.inputs.kind}`];
      expect(Model, r.type).toBeDefined();
      expect(() => new Model(r.inputs as never).validate()).not.toThrow();
    }
  });

  it("binds each ServiceAccount to a role only that ServiceAccount can assume", () => {
    for (const svc of ["svc-a", "svc-b", "svc-c"]) {
      const role = named(run, `platform-${svc}-role`);
      const trust = JSON.parse(role.inputs.assumeRolePolicy as string);
      expect(trust.Statement).toHaveLength(1);
      expect(trust.Statement[0].Principal).toEqual({ Federated: OIDC_ARN });
      expect(Object.values(trust.Statement[0].Condition.StringEquals)).toEqual([
        "sts.amazonaws.com",
        `system:serviceaccount:${svc}:${svc}`,
      ]);
      const sa = named(run, `platform-${svc}-sa`);
      expect(sa.inputs.metadata).toEqual({
        name: svc,
        namespace: svc,
        annotations: { "eks.amazonaws.com/role-arn": role.outputs.arn },
      });
    }
  });

  it.each<[string, Array<[string, string[]]>]>([
    [
      "svc-a",
      [
        ["Table", [FABRIC.tableArn, `${FABRIC.tableArn}/index/*`]],
        ["Bucket", [`${FABRIC.bucketArn}/*`]],
        ["Events", [FABRIC.busArn]],
        ["Key", [FABRIC.kmsKeyArn]],
      ],
    ],
    [
      "svc-b",
      [
        ["Table", [FABRIC.tableArn, `${FABRIC.tableArn}/index/*`]],
        ["QueueConsume", [WORK_QUEUE_ARN]],
        ["Key", [FABRIC.kmsKeyArn]],
      ],
    ],
    [
      "svc-c",
      [
        ["Bucket", [`${FABRIC.bucketArn}/*`]],
        ["Key", [FABRIC.kmsKeyArn]],
      ],
    ],
  ])("scopes %s's role to the resources it declares, and nothing else", (svc, expected) => {
    const policy = JSON.parse(named(run, `platform-${svc}-access`).inputs.policy as string);
    expect(
      policy.Statement.map((s: { Sid: string; Resource: string[] }) => [s.Sid, s.Resource]),
    ).toEqual(expected);
    const actions = policy.Statement.flatMap((s: { Action: string[] }) => s.Action);
    expect(actions.filter((a: string) => a.includes("*"))).toEqual([]);
  });

  it("lets svc-b consume the work queue, and nobody send to it", () => {
    const statements = (svc: string) =>
      JSON.parse(named(run, `platform-${svc}-access`).inputs.policy as string).Statement as Array<{
        Sid: string;
        Action: string[];
      }>;
    expect(statements("svc-b").find((s) => s.Sid === "QueueConsume")?.Action).toEqual([
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:ReceiveMessage",
    ]);
    const all = ["svc-a", "svc-b", "svc-c"].flatMap((s) => statements(s).flatMap((x) => x.Action));
    expect(all.filter((a) => a.startsWith("sqs:")).sort()).toEqual([
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:ReceiveMessage",
    ]);
  });
});

describe("ServiceMesh with a service the global stack has no repository for", () => {
  it("fails the stack, naming the service and the region", async () => {
    const { "svc-c": _missing, ...urls } = FABRIC.ecrRepositoryUrls;
    await expect(runMesh({ fabric: { ...FABRIC, ecrRepositoryUrls: urls } })).rejects.toThrow(
      // The SDK prefixes the property whose value failed to resolve.
      'stack "us-east-1": error serializing property "spec": service svc-c has no ECR repository in us-east-1 (the global stack\'s fabric has: svc-a, svc-b); run `pulumi up` on the global stack first',
    );
  });
});

describe("ServiceMesh with invalid services", () => {
  it("rejects them before declaring anything", async () => {
    const services = regionConfig().services;
    await expect(
      runMesh({ services: [...services, { ...services[2], routes: [] }] }),
    ).rejects.toThrow(
      'stack "us-east-1": ServiceMesh: invalid services[3].name = "svc-c": duplicate service name "svc-c"',
    );
  });
});

describe("ServiceMesh with a health path that a service route covers", () => {
  it("rejects it before declaring anything", async () => {
    await expect(runMesh({ healthCheckPath: "/a/healthz" })).rejects.toThrow(
      'stack "us-east-1": ServiceMesh: invalid healthCheckPath = "/a/healthz": svc-a\'s route /a covers it; choose a health path outside the services\' routes',
    );
  });
});

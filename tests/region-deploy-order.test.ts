/**
 * What a real first `pulumi up` of a region needs, checked on the offline plan of the stack files:
 * nothing runs in the cluster before its nodes exist, and with NetworkPolicies enforced (the VPC
 * CNI's network policy agent) every pod still reaches DNS, istiod and the trace collector, the
 * control plane reaches istiod's webhook, and the ALB reaches the gateway.
 */
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { contains, parseCidr } from "../lib/cidr";
import { INGRESS_STATUS_PORT, podLabels } from "../components/mesh/names";
import { ISTIOD_WEBHOOK_PORT, ISTIOD_XDS_PORT } from "../components/mesh/network-policy";
import { runPlan, type PlanResult } from "../plan/plan";
import type { RecordedResource } from "../plan/record";
import { runProgram } from "../programs";

const PROJECT_DIR = path.resolve(__dirname, "..");

let plan: PlanResult;
beforeAll(async () => {
  plan = await runPlan({ dir: PROJECT_DIR, program: runProgram });
}, 600_000);

const regionStacks = () => plan.stacks.filter((s) => s.kind === "region");

/** Everything a resource waits for: its dependencies, its provider, theirs, transitively. */
function waitsFor(records: readonly RecordedResource[], start: RecordedResource): Set<string> {
  const byUrn = new Map(records.map((r) => [r.urn, r]));
  const seen = new Set<string>();
  const queue = [start.urn];
  while (queue.length > 0) {
    const r = byUrn.get(queue.pop()!);
    if (r === undefined) continue;
    const next = [...r.dependencies];
    if (r.provider) next.push(r.provider.slice(0, r.provider.lastIndexOf("::")));
    for (const urn of next) {
      if (!seen.has(urn)) {
        seen.add(urn);
        queue.push(urn);
      }
    }
  }
  return seen;
}

describe("the order of a first deploy", () => {
  it("creates every in-cluster object after every node group of its region", () => {
    for (const s of regionStacks()) {
      const nodeGroups = s.records.filter((r) => r.type === "aws:eks/nodeGroup:NodeGroup");
      expect(nodeGroups).toHaveLength(3);
      const inCluster = s.records.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
      expect(inCluster.length).toBeGreaterThan(50);
      for (const r of inCluster) {
        const before = waitsFor(s.records, r);
        expect([r.urn, nodeGroups.every((g) => before.has(g.urn))]).toEqual([r.urn, true]);
      }
    }
  });

  it("installs the VPC CNI before the nodes, so that they start with network policy enforcement", () => {
    for (const s of regionStacks()) {
      const cni = s.records.find(
        (r) => r.type === "aws:eks/addon:Addon" && r.inputs.addonName === "vpc-cni",
      )!;
      expect(JSON.parse(String(cni.inputs.configurationValues)).enableNetworkPolicy).toBe("true");
      for (const g of s.records.filter((r) => r.type === "aws:eks/nodeGroup:NodeGroup")) {
        expect(waitsFor(s.records, g).has(cni.urn)).toBe(true);
      }
    }
  });
});

// --- NetworkPolicy semantics (https://kubernetes.io/docs/concepts/services-networking/network-policies/):
// a pod selected by a policy of a direction only admits what some rule of those policies allows;
// a pod no policy selects for a direction admits everything. On the VPC CNI pods have VPC
// addresses, so an ipBlock holding the VPC's block matches pods too.

type Labels = Record<string, string>;
interface Pod {
  readonly namespace: string;
  readonly labels: Labels;
}
type Endpoint = Pod | { readonly ip: string };
interface Selector {
  matchLabels?: Labels;
}
interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string; except?: string[] };
}
interface Rule {
  to?: Peer[];
  from?: Peer[];
  ports?: Array<{ protocol?: string; port?: number }>;
}
interface Policy {
  namespace: string;
  spec: {
    podSelector: Selector;
    policyTypes: string[];
    ingress?: Rule[];
    egress?: Rule[];
  };
}

const selects = (sel: Selector | undefined, labels: Labels) =>
  Object.entries(sel?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
const isPod = (e: Endpoint): e is Pod => "namespace" in e;

function peerMatches(peer: Peer, policyNamespace: string, e: Endpoint, vpcCidr: string): boolean {
  if (peer.ipBlock) {
    // A pod's address is in the VPC's block; an outside address is given as such.
    const ip = isPod(e) ? vpcCidr.split("/")[0] : e.ip;
    const block = parseCidr(peer.ipBlock.cidr);
    return (
      contains(block, parseCidr(`${ip}/32`)) &&
      !(peer.ipBlock.except ?? []).some((x) => contains(parseCidr(x), parseCidr(`${ip}/32`)))
    );
  }
  if (!isPod(e)) return false;
  const nsOk = peer.namespaceSelector
    ? selects(peer.namespaceSelector, { "kubernetes.io/metadata.name": e.namespace })
    : e.namespace === policyNamespace;
  return nsOk && selects(peer.podSelector, e.labels);
}

function allowedBy(
  policies: readonly Policy[],
  direction: "Ingress" | "Egress",
  pod: Pod,
  peer: Endpoint,
  protocol: string,
  port: number,
  vpcCidr: string,
): boolean {
  const applying = policies.filter(
    (p) =>
      p.namespace === pod.namespace &&
      p.spec.policyTypes.includes(direction) &&
      selects(p.spec.podSelector, pod.labels),
  );
  if (applying.length === 0) return true;
  return applying.some((p) =>
    ((direction === "Ingress" ? p.spec.ingress : p.spec.egress) ?? []).some((rule) => {
      const peers = direction === "Ingress" ? rule.from : rule.to;
      const peerOk =
        peers === undefined ||
        peers.length === 0 ||
        peers.some((x) => peerMatches(x, p.namespace, peer, vpcCidr));
      const portOk =
        rule.ports === undefined ||
        rule.ports.length === 0 ||
        rule.ports.some(
          (x) => (x.protocol ?? "TCP") === protocol && (x.port === undefined || x.port === port),
        );
      return peerOk && portOk;
    }),
  );
}

/** Whether `from` can open a connection to `to` on `protocol`/`port` under the policies. */
function reaches(
  policies: readonly Policy[],
  from: Endpoint,
  to: Endpoint,
  protocol: string,
  port: number,
  vpcCidr: string,
): boolean {
  const out = !isPod(from) || allowedBy(policies, "Egress", from, to, protocol, port, vpcCidr);
  const inn = !isPod(to) || allowedBy(policies, "Ingress", to, from, protocol, port, vpcCidr);
  return out && inn;
}

describe("with NetworkPolicies enforced", () => {
  const KUBE_DNS: Pod = { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } };
  const ISTIOD: Pod = { namespace: "istio-system", labels: { app: "istiod" } };
  const GATEWAY: Pod = {
    namespace: "istio-ingress",
    labels: { app: "istio-ingressgateway", istio: "ingressgateway" },
  };
  const COLLECTOR: Pod = {
    namespace: "observability",
    labels: { "app.kubernetes.io/name": "opentelemetry-collector" },
  };

  const setting = (s: { records: readonly RecordedResource[] }) => {
    const vpc = s.records.find((r) => r.type === "awsx:ec2:Vpc")!;
    const vpcCidr = String(vpc.inputs.cidrBlock);
    const policies = s.records
      .filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy")
      .map((r) => ({
        namespace: (r.inputs.metadata as { namespace: string }).namespace,
        spec: r.inputs.spec as Policy["spec"],
      }));
    // An address in the VPC that no pod has: the EKS control plane's ENIs, the ALB.
    const inVpc = { ip: vpcCidr.replace(/\.0\/\d+$/, ".250") };
    return { vpcCidr, policies, inVpc };
  };
  const services = () => plan.project.regions[0].config.services;
  const servicePods = () =>
    services().map((svc) => ({ namespace: svc.name, labels: podLabels(svc.name, "stable") }));

  it("lets every pod of the mesh, and istiod, resolve names on UDP and TCP 53", () => {
    for (const s of regionStacks()) {
      const { vpcCidr, policies } = setting(s);
      expect(policies.length).toBeGreaterThan(10);
      for (const pod of [...servicePods(), GATEWAY, ISTIOD]) {
        for (const protocol of ["UDP", "TCP"]) {
          expect([
            pod.namespace,
            protocol,
            reaches(policies, pod, KUBE_DNS, protocol, 53, vpcCidr),
          ]).toEqual([pod.namespace, protocol, true]);
        }
      }
    }
  });

  it("lets every sidecar reach istiod, the API server its webhook, and istiod the API server", () => {
    for (const s of regionStacks()) {
      const { vpcCidr, policies, inVpc } = setting(s);
      for (const pod of [...servicePods(), GATEWAY]) {
        expect([
          pod.namespace,
          reaches(policies, pod, ISTIOD, "TCP", ISTIOD_XDS_PORT, vpcCidr),
        ]).toEqual([pod.namespace, true]);
      }
      expect(reaches(policies, inVpc, ISTIOD, "TCP", ISTIOD_WEBHOOK_PORT, vpcCidr)).toBe(true);
      expect(reaches(policies, ISTIOD, inVpc, "TCP", 443, vpcCidr)).toBe(true);
    }
  });

  it("lets every sidecar export spans to the collector", () => {
    for (const s of regionStacks()) {
      const { vpcCidr, policies } = setting(s);
      for (const pod of [...servicePods(), GATEWAY]) {
        expect([pod.namespace, reaches(policies, pod, COLLECTOR, "TCP", 4317, vpcCidr)]).toEqual([
          pod.namespace,
          true,
        ]);
      }
    }
  });

  it("lets the ALB reach the gateway, the gateway the routed services, and nothing more", () => {
    for (const s of regionStacks()) {
      const { vpcCidr, policies, inVpc } = setting(s);
      const port = plan.project.regions[0].config.ingress.gatewayPort;
      expect(reaches(policies, inVpc, GATEWAY, "TCP", port, vpcCidr)).toBe(true);
      expect(reaches(policies, inVpc, GATEWAY, "TCP", INGRESS_STATUS_PORT, vpcCidr)).toBe(true);
      for (const svc of services()) {
        const pod = { namespace: svc.name, labels: podLabels(svc.name, "stable") };
        expect([svc.name, reaches(policies, GATEWAY, pod, "TCP", svc.port, vpcCidr)]).toEqual([
          svc.name,
          svc.allowFrom.includes("istio-ingressgateway"),
        ]);
      }
      // The evaluator can say no: nothing reaches istiod's webhook from the internet.
      expect(
        reaches(policies, { ip: "203.0.113.9" }, ISTIOD, "TCP", ISTIOD_WEBHOOK_PORT, vpcCidr),
      ).toBe(false);
    }
  });
});

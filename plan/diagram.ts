/**
 * The architecture diagram, drawn from the plan documents (what the stacks would create, never a
 * hand-kept picture): the Route 53 and edge entry, the global stack's fabric with its replication
 * and forwarding edges, and per region the VPC tiers, the cluster, the ingress, the async layer and
 * the mesh services with the calls their AuthorizationPolicies allow. Laid out by Graphviz compiled
 * to WebAssembly (@hpcc-js/wasm-graphviz), so no binary is needed.
 *
 * Every region, service and edge carries a stable Graphviz `id`, which the SVG keeps as the
 * element's id (https://graphviz.org/docs/attrs/id/): `region:<r>`, `service:<r>:<name>`,
 * `replication:<kind>:<from>:<to>`, `call:<r>:<caller>:<service>`, `route:<r>`.
 */
import { Graphviz } from "@hpcc-js/wasm-graphviz";
import type { PlanDocument, PreviewStep } from "./document";

type State = PreviewStep["newState"];
const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export const REPLICATION_KINDS = ["table", "objects", "events", "images", "key"] as const;
export type ReplicationKind = (typeof REPLICATION_KINDS)[number];

export interface ReplicationEdge {
  readonly kind: ReplicationKind;
  readonly from: string;
  readonly to: string;
}

/** The region each resource of a document is created in (its explicit provider's, else `home`). */
function regionResolver(doc: PlanDocument, home: string) {
  const byRef = new Map<string, string>();
  for (const { newState: s } of doc.steps) {
    if (s.type === "pulumi:providers:aws" && typeof s.inputs.region === "string")
      byRef.set(`${s.urn}::${s.id ?? ""}`, s.inputs.region);
  }
  return (s: State) => byRef.get(s.provider ?? "") ?? home;
}

const states = (doc: PlanDocument | undefined, type: string): State[] =>
  (doc?.steps ?? []).map((st) => st.newState).filter((s) => s.type === type);

/** The replication and forwarding edges the global stack would create, from its document. */
export function replicationEdges(global: PlanDocument, home: string): ReplicationEdge[] {
  const regionOf = regionResolver(global, home);
  const edges: ReplicationEdge[] = [];
  for (const t of states(global, "aws:dynamodb/table:Table")) {
    for (const r of arr(t.inputs.replicas).map(obj))
      edges.push({ kind: "table", from: regionOf(t), to: String(r.regionName) });
  }
  const bucketRegion = new Map<string, string>();
  for (const b of states(global, "aws:s3/bucket:Bucket")) {
    const name = obj(b.outputs).bucket ?? b.inputs.bucket;
    if (typeof name === "string") bucketRegion.set(name, regionOf(b));
  }
  for (const c of states(global, "aws:s3/bucketReplicationConfig:BucketReplicationConfig")) {
    for (const rule of arr(c.inputs.rules).map(obj)) {
      const dest = String(obj(rule.destination).bucket ?? "").replace(/^arn:[^:]+:s3:::/, "");
      const to = bucketRegion.get(dest);
      if (to) edges.push({ kind: "objects", from: regionOf(c), to });
    }
  }
  for (const t of states(global, "aws:cloudwatch/eventTarget:EventTarget")) {
    const m = /^arn:[^:]+:events:([^:]+):[^:]*:event-bus\/(.+)$/.exec(String(t.inputs.arn));
    if (m && m[1] !== regionOf(t) && m[2] !== "default")
      edges.push({ kind: "events", from: regionOf(t), to: m[1] });
  }
  for (const c of states(global, "aws:ecr/replicationConfiguration:ReplicationConfiguration")) {
    for (const rule of arr(obj(c.inputs.replicationConfiguration).rules).map(obj))
      for (const d of arr(rule.destinations).map(obj))
        edges.push({ kind: "images", from: regionOf(c), to: String(d.region) });
  }
  for (const k of states(global, "aws:kms/replicaKey:ReplicaKey"))
    edges.push({ kind: "key", from: home, to: regionOf(k) });
  return edges;
}

/** A service and the callers its AuthorizationPolicy allows (`istio-ingressgateway` included). */
export interface MeshService {
  readonly name: string;
  readonly callers: readonly string[];
}

/** The mesh services of a region document and who may call them, from the policies. */
export function meshServices(doc: PlanDocument): MeshService[] {
  const names = [
    ...new Set(
      states(doc, "kubernetes:apps/v1:Deployment")
        .map((d) => String(obj(obj(d.inputs).metadata).namespace ?? ""))
        .filter((ns) => ns !== "" && ns !== "istio-system" && ns !== "istio-ingress"),
    ),
  ];
  return names.map((name) => {
    const callers = new Set<string>();
    for (const p of states(doc, "kubernetes:security.istio.io/v1:AuthorizationPolicy")) {
      if (obj(obj(p.inputs).metadata).namespace !== name) continue;
      for (const rule of arr(obj(obj(p.inputs).spec).rules).map(obj))
        for (const from of arr(rule.from).map(obj))
          for (const principal of arr(obj(from.source).principals).map(String)) {
            const m = /\/sa\/([^/]+)$/.exec(principal);
            if (m) callers.add(m[1]);
          }
    }
    return { name, callers: [...callers].sort() };
  });
}

const id = (...parts: string[]) => parts.join(":");
const nodeId = (text: string) => `n_${text.replace(/[^A-Za-z0-9]/g, "_")}`;
const q = (text: string) => `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
const attrs = (a: Record<string, string>) =>
  `[${Object.entries(a)
    .map(([k, v]) => `${k}=${q(v)}`)
    .join(", ")}]`;

const COLORS = {
  table: "#1f77b4",
  objects: "#2ca02c",
  events: "#d62728",
  images: "#9467bd",
  key: "#8c564b",
} as const satisfies Record<ReplicationKind, string>;

const KIND_LABEL: Record<ReplicationKind, string> = {
  table: "table replication",
  objects: "S3 replication",
  events: "event forwarding",
  images: "ECR replication",
  key: "KMS replica key",
};

/** Regional pieces of the global fabric, one node each per region. */
const FABRIC = [
  ["key", "KMS key"],
  ["table", "DynamoDB replica"],
  ["objects", "S3 bucket"],
  ["events", "EventBridge bus"],
  ["images", "ECR registry"],
] as const;

function regionCluster(doc: PlanDocument, region: string, lines: string[]): void {
  const n = (what: string) => nodeId(`${region}_${what}`);
  // The documents show what the engine analyzes: remote components (awsx:ec2:Vpc,
  // eks:index:Cluster) with empty inputs and their custom children, so read the children.
  const vpc = states(doc, "aws:ec2/vpc:Vpc")[0];
  const eks = states(doc, "aws:eks/cluster:Cluster")[0];
  const tiers = new Map<string, { type: string; blocks: string[] }>();
  for (const subnet of states(doc, "aws:ec2/subnet:Subnet")) {
    const tags = obj(subnet.inputs.tags);
    const name = String(tags["platform:tier"] ?? tags.SubnetType ?? "subnet");
    const tier = tiers.get(name) ?? { type: String(tags.SubnetType ?? ""), blocks: [] };
    tier.blocks.push(String(subnet.inputs.cidrBlock));
    tiers.set(name, tier);
  }
  const groups = states(doc, "aws:eks/nodeGroup:NodeGroup");
  const types = [...new Set(groups.flatMap((g) => arr(g.inputs.instanceTypes).map(String)))];
  const aurora = states(doc, "aws:rds/cluster:Cluster")[0];
  lines.push(`  subgraph ${q(`cluster_region_${region}`)} {`);
  lines.push(
    `    id=${q(id("region", region))}; label=${q(`region stack ${doc.stack} (${region})`)};`,
  );
  lines.push(`    style="rounded"; color="#555555"; fontsize=14;`);
  // VPC tiers.
  lines.push(`    subgraph ${q(`cluster_vpc_${region}`)} {`);
  lines.push(`      label=${q(`VPC ${String(vpc?.inputs.cidrBlock ?? "")}`)}; style="dashed";`);
  for (const [name, tier] of tiers) {
    lines.push(
      `      ${n(`tier_${name}`)} ${attrs({ label: `${name} tier (${tier.type.toLowerCase()})\n${tier.blocks.join(", ")}`, fillcolor: "#eef3fb" })};`,
    );
  }
  lines.push(`      ${n("alb")} ${attrs({ label: "ALB (TLS)\n+ WAF", fillcolor: "#fde9d9" })};`);
  lines.push(
    `      ${n("eks")} ${attrs({ label: `EKS ${String(eks?.inputs.name ?? "")} ${String(eks?.inputs.version ?? "")}\n${groups.length} node groups: ${types.join(", ")}`, fillcolor: "#e2f0d9" })};`,
  );
  if (aurora)
    lines.push(
      `      ${n("aurora")} ${attrs({ label: `Aurora cluster\n${aurora.inputs.globalClusterIdentifier ? "global database member" : ""}`, fillcolor: "#eef3fb" })};`,
    );
  lines.push("    }");
  // Mesh.
  const services = meshServices(doc);
  lines.push(`    subgraph ${q(`cluster_mesh_${region}`)} {`);
  lines.push(`      label="Istio mesh (mTLS, AuthorizationPolicies)"; style="dotted";`);
  lines.push(`      ${n("gw")} ${attrs({ label: "istio-ingressgateway", fillcolor: "#fff2cc" })};`);
  for (const s of services)
    lines.push(
      `      ${n(`svc_${s.name}`)} ${attrs({ id: id("service", region, s.name), label: s.name, fillcolor: "#fff2cc" })};`,
    );
  lines.push("    }");
  // Async layer.
  lines.push(`    subgraph ${q(`cluster_async_${region}`)} {`);
  lines.push(`      label="async layer"; style="dotted";`);
  lines.push(
    `      ${n("queue")} ${attrs({ label: "SQS work queue\n+ DLQ", fillcolor: "#f2e6ff" })};`,
  );
  lines.push(`      ${n("lambda")} ${attrs({ label: "Lambda consumer", fillcolor: "#f2e6ff" })};`);
  lines.push("    }");
  lines.push("  }");
  // Inside the region.
  lines.push(`  ${n("alb")} -> ${n("gw")} ${attrs({ label: "target group" })};`);
  // Top to bottom: the tiers stacked, the cluster beside the mesh it runs.
  const tierNodes = [...tiers.keys()].map((name) => n(`tier_${name}`));
  for (let i = 1; i < tierNodes.length; i++)
    lines.push(`  ${tierNodes[i - 1]} -> ${tierNodes[i]} ${attrs({ style: "invis" })};`);
  lines.push(`  ${n("alb")} -> ${n("eks")} ${attrs({ style: "invis" })};`);
  lines.push(`  ${n("queue")} -> ${n("lambda")} ${attrs({ style: "invis" })};`);
  for (const s of services) {
    for (const caller of s.callers) {
      const from = caller === "istio-ingressgateway" ? n("gw") : n(`svc_${caller}`);
      lines.push(
        `  ${from} -> ${n(`svc_${s.name}`)} ${attrs({ id: id("call", region, caller, s.name), color: "#b8860b" })};`,
      );
    }
  }
}

/** The diagram in Graphviz's DOT language, from the plan documents. */
export function diagramDot(docs: readonly PlanDocument[]): string {
  const global = docs.find((d) => typeof d.outputs.homeRegion === "string");
  const home = String(global?.outputs.homeRegion ?? "");
  const regionDocs = docs
    .filter((d) => typeof d.outputs.region === "string")
    .map((d) => ({ doc: d, region: String(d.outputs.region) }));
  const regions = [
    ...new Set([...arr(global?.outputs.regions).map(String), ...regionDocs.map((r) => r.region)]),
  ];
  const lines = [
    "digraph platform {",
    '  graph [rankdir="TB", compound="true", fontname="Helvetica", nodesep="0.3", ranksep="0.55", label="Active/active platform: the plan as drawn from its documents", labelloc="t", fontsize="18"];',
    '  node [shape="box", style="rounded,filled", fontname="Helvetica", fontsize="10", fillcolor="#ffffff"];',
    '  edge [fontname="Helvetica", fontsize="9"];',
  ];
  // Entry: users, Route 53, the edge in front of the latency name.
  const zone = states(global, "aws:route53/zone:Zone")[0];
  const cdn = states(global, "aws:cloudfront/distribution:Distribution")[0];
  const accelerator = states(global, "aws:globalaccelerator/accelerator:Accelerator")[0];
  const globalName = regionDocs
    .flatMap((r) => states(r.doc, "aws:route53/record:Record"))
    .find((s) => arr(s.inputs.latencyRoutingPolicies).length > 0)?.inputs.name;
  lines.push('  subgraph "cluster_entry" {');
  lines.push('    id="entry"; label="Route 53 and edge"; style="rounded"; color="#555555";');
  lines.push(`    users ${attrs({ label: "users", shape: "ellipse", fillcolor: "#f2f2f2" })};`);
  lines.push(
    `    zone ${attrs({ label: `Route 53 zone\n${String(zone?.inputs.name ?? "(existing zone)")}`, fillcolor: "#fde9d9" })};`,
  );
  lines.push(
    `    latency ${attrs({ label: `latency routing + health checks\n${String(globalName ?? "")}`, fillcolor: "#fde9d9" })};`,
  );
  let entry = "zone";
  if (cdn) {
    lines.push(`    cdn ${attrs({ label: "CloudFront (+ WAF)", fillcolor: "#fde9d9" })};`);
    entry = "cdn";
  }
  if (accelerator)
    lines.push(
      `    accelerator ${attrs({ label: "Global Accelerator\n(anycast)", fillcolor: "#fde9d9" })};`,
    );
  lines.push("  }");
  lines.push(`  users -> ${entry};`);
  if (cdn) lines.push('  cdn -> zone [label="origin name"];');
  lines.push("  zone -> latency;");
  // The global stack's fabric, per region.
  lines.push('  subgraph "cluster_global" {');
  lines.push(
    `    id="global"; label=${q(`global stack (home ${home})`)}; style="rounded"; color="#1f4e79"; fontsize=14;`,
  );
  for (const r of regions) {
    lines.push(`    subgraph ${q(`cluster_fabric_${r}`)} {`);
    lines.push(
      `      id=${q(id("fabric", r))}; label=${q(`fabric in ${r}${r === home ? " (home: primaries)" : ""}`)}; style="dashed";`,
    );
    for (const [kind, label] of FABRIC)
      lines.push(`      ${nodeId(`${r}_${kind}`)} ${attrs({ label, fillcolor: "#dde8f5" })};`);
    // One column per region, the same piece on the same row, so replication runs across.
    FABRIC.slice(1).forEach(([kind], i) =>
      lines.push(
        `      ${nodeId(`${r}_${FABRIC[i][0]}`)} -> ${nodeId(`${r}_${kind}`)} ${attrs({ style: "invis" })};`,
      ),
    );
    lines.push("    }");
  }
  lines.push("  }");
  if (global) {
    for (const e of replicationEdges(global, home)) {
      lines.push(
        `  ${nodeId(`${e.from}_${e.kind}`)} -> ${nodeId(`${e.to}_${e.kind}`)} ${attrs({ id: id("replication", e.kind, e.from, e.to), color: COLORS[e.kind], fontcolor: COLORS[e.kind], label: KIND_LABEL[e.kind], constraint: "false" })};`,
      );
    }
  }
  for (const { doc, region } of regionDocs) {
    regionCluster(doc, region, lines);
    const n = (what: string) => nodeId(`${region}_${what}`);
    const serving = doc.outputs.globalRouting !== "evacuated";
    lines.push(
      `  latency -> ${n("alb")} ${attrs({ id: id("route", region), label: serving ? "latency alias" : "evacuated", style: serving ? "solid" : "dashed" })};`,
    );
    if (accelerator)
      lines.push(`  accelerator -> ${n("alb")} ${attrs({ label: "endpoint group" })};`);
    // The bus feeds the async layer; drawn backwards so the region stays above its fabric.
    lines.push(
      `  ${n("queue")} -> ${nodeId(`${region}_events`)} ${attrs({ label: "rule", dir: "back" })};`,
    );
    lines.push(
      `  ${n("lambda")} -> ${nodeId(`${region}_events`)} ${attrs({ label: "rule", dir: "back" })};`,
    );
    lines.push(
      `  ${n("lambda")} -> ${nodeId(`${region}_table`)} ${attrs({ label: "writes", style: "dashed" })};`,
    );
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

/** The diagram as SVG. */
export async function diagramSvg(docs: readonly PlanDocument[]): Promise<string> {
  const graphviz = await Graphviz.load();
  return graphviz.dot(diagramDot(docs), "svg");
}

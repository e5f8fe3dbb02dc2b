/**
 * The figures a platform team answers for, read from what each stack would create (the planned
 * resources' inputs, so they follow every setting), each with where its number comes from: the
 * setting behind it, and the documented AWS figure where AWS sets the number.
 */
import { ELB_ALIAS_TTL_SECONDS, failoverBudget } from "../lib/failover";
import type { RecordedResource } from "./record";

/** Where a figure's number comes from. */
export type FigureSource =
  | { readonly setting: string; readonly value: unknown; readonly resource?: string }
  | { readonly aws: string; readonly url: string };

export type FigureValue = number | Readonly<Record<string, number>> | null;

export interface Figure {
  /** Stable key, e.g. `failover.route53`, `capacity.nodes`. */
  readonly id: string;
  readonly label: string;
  /** Seconds, a count, or {min, desired, max}; null where there is no number (e.g. evacuated). */
  readonly value: FigureValue;
  readonly unit: string;
  /** The figure in words, as the text output prints it. */
  readonly text: string;
  readonly sources: readonly FigureSource[];
}

export interface Figures {
  readonly failover: readonly Figure[];
  readonly data: readonly Figure[];
  readonly capacity: readonly Figure[];
}

export const FIGURE_GROUPS = ["failover", "data", "capacity"] as const;

const SETTING = (key: string) => `platform:${key}`;
const nameOf = (r: RecordedResource) => r.urn.split("::").pop() ?? r.name;
const ofType = (records: readonly RecordedResource[], type: string) =>
  records.filter((r) => r.type === type);
const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

/** Documented AWS figures the plan quotes; each with the page that states it. */
export const AWS_FIGURES = {
  elbAliasTtl: {
    aws: `an alias record to a load balancer answers with the ELB's fixed TTL of ${ELB_ALIAS_TTL_SECONDS} s`,
    url: "https://aws.amazon.com/route53/faqs/",
  },
  route53Health: {
    aws: "Route 53 marks an endpoint unhealthy after failureThreshold consecutive failed checks, one every requestInterval seconds",
    url: "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html",
  },
  acceleratorHealth: {
    aws: "Global Accelerator stops routing to an endpoint that fails thresholdCount health checks; its anycast addresses are not cached by resolvers",
    url: "https://docs.aws.amazon.com/global-accelerator/latest/dg/about-endpoint-groups-health-check-options.html",
  },
  tableEventual: {
    aws: "multi-Region eventual consistency: new writes typically reach every replica within a second; there is no SLA for this latency",
    url: "https://docs.aws.amazon.com/prescriptive-guidance/latest/dynamodb-global-tables/overview.html",
  },
  tableStrong: {
    aws: "multi-Region strong consistency: a write is acknowledged once replicated, so the RPO is zero",
    url: "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/multi-region-strong-consistency-gt.html",
  },
  s3Rtc: {
    aws: "S3 Replication Time Control replicates 99.99% of objects within 15 minutes (most within seconds)",
    url: "https://docs.aws.amazon.com/AmazonS3/latest/dev/replication-walkthrough-5.html",
  },
  eventRetry: {
    aws: "EventBridge retries delivery to a target for maximumEventAgeInSeconds, up to maximumRetryAttempts (default 24 h and 185), then sends the event to the dead-letter queue",
    url: "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html",
  },
  auroraLag: {
    aws: "an Aurora global database replicates to its secondary Regions with typically less than a second of lag",
    url: "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database.html",
  },
  instanceSizes: {
    aws: "m, c and r instances (5th generation and later): large = 2 vCPU, xlarge = 4, Nxlarge = 4N; 4, 2 and 8 GiB per vCPU",
    url: "https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html",
  },
} as const;

const SIZE_VCPU: Readonly<Record<string, number>> = { medium: 1, large: 2, xlarge: 4 };
const GIB_PER_VCPU: Readonly<Record<string, number>> = { m: 4, c: 2, r: 8 };

/** vCPU and memory of an m/c/r instance type from its name; undefined for any other type. */
export function instanceSize(type: string): { vcpu: number; memoryGiB: number } | undefined {
  const m = /^([mcr])(\d+)[a-z-]*\.(medium|large|xlarge|(\d+)xlarge)$/.exec(type);
  if (!m || Number(m[2]) < 5) return undefined;
  const vcpu = m[4] !== undefined ? 4 * Number(m[4]) : SIZE_VCPU[m[3]];
  return { vcpu, memoryGiB: vcpu * GIB_PER_VCPU[m[1]] };
}

const seconds = (s: number) => (s >= 3600 && s % 3600 === 0 ? `${s / 3600} h` : `${s} s`);

/** The two ingress settings behind a health check, and the inputs they became. */
function healthSources(
  r: RecordedResource,
  [interval, intervalInput]: [number, string],
  [threshold, thresholdInput]: [number, string],
): FigureSource[] {
  return [
    {
      setting: SETTING("ingress.healthCheckIntervalSeconds"),
      value: interval,
      resource: `${nameOf(r)}.${intervalInput}`,
    },
    {
      setting: SETTING("ingress.healthCheckFailureThreshold"),
      value: threshold,
      resource: `${nameOf(r)}.${thresholdInput}`,
    },
  ];
}

/** Time until users leave a failed region, through Route 53 and through Global Accelerator. */
function failoverFigures(records: readonly RecordedResource[]): Figure[] {
  const figures: Figure[] = [];
  const check = ofType(records, "aws:route53/healthCheck:HealthCheck")[0];
  const latency = ofType(records, "aws:route53/record:Record").find(
    (r) => arr(r.inputs.latencyRoutingPolicies).length > 0,
  );
  if (check) {
    const interval = num(check.inputs.requestInterval) ?? 30;
    const threshold = num(check.inputs.failureThreshold) ?? 3;
    const settings = healthSources(
      check,
      [interval, "requestInterval"],
      [threshold, "failureThreshold"],
    );
    if (!latency) {
      figures.push({
        id: "failover.route53",
        label: "users leave a failed region (Route 53)",
        value: null,
        unit: "seconds",
        text: "evacuated: the global name does not answer with this region",
        sources: [{ setting: SETTING("dns.evacuate"), value: true }],
      });
    } else {
      const alias = obj(arr(latency.inputs.aliases)[0]);
      const ttl =
        alias.name !== undefined
          ? ELB_ALIAS_TTL_SECONDS
          : (num(latency.inputs.ttl) ?? ELB_ALIAS_TTL_SECONDS);
      const budget = failoverBudget({
        intervalSeconds: interval,
        failureThreshold: threshold,
        cacheSeconds: ttl,
      });
      figures.push({
        id: "failover.route53",
        label: "users leave a failed region (Route 53)",
        value: budget.totalSeconds,
        unit: "seconds",
        text: `${budget.totalSeconds} s = ${interval} s x ${threshold} failed checks + ${ttl} s ${alias.name !== undefined ? "alias (ELB) TTL" : "record TTL"}`,
        sources: [
          ...settings,
          AWS_FIGURES.route53Health,
          ...(alias.name !== undefined ? [AWS_FIGURES.elbAliasTtl] : []),
        ],
      });
    }
  }
  for (const group of ofType(records, "aws:globalaccelerator/endpointGroup:EndpointGroup")) {
    const interval = num(group.inputs.healthCheckIntervalSeconds) ?? 30;
    const threshold = num(group.inputs.thresholdCount) ?? 3;
    const budget = failoverBudget({
      intervalSeconds: interval,
      failureThreshold: threshold,
      cacheSeconds: 0,
    });
    figures.push({
      id: "failover.globalAccelerator",
      label: "users leave a failed region (Global Accelerator)",
      value: budget.totalSeconds,
      unit: "seconds",
      text: `${budget.totalSeconds} s = ${interval} s x ${threshold} failed checks (anycast: no DNS cache)`,
      sources: [
        ...healthSources(
          group,
          [interval, "healthCheckIntervalSeconds"],
          [threshold, "thresholdCount"],
        ),
        AWS_FIGURES.acceleratorHealth,
      ],
    });
  }
  return figures;
}

/** The region that a record is created in: its explicit provider's, else the stack's. */
function regionResolver(records: readonly RecordedResource[], stackRegion: string) {
  const byRef = new Map<string, string>();
  for (const p of records) {
    if (p.type === "pulumi:providers:aws" && typeof p.inputs.region === "string")
      byRef.set(`${p.urn}::${p.id}`, p.inputs.region);
  }
  return (r: RecordedResource) => byRef.get(r.provider) ?? stackRegion;
}

/** What a region's loss can cost in data: the table, the objects, the events, Aurora. */
function dataFigures(records: readonly RecordedResource[], stackRegion: string): Figure[] {
  const figures: Figure[] = [];
  const regionOf = regionResolver(records, stackRegion);
  for (const table of ofType(records, "aws:dynamodb/table:Table")) {
    const replicas = arr(table.inputs.replicas).map(obj);
    if (replicas.length === 0) continue;
    const strong = replicas.some((r) => r.consistencyMode === "STRONG");
    figures.push({
      id: "data.table",
      label: `table ${String(table.inputs.name ?? nameOf(table))} RPO`,
      value: strong ? 0 : 1,
      unit: "seconds",
      text: strong
        ? `0 s: strong consistency, ${replicas.length + 1} replicas`
        : `typically under 1 s, no SLA: eventual consistency (last writer wins), ${replicas.length + 1} replicas`,
      sources: [
        {
          setting: SETTING("table.consistency"),
          value: strong ? "strong" : "eventual",
          resource: `${nameOf(table)}.replicas[].consistencyMode`,
        },
        strong ? AWS_FIGURES.tableStrong : AWS_FIGURES.tableEventual,
      ],
    });
  }
  const rules = ofType(records, "aws:s3/bucketReplicationConfig:BucketReplicationConfig").flatMap(
    (c) => arr(c.inputs.rules).map((rule) => ({ config: c, rule: obj(rule) })),
  );
  if (rules.length > 0) {
    const times = rules.map(({ rule }) => {
      const rtc = obj(obj(rule.destination).replicationTime);
      return rtc.status === "Enabled" ? (num(obj(rtc.time).minutes) ?? 15) : undefined;
    });
    const allTimed = times.every((t) => t !== undefined);
    const minutes = allTimed ? Math.max(...(times as number[])) : null;
    figures.push({
      id: "data.objects",
      label: "objects RPO (S3 replication)",
      value: minutes,
      unit: "minutes",
      text: allTimed
        ? `${minutes} min for 99.99% of objects (Replication Time Control), ${rules.length} replication rules`
        : `no time objective: Replication Time Control is off on ${times.filter((t) => t === undefined).length} of ${rules.length} rules`,
      sources: [
        {
          setting: SETTING("replication.replicationTimeControl"),
          value: allTimed,
          resource: `${nameOf(rules[0].config)}.rules[].destination.replicationTime`,
        },
        ...(allTimed ? [AWS_FIGURES.s3Rtc] : []),
      ],
    });
  }
  const forwarding = ofType(records, "aws:cloudwatch/eventTarget:EventTarget")
    .map((t) => ({
      t,
      to: /^arn:[^:]+:events:([^:]+):[^:]*:event-bus\/(.+)$/.exec(String(t.inputs.arn)),
    }))
    // Platform events only: findings sent to a region's default bus are not application data.
    .filter(({ t, to }) => to !== null && to[1] !== regionOf(t) && to[2] !== "default");
  if (forwarding.length > 0) {
    const windows = forwarding.map(({ t }) => obj(t.inputs.retryPolicy));
    const age = Math.max(...windows.map((w) => num(w.maximumEventAgeInSeconds) ?? 86400));
    const attempts = Math.max(...windows.map((w) => num(w.maximumRetryAttempts) ?? 185));
    const paths = forwarding.map(({ t, to }) => `${regionOf(t)} -> ${to?.[1]} (${to?.[2]})`);
    figures.push({
      id: "data.events",
      label: "events in flight between regions (EventBridge forwarding)",
      value: age,
      unit: "seconds",
      text: `${forwarding.length} paths retried for up to ${seconds(age)} (${attempts} attempts), then dead-lettered: ${paths.join(", ")}`,
      sources: [
        {
          setting: "forwarding targets' retryPolicy",
          value: { age, attempts },
          resource: nameOf(forwarding[0].t),
        },
        AWS_FIGURES.eventRetry,
      ],
    });
  }
  if (ofType(records, "aws:rds/globalCluster:GlobalCluster").length > 0) {
    figures.push({
      id: "data.aurora",
      label: "Aurora global database RPO",
      value: 1,
      unit: "seconds",
      text: "typically under 1 s of replication lag to the secondary regions",
      sources: [{ setting: SETTING("aurora.enabled"), value: true }, AWS_FIGURES.auroraLag],
    });
  }
  return figures;
}

type Range = { min: number; desired: number; max: number };
const addRange = (a: Range, b: Range): Range => ({
  min: a.min + b.min,
  desired: a.desired + b.desired,
  max: a.max + b.max,
});
const rangeText = (r: Range) => `${r.min} / ${r.desired} / ${r.max}`;

/** What one region runs: nodes with their vCPU and memory, NAT gateways, service replicas. */
function capacityFigures(records: readonly RecordedResource[]): Figure[] {
  const figures: Figure[] = [];
  const groups = ofType(records, "aws:eks/nodeGroup:NodeGroup");
  if (groups.length > 0) {
    let nodes: Range = { min: 0, desired: 0, max: 0 };
    let cpu: Range = { min: 0, desired: 0, max: 0 };
    let mem: Range = { min: 0, desired: 0, max: 0 };
    const unknown = new Set<string>();
    for (const g of groups) {
      const sc = obj(g.inputs.scalingConfig);
      const n = {
        min: num(sc.minSize) ?? 0,
        desired: num(sc.desiredSize) ?? 0,
        max: num(sc.maxSize) ?? 0,
      };
      nodes = addRange(nodes, n);
      // A group with several types may get any of them: count the smallest, as the scheduler must.
      const sizes = arr(g.inputs.instanceTypes).map((t) => {
        const size = instanceSize(String(t));
        if (!size) unknown.add(String(t));
        return size;
      });
      const known = sizes.filter((s): s is NonNullable<typeof s> => s !== undefined);
      if (known.length === 0) continue;
      const vcpu = Math.min(...known.map((s) => s.vcpu));
      const gib = Math.min(...known.map((s) => s.memoryGiB));
      cpu = addRange(cpu, { min: n.min * vcpu, desired: n.desired * vcpu, max: n.max * vcpu });
      mem = addRange(mem, { min: n.min * gib, desired: n.desired * gib, max: n.max * gib });
    }
    const types = [...new Set(groups.flatMap((g) => arr(g.inputs.instanceTypes).map(String)))];
    const clusterSources: FigureSource[] = [
      {
        setting: SETTING("cluster.minSize/desiredSize/maxSize"),
        value: nodes,
        resource: `${groups.length} node groups' scalingConfig`,
      },
      { setting: SETTING("cluster.instanceTypes"), value: types },
    ];
    figures.push({
      id: "capacity.nodes",
      label: "cluster nodes (min / desired / max)",
      value: nodes,
      unit: "nodes",
      text: `${rangeText(nodes)} of ${types.join(", ")} in ${groups.length} node groups`,
      sources: clusterSources,
    });
    const note = unknown.size ? ` (not counted: ${[...unknown].join(", ")})` : "";
    figures.push({
      id: "capacity.vcpu",
      label: "node vCPU (min / desired / max)",
      value: cpu,
      unit: "vCPU",
      text: `${rangeText(cpu)}${note}`,
      sources: [...clusterSources, AWS_FIGURES.instanceSizes],
    });
    figures.push({
      id: "capacity.memory",
      label: "node memory (min / desired / max)",
      value: mem,
      unit: "GiB",
      text: `${rangeText(mem)} GiB${note}`,
      sources: [...clusterSources, AWS_FIGURES.instanceSizes],
    });
  }
  for (const vpc of ofType(records, "awsx:ec2:Vpc")) {
    const strategy = String(obj(vpc.inputs.natGateways).strategy ?? "OnePerAz");
    const azs = num(vpc.inputs.numberOfAvailabilityZones) ?? 3;
    const count = strategy === "Single" ? 1 : strategy === "None" ? 0 : azs;
    figures.push({
      id: "capacity.natGateways",
      label: "NAT gateways",
      value: count,
      unit: "gateways",
      text: `${count} (${strategy === "OnePerAz" ? `one per zone, ${azs} zones` : strategy})`,
      sources: [
        {
          setting: SETTING("network.natGateways"),
          value: strategy === "Single" ? "single" : "perAz",
          resource: `${nameOf(vpc)}.natGateways.strategy`,
        },
        {
          setting: SETTING("network.azCount"),
          value: azs,
          resource: `${nameOf(vpc)}.numberOfAvailabilityZones`,
        },
      ],
    });
  }
  const hpas = ofType(records, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler");
  if (hpas.length > 0) {
    const per = hpas.map((h) => {
      const spec = obj(h.inputs.spec);
      const meta = obj(h.inputs.metadata);
      return {
        name: String(meta.name),
        min: num(spec.minReplicas) ?? 1,
        max: num(spec.maxReplicas) ?? 1,
      };
    });
    const total = per.reduce((a, p) => ({ min: a.min + p.min, max: a.max + p.max }), {
      min: 0,
      max: 0,
    });
    figures.push({
      id: "capacity.serviceReplicas",
      label: "service replicas (min / max)",
      value: total,
      unit: "pods",
      text: `${total.min} / ${total.max}: ${per.map((p) => `${p.name} ${p.min}-${p.max}`).join(", ")}`,
      sources: [
        {
          setting: SETTING("services[].minReplicas/maxReplicas"),
          value: total,
          resource: `${hpas.length} HorizontalPodAutoscalers`,
        },
      ],
    });
  }
  return figures;
}

/** The figures of one stack, from its planned resources. */
export function stackFigures(records: readonly RecordedResource[], region: string): Figures {
  return {
    failover: failoverFigures(records),
    data: dataFigures(records, region),
    capacity: capacityFigures(records),
  };
}

const rangeOf = (v: FigureValue): Range | undefined => {
  if (v === null || typeof v === "number") return undefined;
  return { min: v.min ?? 0, desired: v.desired ?? v.min ?? 0, max: v.max ?? 0 };
};

/**
 * The platform's figures: the worst failover of the serving regions, the global stack's data
 * figures, and capacity summed over the regions.
 */
export function platformFigures(
  global: Figures | undefined,
  regions: ReadonlyArray<{ stack: string; figures: Figures }>,
): Figures {
  const failover: Figure[] = [];
  for (const id of ["failover.route53", "failover.globalAccelerator"]) {
    const serving = regions
      .map((r) => ({ stack: r.stack, f: r.figures.failover.find((f) => f.id === id) }))
      .filter((x): x is { stack: string; f: Figure } => typeof x.f?.value === "number");
    if (serving.length === 0) continue;
    const worst = serving.reduce((a, b) => ((b.f.value as number) > (a.f.value as number) ? b : a));
    failover.push({
      ...worst.f,
      label: `${worst.f.label}, worst of ${serving.length} serving regions`,
      text: `up to ${worst.f.text} (${worst.stack})`,
    });
  }
  const capacity: Figure[] = [];
  const perRegion = (id: string): FigureSource => ({
    setting: "the sum of the region stacks' figures",
    value: Object.fromEntries(
      regions.map((r) => [r.stack, r.figures.capacity.find((f) => f.id === id)?.value ?? null]),
    ),
  });
  for (const id of ["capacity.nodes", "capacity.vcpu", "capacity.memory"]) {
    const parts = regions.flatMap((r) => r.figures.capacity.filter((f) => f.id === id));
    if (parts.length === 0) continue;
    const sum = parts.map((f) => rangeOf(f.value) as Range).reduce(addRange);
    capacity.push({
      ...parts[0],
      value: sum,
      text: `${rangeText(sum)} ${parts[0].unit} over ${parts.length} regions`,
      sources: [perRegion(id)],
    });
  }
  for (const id of ["capacity.natGateways", "capacity.serviceReplicas"]) {
    const parts = regions.flatMap((r) => r.figures.capacity.filter((f) => f.id === id));
    if (parts.length === 0) continue;
    const value =
      typeof parts[0].value === "number"
        ? parts.reduce((n, f) => n + (f.value as number), 0)
        : parts
            .map((f) => f.value as Record<string, number>)
            .reduce((a, b) => ({ min: a.min + b.min, max: a.max + b.max }));
    const text = typeof value === "number" ? `${value}` : `${value.min} / ${value.max}`;
    capacity.push({
      ...parts[0],
      value,
      text: `${text} ${parts[0].unit} over ${parts.length} regions`,
      sources: [perRegion(id)],
    });
  }
  return { failover, data: global?.data ?? [], capacity };
}

const sourceText = (s: FigureSource): string =>
  "aws" in s
    ? `AWS: ${s.aws} (${s.url})`
    : `${s.setting} = ${JSON.stringify(s.value)}${s.resource ? ` [${s.resource}]` : ""}`;

/** The `Figures:` block of the text output: each figure, then where its number comes from. */
export function figureLines(figures: Figures, title = "Figures:"): string[] {
  const all = FIGURE_GROUPS.flatMap((g) => figures[g].map((f) => ({ g, f })));
  if (all.length === 0) return [];
  const lines = [title];
  for (const { g, f } of all) {
    lines.push(`    ${g.padEnd(8)}  ${f.label}: ${f.text}`);
    for (const s of f.sources) lines.push(`              from ${sourceText(s)}`);
  }
  return lines;
}

export interface DocumentFigures {
  /** This stack's own figures. */
  readonly stack: Figures;
  /** The whole platform's, in the global stack's document. */
  readonly platform?: Figures;
}

/** Every stack's figures, and the platform's on the global stack, keyed by stack. */
export function planFigures(
  stacks: ReadonlyArray<{
    stack: string;
    kind: "global" | "region";
    region: string;
    records: readonly RecordedResource[];
  }>,
): Map<string, DocumentFigures> {
  const own = stacks.map((s) => ({ ...s, figures: stackFigures(s.records, s.region) }));
  const global = own.find((s) => s.kind === "global");
  const regions = own.filter((s) => s.kind === "region");
  const result = new Map<string, DocumentFigures>();
  for (const s of own) {
    result.set(
      s.stack,
      s.kind === "global"
        ? { stack: s.figures, platform: platformFigures(global?.figures, regions) }
        : { stack: s.figures },
    );
  }
  return result;
}

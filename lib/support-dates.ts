/**
 * AWS end-of-support dates of what this platform runs, with where each date comes from and when
 * it was last checked: Lambda runtimes and EKS Kubernetes versions. One table, read by the
 * program (the runtime and version it deploys must be in it) and by the plan, which flags every
 * resource past its date or within `SUPPORT_WARNING_DAYS` of it. Pure: no Pulumi.
 *
 * Bumping: add the new row with its source and the date you read it, then move the program to it.
 */

/** How close to an end-of-support date the plan starts flagging a resource. */
export const SUPPORT_WARNING_DAYS = 90;

export interface SupportRow {
  /**
   * The day support ends: for a Lambda runtime its deprecation (no more security patches; AWS
   * blocks creating functions on it a few weeks later), for an EKS version the end of standard
   * support (extended support after it is billed per cluster hour).
   */
  readonly ends: string;
  /** What else AWS publishes for this row (blocked create/update, end of extended support). */
  readonly then: Readonly<Record<string, string>>;
  readonly source: string;
  /** The day the source was read. */
  readonly checked: string;
}

const LAMBDA_RUNTIMES_SOURCE = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html";
const EKS_VERSIONS_SOURCE =
  "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html";

/**
 * Lambda's supported-runtimes table (deprecation, block function create, block function update).
 * https://docs.aws.amazon.com/lambda/latest/dg/runtime-support-policy.html: after the block-create
 * date CreateFunction fails with the runtime.
 */
export const LAMBDA_RUNTIMES = {
  "nodejs20.x": {
    ends: "2026-04-30",
    then: { blockCreate: "2026-08-31", blockUpdate: "2026-09-30" },
    source: LAMBDA_RUNTIMES_SOURCE,
    checked: "2026-12-01",
  },
  "nodejs22.x": {
    ends: "2027-04-30",
    then: { blockCreate: "2027-06-01", blockUpdate: "2027-07-01" },
    source: LAMBDA_RUNTIMES_SOURCE,
    checked: "2026-12-01",
  },
  "nodejs24.x": {
    ends: "2028-04-30",
    then: { blockCreate: "2028-06-01", blockUpdate: "2028-07-01" },
    source: LAMBDA_RUNTIMES_SOURCE,
    checked: "2026-12-01",
  },
} as const satisfies Record<string, SupportRow>;
export type LambdaRuntime = keyof typeof LAMBDA_RUNTIMES;

/**
 * EKS's Kubernetes release calendar: standard support for 14 months after the EKS release, then
 * 12 months of extended support at an extra cost per cluster hour (the page above).
 */
export const EKS_VERSIONS = {
  "1.33": {
    ends: "2026-07-29",
    then: { endOfExtendedSupport: "2027-07-29" },
    source: EKS_VERSIONS_SOURCE,
    checked: "2026-12-01",
  },
  "1.34": {
    ends: "2026-12-02",
    then: { endOfExtendedSupport: "2027-12-02" },
    source: EKS_VERSIONS_SOURCE,
    checked: "2026-12-01",
  },
  "1.35": {
    ends: "2027-03-27",
    then: { endOfExtendedSupport: "2028-03-27" },
    source: EKS_VERSIONS_SOURCE,
    checked: "2026-12-01",
  },
} as const satisfies Record<string, SupportRow>;
export type EksVersion = keyof typeof EKS_VERSIONS;

const NODE_RELEASES_SOURCE = "https://github.com/nodejs/Release#release-schedule";

/**
 * Node.js release lines, for what runs outside Lambda: the pipelines' runners (setup-node) and
 * the services' images. `ends` is the line's end of life, after which it gets no security fixes.
 */
export const NODE_RELEASES = {
  "20": { ends: "2026-04-30", then: {}, source: NODE_RELEASES_SOURCE, checked: "2026-12-02" },
  "22": { ends: "2027-04-30", then: {}, source: NODE_RELEASES_SOURCE, checked: "2026-12-02" },
  "24": { ends: "2028-04-30", then: {}, source: NODE_RELEASES_SOURCE, checked: "2026-12-02" },
} as const satisfies Record<string, SupportRow>;
export type NodeRelease = keyof typeof NODE_RELEASES;

/** The runtime the platform's Lambda functions use: a row of the table, checked by the compiler. */
export const LAMBDA_NODE_RUNTIME: LambdaRuntime = "nodejs24.x";
/** The Kubernetes version new clusters get when a stack file does not set one. */
export const DEFAULT_EKS_VERSION: EksVersion = "1.35";

const DAY_MS = 24 * 60 * 60 * 1000;

/** Whole days from `today` (its UTC day) to `date` (YYYY-MM-DD); negative once it has passed. */
export function daysUntil(date: string, today: Date): number {
  const start = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  return Math.round((Date.parse(`${date}T00:00:00Z`) - start) / DAY_MS);
}

/** The keys of `table` still supported `SUPPORT_WARNING_DAYS` days after `today`. */
export function supportedKeys<K extends string>(
  table: Readonly<Record<K, SupportRow>>,
  today: Date,
): K[] {
  return (Object.keys(table) as K[]).filter(
    (k) => daysUntil(table[k].ends, today) > SUPPORT_WARNING_DAYS,
  );
}

export interface SupportFinding {
  readonly policy: typeof SUPPORT_FINDING_POLICY;
  readonly urn: string;
  /** mandatory once the date has passed (or the value is unknown); advisory within the window. */
  readonly enforcementLevel: "advisory" | "mandatory";
  readonly message: string;
}
export const SUPPORT_FINDING_POLICY = "aws-end-of-support";

export interface PlannedResource {
  readonly urn: string;
  readonly type: string;
  readonly inputs: Record<string, unknown>;
}

/** Where each kind of dated value sits in a resource's inputs, and its table. */
const CHECKS: ReadonlyArray<{
  readonly types: readonly string[];
  readonly property: string;
  readonly what: string;
  readonly table: Readonly<Record<string, SupportRow>>;
}> = [
  {
    types: ["aws:lambda/function:Function"],
    property: "runtime",
    what: "Lambda runtime",
    table: LAMBDA_RUNTIMES,
  },
  {
    // The remote component carries the version the program sets; its child cluster and any
    // node group that names a version carry it too once the engine expands them.
    types: ["eks:index:Cluster", "aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup"],
    property: "version",
    what: "EKS Kubernetes version",
    table: EKS_VERSIONS,
  },
];

/** Every planned resource that runs something past, or within the window of, its AWS date. */
export function supportFindings(
  resources: readonly PlannedResource[],
  today: Date,
): SupportFinding[] {
  const findings: SupportFinding[] = [];
  for (const r of resources) {
    for (const check of CHECKS) {
      const value = r.inputs[check.property];
      if (!check.types.includes(r.type) || typeof value !== "string") continue;
      const row = Object.hasOwn(check.table, value) ? check.table[value] : undefined;
      if (row === undefined) {
        findings.push({
          policy: SUPPORT_FINDING_POLICY,
          urn: r.urn,
          enforcementLevel: "mandatory",
          message: `${check.what} ${value} has no row in lib/support-dates.ts (known: ${Object.keys(check.table).join(", ")}); add its AWS end-of-support date and source, or use a known one`,
        });
        continue;
      }
      const days = daysUntil(row.ends, today);
      if (days > SUPPORT_WARNING_DAYS) continue;
      const later = Object.entries(row.then)
        .map(([k, d]) => `${k} ${d}`)
        .join(", ");
      findings.push({
        policy: SUPPORT_FINDING_POLICY,
        urn: r.urn,
        enforcementLevel: days < 0 ? "mandatory" : "advisory",
        message: `${check.what} ${value}: AWS support ${days < 0 ? `ended ${row.ends} (${-days} days ago)` : `ends ${row.ends} (in ${days} days)`}; then ${later} (${row.source}, checked ${row.checked}). Move to one of: ${supportedKeys(check.table, today).join(", ") || "none in the table: add a newer row"}`,
      });
    }
  }
  return findings;
}

/**
 * The Kubernetes versions each Istio minor supports ("Support status of Istio releases",
 * https://istio.io/latest/docs/releases/supported-releases/), checked 2026-12-01. The mesh's
 * charts and the cluster move together: a version pair outside this table is refused by config.
 */
export const ISTIO_KUBERNETES_VERSIONS: Readonly<Record<string, readonly string[]>> = {
  "1.28": ["1.30", "1.31", "1.32", "1.33", "1.34"],
  "1.29": ["1.31", "1.32", "1.33", "1.34", "1.35"],
  "1.30": ["1.32", "1.33", "1.34", "1.35", "1.36"],
};

/** Why an Istio release cannot run on a Kubernetes version, or undefined when it can. */
export function istioKubernetesProblem(
  istioVersion: string,
  kubernetesVersion: string,
): string | undefined {
  const minor = istioVersion.split(".").slice(0, 2).join(".");
  const supported = ISTIO_KUBERNETES_VERSIONS[minor];
  if (supported === undefined) {
    return `Istio ${minor} is not in the compatibility table (known: ${Object.keys(ISTIO_KUBERNETES_VERSIONS).join(", ")})`;
  }
  if (!supported.includes(kubernetesVersion)) {
    return `Istio ${minor} does not support Kubernetes ${kubernetesVersion} (it supports ${supported.join(", ")}); move mesh.istioVersion or cluster.kubernetesVersion`;
  }
  return undefined;
}

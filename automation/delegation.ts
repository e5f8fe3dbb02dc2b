/**
 * Whether a new hosted zone is delegated: the parent zone must hold an NS record for the domain
 * naming the name servers Route 53 assigned to the zone, or nothing resolves in the zone and ACM
 * DNS validation never sees its validation records
 * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/CreatingNewSubdomain.html).
 *
 * The check asks a recursive resolver (the system's, or the servers given) for the domain's NS
 * records. Once the parent delegates, the resolver follows the referral and answers with the
 * zone's own NS record set, which Route 53 creates with the zone's four name servers
 * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/SOA-NSrecords.html); so the answer
 * must be exactly those. Resolver error codes (https://nodejs.org/api/dns.html#error-codes):
 *  - ENOTFOUND (NXDOMAIN) or ENODATA: nothing delegates the domain;
 *  - ESERVFAIL: the parent delegates to servers that do not answer for the zone (the NS record
 *    names an older zone's name servers: a recreated zone gets new ones,
 *    https://docs.aws.amazon.com/Route53/latest/APIReference/API_DeleteHostedZone.html), or the
 *    zone's DNSSEC chain does not validate: either way nothing resolves there;
 *  - anything else (ETIMEOUT, ECONNREFUSED, EREFUSED, ...): DNS could not be asked, which the
 *    caller decides about.
 * Resolvers cache NS answers for the record's TTL (Route 53's zone NS record: 2 days), so a
 * corrected delegation can take that long to show.
 */
import { promises as dns } from "node:dns";
import { StackNotFoundError } from "@pulumi/pulumi/automation";
import { loadProject } from "../lib/config/project";
import { isIP } from "node:net";
import { globalOutputsSchema } from "../lib/contract";
import { PreflightError } from "./preflight";
import type { Operation, StackOperations, StackTarget } from "./types";
import { targetsFromProject, type Wave } from "./waves";

export type DelegationStatus = "delegated" | "mismatch" | "unresolvable";

export interface DelegationResult {
  readonly domain: string;
  readonly status: DelegationStatus;
  /** The zone's name servers, normalised (lower case, no trailing dot), sorted. */
  readonly expected: readonly string[];
  /** What DNS answered, normalised, sorted; empty when it did not answer. */
  readonly found: readonly string[];
  readonly message: string;
}

export type NsLookup = (domain: string) => Promise<string[]>;

export interface DelegationOptions {
  /**
   * @default the system's resolvers - recursive resolvers to ask instead: IP addresses, with an
   * optional port (`1.1.1.1`, `127.0.0.1:5353`, `[2606:4700::1111]:53`), as dns.setServers takes
   */
  readonly servers?: readonly string[];
  /** @default node:dns resolveNs - for tests and other transports */
  readonly lookup?: NsLookup;
  /** @default 2000 - the pause before a SERVFAIL is asked again */
  readonly servfailRetryMs?: number;
}

const normalise = (ns: string) => ns.trim().toLowerCase().replace(/\.$/, "");

function defaultLookup(servers: readonly string[] | undefined): NsLookup {
  const resolver = new dns.Resolver({ timeout: 3000, tries: 2 });
  if (servers !== undefined && servers.length > 0) resolver.setServers([...servers]);
  return (domain) => resolver.resolveNs(domain);
}

/** The step to take before the region stacks, as the plan and the platform CLI print it. */
export function delegationLine(
  stack: string,
  zone: string,
  nameServers: readonly string[],
): string {
  return `delegate ${zone} (stack ${stack}): NS in its parent zone -> ${nameServers.join(" ")}`;
}

/** Asks DNS for the domain's NS records and compares them with the zone's name servers. */
export async function checkDelegation(
  domain: string,
  nameServers: readonly string[],
  options: DelegationOptions = {},
): Promise<DelegationResult> {
  const zone = normalise(domain);
  const expected = [...new Set(nameServers.map(normalise))].sort();
  if (expected.length === 0) {
    throw new Error(
      `checkDelegation: no name servers given for ${zone} (the global stack's nameServers output)`,
    );
  }
  const lookup = options.lookup ?? defaultLookup(options.servers);
  // A resolver also answers SERVFAIL for a fault of its own upstream (systemd-resolved does), so
  // one SERVFAIL is asked again before it counts as a broken delegation.
  const ask = async (): Promise<string[]> => {
    try {
      return await lookup(zone);
    } catch (e) {
      if ((e as { code?: string }).code !== "ESERVFAIL") throw e;
      await new Promise((resolve) => setTimeout(resolve, options.servfailRetryMs ?? 2000));
      return lookup(zone);
    }
  };
  let found: string[];
  try {
    found = [...new Set((await ask()).map(normalise))].sort();
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOTFOUND" || code === "ENODATA") {
      // The parent answered: nothing delegates the domain yet.
      found = [];
    } else if (code === "ESERVFAIL") {
      return {
        domain: zone,
        status: "mismatch",
        expected,
        found: [],
        message:
          `${zone} does not resolve (SERVFAIL, twice): its parent zone's NS record names servers that ` +
          `do not answer for it (an older zone's name servers?), or its DNSSEC chain does not ` +
          `validate; set the parent's NS record to ${expected.join(", ")}`,
      };
    } else {
      return {
        domain: zone,
        status: "unresolvable",
        expected,
        found: [],
        message: `cannot check the delegation of ${zone}: DNS did not answer (${code ?? (e as Error).message})`,
      };
    }
  }
  if (found.length === expected.length && found.every((ns, i) => ns === expected[i])) {
    return {
      domain: zone,
      status: "delegated",
      expected,
      found,
      message: `${zone} is delegated to its zone's name servers`,
    };
  }
  const missing = expected.filter((ns) => !found.includes(ns));
  const extra = found.filter((ns) => !expected.includes(ns));
  return {
    domain: zone,
    status: "mismatch",
    expected,
    found,
    message:
      found.length === 0
        ? `${zone} is not delegated: add an NS record for ${zone} in its parent zone with ${expected.join(", ")}`
        : `${zone} is delegated elsewhere: DNS answers its NS with ${found.join(", ")}` +
          `${missing.length ? `; missing ${missing.join(", ")}` : ""}${extra.length ? `; not the zone's: ${extra.join(", ")}` : ""}` +
          `; set the parent zone's NS record to ${expected.join(", ")} (resolvers may keep ` +
          `the old answer for its TTL)`,
  };
}

/** The global stack's outputs this check reads (lib/contract.ts). */
const zoneOutputsSchema = globalOutputsSchema
  .pick({ zoneName: true, nameServers: true })
  .extend({ nameServers: globalOutputsSchema.shape.nameServers.min(1) });

/** Where the delegation preflight reads the global stack's outputs and asks DNS. */
export interface RegionDelegationInput {
  readonly operation: Operation;
  /** The run's waves: the check applies when an `up` deploys a region stack. */
  readonly waves: readonly Wave[];
  /** The project's global stack (the one exporting the zone), run or not. */
  readonly globalStack: StackTarget;
  /** The global stack's outputs; `undefined` when the stack does not exist yet. */
  readonly globalOutputs: () => Promise<Record<string, unknown> | undefined>;
  readonly dns?: DelegationOptions;
  /** Receives the warning when DNS cannot be asked (the run goes on), and the global stack. */
  readonly warn: (message: string, globalStack: string) => void;
}

const SKIP_HINT = "(to deploy anyway: --no-delegation-check)";

/**
 * The platform CLI's preflight for `up` of region stacks: their certificates validate through
 * the global stack's zone (ACM DNS validation: `aws.acm.CertificateValidation` waits for it, 75
 * minutes by default, then fails the up; ACM itself gives up after 72 hours), which resolves
 * nothing until the parent zone delegates to the zone's name servers. Refuses (PreflightError,
 * exit 2) when the global stack was never deployed or its zone is not delegated; warns and goes
 * on when DNS cannot be asked. Returns what DNS answered, or `undefined` when it does not apply.
 */
export async function checkRegionDelegation(
  input: RegionDelegationInput,
): Promise<DelegationResult | undefined> {
  const regions = input.waves.flatMap((w) => w.stacks).filter((t) => t.role === "region");
  if (input.operation !== "up" || regions.length === 0) return undefined;
  const global = input.globalStack.stack;
  const firstGlobal =
    `deploy it first (up --stacks ${global}), delegate its zone to the name servers it ` +
    `prints (README: "First deploy"), then deploy ${regions.map((t) => t.stack).join(", ")}`;
  const outputs = await input.globalOutputs();
  if (outputs === undefined) {
    throw new PreflightError(
      `the region stacks validate their certificates in the global stack's zone, and stack ` +
        `${global} does not exist yet: ${firstGlobal} ${SKIP_HINT}`,
    );
  }
  const zone = zoneOutputsSchema.safeParse(outputs);
  if (!zone.success) {
    const keys = zone.error.issues.map((i) => i.path.join(".")).join(", ");
    throw new PreflightError(
      `stack ${global} has no usable ${keys} output (a stack never deployed, deployed by an ` +
        `older program, or a private zone, which has no name servers): ${firstGlobal} ${SKIP_HINT}`,
    );
  }
  const result = await checkDelegation(zone.data.zoneName, zone.data.nameServers, input.dns);
  if (result.status === "mismatch") {
    throw new PreflightError(
      `${result.message}. The region stacks' certificates would wait in ACM DNS validation ` +
        `${SKIP_HINT}`,
    );
  }
  if (result.status === "unresolvable") {
    input.warn(
      `${result.message}; deploying anyway (ACM validation waits until ${result.domain} is ` +
        `delegated to ${result.expected.join(", ")})`,
      global,
    );
  }
  return result;
}

/**
 * `checkRegionDelegation` for a project run through `StackOperations` (the platform CLI and the
 * portal): the project's global stack, its outputs read with an `outputs` operation (none when
 * the stack does not exist), the settings from the environment (PLATFORM_SKIP_DELEGATION_CHECK,
 * PLATFORM_DNS_SERVERS) unless `dns` is given.
 */
export async function checkProjectDelegation(input: {
  readonly operation: Operation;
  readonly waves: readonly Wave[];
  readonly projectDir: string;
  readonly operations: StackOperations;
  /** @default the resolvers PLATFORM_DNS_SERVERS names (dnsServersFromEnv) */
  readonly dns?: DelegationOptions;
  readonly warn: (message: string, globalStack: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}): Promise<DelegationResult | undefined> {
  const env = input.env ?? process.env;
  if (input.operation !== "up" || delegationCheckSkipped(env)) return undefined;
  const globalStack = targetsFromProject(loadProject(input.projectDir)).global;
  return checkRegionDelegation({
    ...input,
    dns: input.dns ?? { servers: dnsServersFromEnv(env) },
    globalStack,
    globalOutputs: async () => {
      try {
        const signal = new AbortController().signal;
        return (await input.operations.run(globalStack, "outputs", signal, () => undefined))
          .outputs;
      } catch (e) {
        if (e instanceof StackNotFoundError) return undefined;
        throw e;
      }
    },
  });
}

/**
 * `PLATFORM_SKIP_DELEGATION_CHECK=true` skips the check (the CLI's --no-delegation-check, the
 * portal, and the deploy workflow's repository variable of the same name), e.g. while resolvers
 * still cache an old NS answer.
 */
export function delegationCheckSkipped(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.PLATFORM_SKIP_DELEGATION_CHECK === "true";
}

/** Whether dns.setServers takes the entry: an IP address, with a port (`[v6]:port` for IPv6). */
function isServerAddress(entry: string): boolean {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(entry);
  const v4 = /^([\d.]+)(?::(\d{1,5}))?$/.exec(entry);
  const port = bracketed?.[2] ?? v4?.[2];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return false;
  if (bracketed) return isIP(bracketed[1]) === 6;
  if (v4) return isIP(v4[1]) === 4;
  return isIP(entry) === 6;
}

/**
 * `PLATFORM_DNS_SERVERS`: comma-separated recursive resolvers to ask instead of the system's;
 * `PreflightError` naming the entry when one is not an address dns.setServers accepts
 * (https://nodejs.org/api/dns.html#dnssetserversservers).
 */
export function dnsServersFromEnv(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const servers = (env.PLATFORM_DNS_SERVERS ?? "").split(/[\s,]+/).filter((s) => s.length > 0);
  const bad = servers.filter((s) => !isServerAddress(s));
  if (bad.length > 0) {
    throw new PreflightError(
      `PLATFORM_DNS_SERVERS: ${bad.map((b) => `"${b}"`).join(", ")}: not a resolver address; ` +
        `expected IP addresses of recursive resolvers, each with an optional port (1.1.1.1, ` +
        `127.0.0.1:5353, [2606:4700::1111]:53), separated by commas`,
    );
  }
  return servers.length > 0 ? servers : undefined;
}

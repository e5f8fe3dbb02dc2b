/**
 * Whether a new hosted zone is delegated: the parent zone must answer NS for the domain with the
 * name servers Route 53 assigned to the zone, or ACM DNS validation and the health checks never
 * see the zone's records
 * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/CreatingNewSubdomain.html).
 *
 * Resolution goes through `node:dns` (the system's resolvers, or the servers given), so a check
 * run where DNS cannot be reached says so instead of failing the deploy on its own: the caller
 * decides what an unresolvable answer means.
 */
import { promises as dns } from "node:dns";
import { globalOutputsSchema } from "../lib/contract";
import { PreflightError } from "./preflight";
import type { Operation, StackTarget } from "./types";
import type { Wave } from "./waves";

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
  /** @default the system's resolvers - DNS servers (`host` or `host:port`) to ask instead */
  readonly servers?: readonly string[];
  /** @default node:dns resolveNs - for tests and other transports */
  readonly lookup?: NsLookup;
}

const normalise = (ns: string) => ns.trim().toLowerCase().replace(/\.$/, "");

function defaultLookup(servers: readonly string[] | undefined): NsLookup {
  const resolver = new dns.Resolver({ timeout: 3000, tries: 2 });
  if (servers !== undefined && servers.length > 0) resolver.setServers([...servers]);
  return (domain) => resolver.resolveNs(domain);
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
  let found: string[];
  try {
    found = [...new Set((await lookup(zone)).map(normalise))].sort();
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOTFOUND" || code === "ENODATA") {
      // The parent answered: nothing delegates the domain yet.
      found = [];
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
        : `${zone} is delegated elsewhere: the parent zone's NS record names ${found.join(", ")}` +
          `${missing.length ? `; missing ${missing.join(", ")}` : ""}${extra.length ? `; not the zone's: ${extra.join(", ")}` : ""}` +
          `; set it to ${expected.join(", ")}`,
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
  /** Receives the warning when DNS cannot be asked (the run goes on). */
  readonly warn: (message: string) => void;
}

const SKIP_HINT = "(to deploy anyway: --no-delegation-check)";

/**
 * The platform CLI's preflight for `up` of region stacks: their certificates validate through
 * the global stack's zone (ACM DNS validation) and Route 53 health checks resolve names in it,
 * which wait until the parent zone delegates to the zone's name servers. Refuses (PreflightError,
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
      `stack ${global} has no usable ${keys} output (a stack never deployed, or deployed by an ` +
        `older program): ${firstGlobal} ${SKIP_HINT}`,
    );
  }
  const result = await checkDelegation(zone.data.zoneName, zone.data.nameServers, input.dns);
  if (result.status === "mismatch") {
    throw new PreflightError(
      `${result.message}. The region stacks' certificates (ACM DNS validation) and health ` +
        `checks would wait for it ${SKIP_HINT}`,
    );
  }
  if (result.status === "unresolvable") {
    input.warn(
      `${result.message}; deploying anyway (ACM validation waits until ${result.domain} is ` +
        `delegated to ${result.expected.join(", ")})`,
    );
  }
  return result;
}

/** `PLATFORM_DNS_SERVERS`: comma-separated DNS servers (`host` or `host:port`) to ask instead. */
export function dnsServersFromEnv(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const servers = (env.PLATFORM_DNS_SERVERS ?? "").split(/[\s,]+/).filter((s) => s.length > 0);
  return servers.length > 0 ? servers : undefined;
}

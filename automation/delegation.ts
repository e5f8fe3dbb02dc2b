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

/**
 * The delegation check over the DNS wire: node:dns asks a local UDP DNS stand-in, which answers
 * NS queries from a table (RFC 1035 messages, section 4.1), or NXDOMAIN, or nothing at all.
 */
import * as dgram from "node:dgram";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkDelegation,
  checkRegionDelegation,
  dnsServersFromEnv,
  type RegionDelegationInput,
} from "../automation/delegation";
import { PreflightError } from "../automation/preflight";
import type { StackTarget } from "../automation/types";
import { dnsStandIn } from "./dns-stand-in";

const ZONE_NS = ["ns-1.awsdns-01.org", "ns-2.awsdns-02.net", "ns-3.awsdns-03.com"];
let server: dgram.Socket;
let servers: string[];

beforeAll(async () => {
  server = dnsStandIn(
    {
      "platform.example.com": ZONE_NS.map((n) => n.toUpperCase() + "."),
      "flaky.example.com": ZONE_NS,
      "old.example.com": ["ns-1.awsdns-01.org", "ns1.registrar.example"],
    },
    ["slow.example.com"],
    ["lame.example.com"],
    ["flaky.example.com"],
  );
  await new Promise<void>((resolve) => server.bind(0, "127.0.0.1", resolve));
  servers = [`127.0.0.1:${server.address().port}`];
});
afterAll(() => server.close());

describe("checkDelegation", () => {
  it("passes when the parent delegates to exactly the zone's name servers", async () => {
    const result = await checkDelegation("platform.example.com.", [...ZONE_NS].reverse(), {
      servers,
    });
    expect(result).toMatchObject({ status: "delegated", found: ZONE_NS, expected: ZONE_NS });
  });

  it("says how to delegate a domain nothing delegates yet", async () => {
    const result = await checkDelegation("new.example.com", ZONE_NS, { servers });
    expect(result.status).toBe("mismatch");
    expect(result.message).toBe(
      `new.example.com is not delegated: add an NS record for new.example.com in its parent zone with ${ZONE_NS.join(", ")}`,
    );
  });

  it("names what is missing and what is not the zone's when it is delegated elsewhere", async () => {
    const result = await checkDelegation("old.example.com", ZONE_NS, { servers });
    expect(result.status).toBe("mismatch");
    expect(result.message).toContain("missing ns-2.awsdns-02.net, ns-3.awsdns-03.com");
    expect(result.message).toContain("not the zone's: ns1.registrar.example");
  });

  it("says a delegation to servers that do not answer (SERVFAIL) is not working", async () => {
    const result = await checkDelegation("lame.example.com", ZONE_NS, {
      servers,
      servfailRetryMs: 10,
    });
    expect(result.status).toBe("mismatch");
    expect(result.message).toBe(
      `lame.example.com does not resolve (SERVFAIL, twice): its parent zone's NS record names servers ` +
        `that do not answer for it (an older zone's name servers?), or its DNSSEC chain does not ` +
        `validate; set the parent's NS record to ${ZONE_NS.join(", ")}`,
    );
  });

  it("asks a SERVFAIL again: a resolver's passing fault is not a broken delegation", async () => {
    const result = await checkDelegation("flaky.example.com", ZONE_NS, {
      servers,
      servfailRetryMs: 10,
    });
    expect(result.status).toBe("delegated");
  });

  it("reports unresolvable when DNS does not answer", async () => {
    const result = await checkDelegation("slow.example.com", ZONE_NS, { servers });
    expect(result.status).toBe("unresolvable");
    expect(result.message).toMatch(/^cannot check the delegation of slow\.example\.com/);
  });

  it("refuses to check without name servers", async () => {
    await expect(checkDelegation("platform.example.com", [], { servers })).rejects.toThrow(
      "no name servers given for platform.example.com",
    );
  });
});

describe("checkRegionDelegation: the platform CLI's preflight for an up of region stacks", () => {
  const global: StackTarget = { stack: "global", role: "global", region: "us-east-1" };
  const region: StackTarget = { stack: "eu-central-1", role: "region", region: "eu-central-1" };
  const outputs = (zoneName: string) => ({
    zoneName,
    nameServers: ZONE_NS,
    homeRegion: "us-east-1",
  });
  function input(over: Partial<RegionDelegationInput> = {}) {
    const warnings: string[] = [];
    let reads = 0;
    const value: RegionDelegationInput = {
      operation: "up",
      waves: [
        { tier: "global", stacks: [global] },
        { tier: "region", stacks: [region] },
      ],
      globalStack: global,
      globalOutputs: () => {
        reads += 1;
        return Promise.resolve(outputs("platform.example.com"));
      },
      dns: { servers },
      warn: (m) => warnings.push(m),
      ...over,
    };
    return { value, warnings, reads: () => reads };
  }

  it("passes an up of regions whose zone the parent delegates", async () => {
    const { value, warnings } = input();
    expect((await checkRegionDelegation(value))?.status).toBe("delegated");
    expect(warnings).toEqual([]);
  });

  it.each([
    ["preview", [{ tier: "region", stacks: [region] }]],
    ["refresh", [{ tier: "region", stacks: [region] }]],
    ["up", [{ tier: "global", stacks: [global] }]],
  ] as const)("does not apply to %s of %j", async (operation, waves) => {
    const { value, reads } = input({ operation, waves });
    expect(await checkRegionDelegation(value)).toBeUndefined();
    expect(reads()).toBe(0);
  });

  it("refuses regions of an undelegated zone, saying what to add and how to skip", async () => {
    const { value } = input({ globalOutputs: () => Promise.resolve(outputs("new.example.com")) });
    const refused = checkRegionDelegation(value);
    await expect(refused).rejects.toBeInstanceOf(PreflightError);
    await expect(refused).rejects.toThrow(
      `new.example.com is not delegated: add an NS record for new.example.com in its parent zone with ${ZONE_NS.join(", ")}`,
    );
    await expect(refused).rejects.toThrow("--no-delegation-check");
  });

  it("refuses regions before the global stack exists: deploy it and delegate first", async () => {
    const { value } = input({ globalOutputs: () => Promise.resolve(undefined) });
    await expect(checkRegionDelegation(value)).rejects.toThrow(
      'stack global does not exist yet: deploy it first (up --stacks global), delegate its zone to the name servers it prints (README: "First deploy"), then deploy eu-central-1',
    );
  });

  it("names the outputs a global stack without a zone lacks", async () => {
    const { value } = input({
      globalOutputs: () => Promise.resolve({ zoneName: "platform.example.com", nameServers: [] }),
    });
    await expect(checkRegionDelegation(value)).rejects.toThrow(
      "stack global has no usable nameServers output",
    );
  });

  it("warns and goes on when DNS does not answer", async () => {
    const { value, warnings } = input({
      globalOutputs: () => Promise.resolve(outputs("slow.example.com")),
    });
    expect((await checkRegionDelegation(value))?.status).toBe("unresolvable");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^cannot check the delegation of slow\.example\.com.*deploying anyway/,
    );
  });

  it.each(["dns.example.com", "1.1.1.1:99999", "1.1.1", "[1.1.1.1]:53", "[::1]:0"])(
    "refuses PLATFORM_DNS_SERVERS=%s, naming it and the form expected",
    (entry) => {
      const read = () => dnsServersFromEnv({ PLATFORM_DNS_SERVERS: `1.1.1.1,${entry}` });
      expect(read).toThrow(PreflightError);
      expect(read).toThrow(`PLATFORM_DNS_SERVERS: "${entry}": not a resolver address`);
    },
  );

  it("reads PLATFORM_DNS_SERVERS as a list of servers", () => {
    expect(
      dnsServersFromEnv({ PLATFORM_DNS_SERVERS: "[2606:4700::1111]:53,2606:4700::1001" }),
    ).toEqual(["[2606:4700::1111]:53", "2606:4700::1001"]);
    expect(dnsServersFromEnv({ PLATFORM_DNS_SERVERS: "1.1.1.1, 127.0.0.1:5353" })).toEqual([
      "1.1.1.1",
      "127.0.0.1:5353",
    ]);
    expect(dnsServersFromEnv({ PLATFORM_DNS_SERVERS: " " })).toBeUndefined();
    expect(dnsServersFromEnv({})).toBeUndefined();
  });
});

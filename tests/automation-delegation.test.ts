/**
 * The delegation check over the DNS wire: node:dns asks a local UDP DNS stand-in, which answers
 * NS queries from a table (RFC 1035 messages, section 4.1), or NXDOMAIN, or nothing at all.
 */
import * as dgram from "node:dgram";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkDelegation } from "../automation/delegation";

const NS = 2;

function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, "").split(".");
  return Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "ascii")])),
    Buffer.from([0]),
  ]);
}

/** The question's name and where the question ends. */
function readQuestion(msg: Buffer): { name: string; end: number } {
  const labels: string[] = [];
  let i = 12;
  while (msg[i] !== 0) {
    labels.push(msg.subarray(i + 1, i + 1 + msg[i]).toString("ascii"));
    i += msg[i] + 1;
  }
  return { name: labels.join(".").toLowerCase(), end: i + 5 };
}

/** A UDP DNS server: NS answers from `zones`, NXDOMAIN for others, silence for `silent`. */
function standIn(zones: Record<string, string[]>, silent: string[]) {
  const socket = dgram.createSocket("udp4");
  socket.on("message", (msg, peer) => {
    const { name, end } = readQuestion(msg);
    if (silent.includes(name)) return;
    const answers = zones[name] ?? [];
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(0x8180 | (zones[name] ? 0 : 3), 2); // response, RD+RA, NXDOMAIN or not
    header.writeUInt16BE(1, 4); // one question
    header.writeUInt16BE(answers.length, 6);
    const records = answers.map((ns) => {
      const rdata = encodeName(ns);
      const fixed = Buffer.alloc(12);
      fixed.writeUInt16BE(0xc00c, 0); // the question's name
      fixed.writeUInt16BE(NS, 2);
      fixed.writeUInt16BE(1, 4); // IN
      fixed.writeUInt32BE(300, 6);
      fixed.writeUInt16BE(rdata.length, 10);
      return Buffer.concat([fixed, rdata]);
    });
    socket.send(
      Buffer.concat([header, msg.subarray(12, end), ...records]),
      peer.port,
      peer.address,
    );
  });
  return socket;
}

const ZONE_NS = ["ns-1.awsdns-01.org", "ns-2.awsdns-02.net", "ns-3.awsdns-03.com"];
let server: dgram.Socket;
let servers: string[];

beforeAll(async () => {
  server = standIn(
    {
      "platform.example.com": ZONE_NS.map((n) => n.toUpperCase() + "."),
      "old.example.com": ["ns-1.awsdns-01.org", "ns1.registrar.example"],
    },
    ["slow.example.com"],
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

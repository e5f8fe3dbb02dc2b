/**
 * A UDP DNS server for tests of the delegation check: NS answers from a table in RFC 1035 wire
 * format (section 4.1), NXDOMAIN for other names, SERVFAIL (RCODE 2) for `failing` names, and no
 * answer at all for `silent` names.
 */
import * as dgram from "node:dgram";

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
export function dnsStandIn(
  zones: Record<string, string[]>,
  silent: string[],
  failing: string[] = [],
  /** Names answered SERVFAIL the first time only, as a resolver's passing upstream fault. */
  failingOnce: string[] = [],
) {
  const socket = dgram.createSocket("udp4");
  const asked = new Map<string, number>();
  socket.on("message", (msg, peer) => {
    const { name, end } = readQuestion(msg);
    asked.set(name, (asked.get(name) ?? 0) + 1);
    if (silent.includes(name)) return;
    const servfail =
      failing.includes(name) || (failingOnce.includes(name) && asked.get(name) === 1);
    const answers = servfail ? [] : (zones[name] ?? []);
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // id
    // Response, RD+RA, and the RCODE: 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN (RFC 1035 4.1.1).
    const rcode = servfail ? 2 : zones[name] ? 0 : 3;
    header.writeUInt16BE(0x8180 | rcode, 2);
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

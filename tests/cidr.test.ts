import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  allocate,
  contains,
  findOverlap,
  formatCidr,
  isPrivate,
  overlaps,
  parseCidr,
  subdivide,
} from "../lib/cidr";

describe("parseCidr", () => {
  it.each([
    ["10.0.0.0/16", "10.0.0.0/16"],
    ["172.16.4.0/22", "172.16.4.0/22"],
    ["0.0.0.0/0", "0.0.0.0/0"],
  ])("round-trips %s", (text, expected) => {
    expect(formatCidr(parseCidr(text))).toBe(expected);
  });

  it.each([
    ["10.0.0.0", '"10.0.0.0" is not an IPv4 CIDR block (expected a.b.c.d/n)'],
    ["10.0.0.256/24", '"10.0.0.256/24" is not an IPv4 CIDR block (octets 0-255, prefix 0-32)'],
    ["10.0.0.0/33", '"10.0.0.0/33" is not an IPv4 CIDR block (octets 0-255, prefix 0-32)'],
    ["10.0.1.0/16", '"10.0.1.0/16" has host bits set: the network address is 10.0.0.0/16'],
  ])("rejects %s", (text, message) => {
    expect(() => parseCidr(text)).toThrow(message);
  });
});

describe("overlaps, contains, isPrivate", () => {
  it.each([
    ["10.0.0.0/16", "10.0.255.0/24", true],
    ["10.0.0.0/16", "10.1.0.0/16", false],
    ["10.0.0.0/8", "10.200.0.0/16", true],
    ["192.168.0.0/24", "192.168.1.0/24", false],
  ])("%s and %s overlap: %s", (a, b, expected) => {
    expect(overlaps(parseCidr(a), parseCidr(b))).toBe(expected);
    expect(overlaps(parseCidr(b), parseCidr(a))).toBe(expected);
  });

  it.each([
    ["10.20.0.0/16", true],
    ["172.31.0.0/16", true],
    ["172.32.0.0/16", false],
    ["192.168.10.0/24", true],
    ["100.64.0.0/16", false],
  ])("%s is private: %s", (text, expected) => {
    expect(isPrivate(parseCidr(text))).toBe(expected);
  });

  it("contains only what lies wholly inside", () => {
    expect(contains(parseCidr("10.0.0.0/16"), parseCidr("10.0.4.0/22"))).toBe(true);
    expect(contains(parseCidr("10.0.4.0/22"), parseCidr("10.0.0.0/16"))).toBe(false);
  });
});

describe("subdivide and allocate", () => {
  it("splits a /16 into four /18 blocks in order", () => {
    expect(subdivide(parseCidr("10.0.0.0/16"), 18).map(formatCidr)).toEqual([
      "10.0.0.0/18",
      "10.0.64.0/18",
      "10.0.128.0/18",
      "10.0.192.0/18",
    ]);
  });

  it("skips taken blocks", () => {
    const taken = ["10.0.0.0/16", "10.2.0.0/16"].map(parseCidr);
    expect(allocate(parseCidr("10.0.0.0/14"), 16, 2, taken).map(formatCidr)).toEqual([
      "10.1.0.0/16",
      "10.3.0.0/16",
    ]);
  });

  it("fails when the pool is exhausted", () => {
    expect(() => allocate(parseCidr("10.0.0.0/15"), 16, 3)).toThrow(
      "cannot allocate 3 /16 blocks from 10.0.0.0/15: only 2 free",
    );
  });

  it("finds the first overlapping pair", () => {
    const cidrs = ["10.0.0.0/16", "10.1.0.0/16", "10.1.128.0/17"].map(parseCidr);
    expect(findOverlap(cidrs)).toEqual([1, 2]);
    expect(findOverlap(cidrs.slice(0, 2))).toBeUndefined();
  });

  it("never hands out overlapping blocks, nor blocks overlapping what is taken", () => {
    const block = fc.integer({ min: 0, max: 255 }).map((i) => parseCidr(`10.${i}.0.0/16`));
    fc.assert(
      fc.property(
        fc.array(block, { maxLength: 40 }),
        fc.integer({ min: 1, max: 50 }),
        (taken, count) => {
          const got = allocate(parseCidr("10.0.0.0/8"), 16, count, taken);
          expect(got).toHaveLength(count);
          expect(findOverlap(got)).toBeUndefined();
          for (const g of got) {
            expect(taken.some((t) => overlaps(t, g))).toBe(false);
            expect(contains(parseCidr("10.0.0.0/8"), g)).toBe(true);
          }
        },
      ),
    );
  });
});

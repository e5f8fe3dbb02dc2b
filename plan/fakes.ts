/**
 * Realistic, deterministic values for what AWS would assign: ids, ARNs, DNS names. Derived from
 * a hash of the resource's identity so that two runs of the plan give the same documents.
 */
import { createHash } from "node:crypto";

export const ACCOUNT_ID = "123456789012";
export const PARTITION = "aws";

export function hex(seed: string, length: number): string {
  let out = "";
  for (let i = 0; out.length < length; i++) {
    out += createHash("sha256").update(`${seed}#${i}`).digest("hex");
  }
  return out.slice(0, length);
}

export function uuid(seed: string): string {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The physical name AWS autonaming would give: the logical name plus a random suffix. */
export function physicalName(name: string, seed: string): string {
  return `${name}-${hex(seed, 7)}`;
}

export function arn(
  service: string,
  region: string,
  resource: string,
  account = ACCOUNT_ID,
): string {
  return `arn:${PARTITION}:${service}:${region}:${account}:${resource}`;
}

/** Availability-zone names and ids of a region, as getAvailabilityZones returns them. */
export function availabilityZones(
  region: string,
  count = 3,
): { names: string[]; zoneIds: string[] } {
  const letters = "abcdef".slice(0, count).split("");
  const code = region.replace(/-(\w)\w*-(\d)$/, (_, dir: string, n: string) => `${dir}${n}`);
  return {
    names: letters.map((l) => `${region}${l}`),
    zoneIds: letters.map((_, i) => `${code.replace(/-/g, "").slice(0, 4)}-az${i + 1}`),
  };
}

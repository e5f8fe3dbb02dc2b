/** Validation of the fabric's arguments, in small pure functions called before anything is built. */
import { isAwsRegion, type AwsRegion } from "../../lib/regions";

export function validateRegions(homeRegion: string, regions: readonly string[]): void {
  const list = regions.join(", ");
  for (const r of [homeRegion, ...regions]) {
    if (!isAwsRegion(r))
      throw new Error(`regions: ${r} is not an AWS region (for example us-east-1)`);
  }
  if (regions.length < 2) {
    throw new Error(
      `regions must hold at least two regions for an active/active platform; got ${regions.length} (${list})`,
    );
  }
  const seen = new Set<string>();
  for (const r of regions) {
    if (seen.has(r)) throw new Error(`regions lists ${r} twice (${list})`);
    seen.add(r);
  }
  if (!regions.includes(homeRegion)) {
    throw new Error(`homeRegion ${homeRegion} is not one of regions (${list})`);
  }
}

export function validateServices(services: readonly string[]): void {
  const seen = new Set<string>();
  for (const s of services) {
    if (!/^[a-z][a-z0-9-]{0,30}[a-z0-9]$/.test(s)) {
      throw new Error(
        `services: "${s}" is not a service name (lower-case letters, digits and -, 2-32 characters)`,
      );
    }
    if (seen.has(s)) throw new Error(`services lists ${s} twice`);
    seen.add(s);
  }
}

/** The regions in the order given, typed, with the home region first. */
export function homeFirst(homeRegion: AwsRegion, regions: readonly AwsRegion[]): AwsRegion[] {
  return [homeRegion, ...regions.filter((r) => r !== homeRegion)];
}

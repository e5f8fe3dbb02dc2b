/**
 * IPv4 CIDR arithmetic for VPC plans: parsing, overlap, private ranges and an allocator that
 * hands out non-overlapping blocks. Pure: no Pulumi, no AWS.
 */
export interface Cidr {
  /** The network address as an unsigned 32-bit integer. */
  readonly base: number;
  readonly prefix: number;
}

const CIDR_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses `a.b.c.d/n`; throws when the text is not a CIDR or has host bits set. */
export function parseCidr(text: string): Cidr {
  const match = CIDR_PATTERN.exec(text);
  if (!match) {
    throw new Error(`"${text}" is not an IPv4 CIDR block (expected a.b.c.d/n)`);
  }
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) {
    throw new Error(`"${text}" is not an IPv4 CIDR block (octets 0-255, prefix 0-32)`);
  }
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  if (base % blockSize(prefix) !== 0) {
    throw new Error(
      `"${text}" has host bits set: the network address is ${formatCidr({ base: base - (base % blockSize(prefix)), prefix })}`,
    );
  }
  return { base, prefix };
}

export function formatCidr(cidr: Cidr): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(cidr.base / 2 ** shift) % 256);
  return `${octets.join(".")}/${cidr.prefix}`;
}

export function blockSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + blockSize(b.prefix) && b.base < a.base + blockSize(a.prefix);
}

/** True when `inner` lies wholly inside `outer`. */
export function contains(outer: Cidr, inner: Cidr): boolean {
  return (
    inner.prefix >= outer.prefix &&
    inner.base >= outer.base &&
    inner.base + blockSize(inner.prefix) <= outer.base + blockSize(outer.prefix)
  );
}

/** The RFC 1918 private ranges: a VPC block must sit inside one of them. */
export const PRIVATE_RANGES: readonly Cidr[] = [
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
].map(parseCidr);

export function isPrivate(cidr: Cidr): boolean {
  return PRIVATE_RANGES.some((range) => contains(range, cidr));
}

/** Splits `cidr` into consecutive blocks of `prefix`. */
export function subdivide(cidr: Cidr, prefix: number): Cidr[] {
  if (prefix < cidr.prefix || prefix > 32) {
    throw new Error(`cannot split ${formatCidr(cidr)} into /${prefix} blocks`);
  }
  const count = 2 ** (prefix - cidr.prefix);
  return Array.from({ length: count }, (_, i) => ({
    base: cidr.base + i * blockSize(prefix),
    prefix,
  }));
}

/**
 * Allocates `count` blocks of size `/prefix` from `pool`, skipping any block that overlaps one of
 * `taken`. Deterministic: the lowest free blocks are returned, in order.
 */
export function allocate(
  pool: Cidr,
  prefix: number,
  count: number,
  taken: readonly Cidr[] = [],
): Cidr[] {
  const result: Cidr[] = [];
  for (const candidate of subdivide(pool, prefix)) {
    if (result.length === count) break;
    if (!taken.some((t) => overlaps(t, candidate))) result.push(candidate);
  }
  if (result.length < count) {
    throw new Error(
      `cannot allocate ${count} /${prefix} blocks from ${formatCidr(pool)}: only ${result.length} free`,
    );
  }
  return result;
}

/** The first pair of blocks in `cidrs` that overlap, by index, or undefined. */
export function findOverlap(cidrs: readonly Cidr[]): [number, number] | undefined {
  for (let i = 0; i < cidrs.length; i++) {
    for (let j = i + 1; j < cidrs.length; j++) {
      if (overlaps(cidrs[i], cidrs[j])) return [i, j];
    }
  }
  return undefined;
}

import { createHmac } from "node:crypto";
import { compressIPv6, expandIPv6 } from "../calico/etcd/keys.js";

/**
 * Keyed, prefix-preserving IP rewriting: output bit i is input bit i flipped by a keyed function of
 * bits 0..i-1, so two addresses share exactly as long a prefix after as before. CIDR containment
 * and prefix lengths are kept.
 *
 * Only the leading bits are rewritten, down to the largest IPAM block (at most a /24 in IPv4, a /64
 * in IPv6): below that an address's ordinal in its block, which allocations and handles index,
 * stays. No bit that still decides whether an address is private, link-local, loopback, multicast
 * or ULA is flipped, so a 10.x pool stays a 10.x pool and validation sees the same kind of range.
 */
export const ANON_BITS = { 4: 24, 6: 64 } as const;

function bitsOf(address: string, version: 4 | 6): string {
  if (version === 4)
    return address
      .split(".")
      .map((o) => Number(o).toString(2).padStart(8, "0"))
      .join("");
  return expandIPv6(address)
    .map((w) => w.toString(2).padStart(16, "0"))
    .join("");
}

const KEPT_RANGES: Record<4 | 6, string[]> = {
  4: [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "224.0.0.0/4",
    "240.0.0.0/4",
  ].map((c) => bitsOf(c.split("/")[0] ?? "", 4).slice(0, Number(c.split("/")[1]))),
  6: ["::/64", "fc00::/7", "fe80::/10", "ff00::/8", "2001:db8::/32"].map((c) =>
    bitsOf(c.split("/")[0] ?? "", 6).slice(0, Number(c.split("/")[1])),
  ),
};

export class IpRewriter {
  private readonly flips = new Map<string, number>();
  /** Bits rewritten per family: ANON_BITS, or fewer when the data has larger IPAM blocks. */
  private readonly anonBits: Record<4 | 6, number>;
  constructor(
    private readonly key: string,
    largestBlock: { 4?: number; 6?: number } = {},
  ) {
    this.anonBits = {
      4: Math.min(ANON_BITS[4], largestBlock[4] ?? 32),
      6: Math.min(ANON_BITS[6], largestBlock[6] ?? 128),
    };
  }

  private flip(version: 4 | 6, prefix: string): number {
    // still inside the decision of a kept range: this bit says which range, so it stays
    if (KEPT_RANGES[version].some((r) => r.length > prefix.length && r.startsWith(prefix))) return 0;
    const id = `${version}:${prefix}`;
    let bit = this.flips.get(id);
    if (bit === undefined) {
      bit = (createHmac("sha256", this.key).update(`ip/${id}`).digest()[0] ?? 0) & 1;
      this.flips.set(id, bit);
    }
    return bit;
  }

  /** Rewrites the leading bits of a bit string; `prefixLength` zeroes what a CIDR's mask drops. */
  private rewriteBits(version: 4 | 6, bits: number[], prefixLength?: number): number[] {
    const n = this.anonBits[version];
    const out = [...bits];
    let prefix = "";
    for (let i = 0; i < n; i++) {
      out[i] = (bits[i] ?? 0) ^ this.flip(version, prefix);
      prefix += String(bits[i]);
    }
    if (prefixLength !== undefined) for (let i = prefixLength; i < n; i++) out[i] = 0;
    return out;
  }

  ipv4(address: string, prefixLength?: number): string {
    const octets = address.split(".").map(Number);
    const bits = octets.flatMap((o) => Array.from({ length: 8 }, (_, i) => (o >> (7 - i)) & 1));
    const out = this.rewriteBits(4, bits, prefixLength);
    return Array.from({ length: 4 }, (_, o) =>
      out.slice(o * 8, o * 8 + 8).reduce((acc, b) => (acc << 1) | b, 0),
    ).join(".");
  }

  ipv6(address: string, prefixLength?: number): string {
    const words = expandIPv6(address);
    const bits = words.flatMap((w) => Array.from({ length: 16 }, (_, i) => (w >> (15 - i)) & 1));
    const out = this.rewriteBits(6, bits, prefixLength);
    return compressIPv6(
      Array.from({ length: 8 }, (_, w) =>
        out.slice(w * 16, w * 16 + 16).reduce((acc, b) => (acc << 1) | b, 0),
      ),
    );
  }
}

const V4 = String.raw`(?<![\d.])(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}(?![\d])`;
const V6 = String.raw`(?<![0-9A-Fa-f:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![0-9A-Fa-f:])`;
/** An address, optionally followed by /N (a CIDR). The dash form of IPAM keys (10.0.0.0-26) is covered: its prefix is never below a /16. */
export const IP_PATTERN = new RegExp(String.raw`(${V4}|${V6})(?:/(\d{1,3}))?`, "g");

/** The rewrite of one IP_PATTERN match, or undefined when it is not an address after all (e.g. 10:00:00). */
export function rewriteIpMatch(
  ip: IpRewriter,
  address: string,
  prefix: string | undefined,
): string | undefined {
  const length = prefix === undefined ? undefined : Number(prefix);
  if (address.includes(":")) {
    try {
      if (length !== undefined && length > 128) return undefined;
      const out = ip.ipv6(address, length);
      return length === undefined ? out : `${out}/${length}`;
    } catch {
      return undefined;
    }
  }
  if (length !== undefined && length > 32) return undefined;
  const out = ip.ipv4(address, length);
  return length === undefined ? out : `${out}/${length}`;
}

import { IPAM_PREFIX, kindByPlural, RESOURCES_PREFIX, requireKind } from "../kinds.js";

/**
 * The etcdv3 backend's key layout (libcalico-go `model.KeyToDefaultPath`), both directions. Pure.
 */

export function resourceKey(kind: string, name: string, namespace?: string): string {
  const k = requireKind(kind, "etcd key");
  if (k.scope === "Namespaced") {
    if (!namespace) throw new Error(`etcd key: ${kind} ${name} needs a namespace`);
    return `${RESOURCES_PREFIX}${k.plural}/${namespace}/${name}`;
  }
  return `${RESOURCES_PREFIX}${k.plural}/${name}`;
}

export interface ParsedResourceKey {
  kind: string;
  plural: string;
  name: string;
  namespace?: string;
}

export function parseResourceKey(key: string): ParsedResourceKey | undefined {
  if (!key.startsWith(RESOURCES_PREFIX)) return undefined;
  const parts = key.slice(RESOURCES_PREFIX.length).split("/");
  const plural = parts[0] ?? "";
  const k = kindByPlural(plural);
  if (!k) return undefined;
  if (parts.length === 2 && k.scope === "Cluster") return { kind: k.kind, plural, name: parts[1] ?? "" };
  if (parts.length === 3 && k.scope === "Namespaced")
    return { kind: k.kind, plural, namespace: parts[1] ?? "", name: parts[2] ?? "" };
  return undefined;
}

/** The canonical (masked) form of a CIDR, as Go's netip.Prefix.String prints it. */
export function canonicalCidr(cidr: string): string {
  const slash = cidr.indexOf("/");
  if (slash < 0) throw new Error(`CIDR "${cidr}" has no prefix length`);
  const address = cidr.slice(0, slash);
  const bits = Number(cidr.slice(slash + 1));
  if (address.includes(":")) {
    const words = expandIPv6(address);
    if (!Number.isInteger(bits) || bits < 0 || bits > 128) throw new Error(`CIDR "${cidr}": bad prefix`);
    const masked = words.map((w, i) => {
      const keep = Math.max(0, Math.min(16, bits - i * 16));
      return keep === 0 ? 0 : w & (0xffff << (16 - keep)) & 0xffff;
    });
    return `${compressIPv6(masked)}/${bits}`;
  }
  const octets = address.split(".").map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255))
    throw new Error(`CIDR "${cidr}": bad IPv4 address`);
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) throw new Error(`CIDR "${cidr}": bad prefix`);
  const masked = octets.map((o, i) => {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    return keep === 0 ? 0 : o & (0xff << (8 - keep)) & 0xff;
  });
  return `${masked.join(".")}/${bits}`;
}

export function ipVersionOf(cidr: string): 4 | 6 {
  return cidr.includes(":") ? 6 : 4;
}

export function expandIPv6(address: string): number[] {
  const [head = "", tail] = address.split("::");
  const parse = (s: string) => (s === "" ? [] : s.split(":").map((h) => Number.parseInt(h, 16)));
  const a = parse(head);
  const b = tail === undefined ? [] : parse(tail);
  const fill = tail === undefined ? 0 : 8 - a.length - b.length;
  const words = [...a, ...new Array<number>(fill).fill(0), ...b];
  if (words.length !== 8 || words.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffff))
    throw new Error(`bad IPv6 address "${address}"`);
  return words;
}

/** RFC 5952 text form (what Go prints): longest run of ≥2 zero words becomes "::". */
export function compressIPv6(words: number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestLen < 2) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/** Only the first "/" is replaced, as upstream does. */
function cidrSegment(cidr: string): string {
  return canonicalCidr(cidr).replace("/", "-");
}
function cidrFromSegment(segment: string): string {
  const dash = segment.lastIndexOf("-");
  return `${segment.slice(0, dash)}/${segment.slice(dash + 1)}`;
}

export function blockKey(cidr: string): string {
  return `${IPAM_PREFIX}assignment/ipv${ipVersionOf(cidr)}/block/${cidrSegment(cidr)}`;
}

export function affinityKey(host: string, cidr: string, type = "host"): string {
  return `${IPAM_PREFIX}${type}/${host}/ipv${ipVersionOf(cidr)}/block/${cidrSegment(cidr)}`;
}

export function handleKey(id: string): string {
  return `${IPAM_PREFIX}handle/${id}`;
}

export const IPAM_CONFIG_KEY = `${IPAM_PREFIX}config`;

const BLOCK_RE = /^\/?calico\/ipam\/v2\/assignment\/ipv.\/block\/([^/]+)$/;
const AFFINITY_RE = /^\/?calico\/ipam\/v2\/(@|host|virtual)\/([^/]+)\/ipv.\/block\/([^/]+)$/;
const HANDLE_RE = /^\/?calico\/ipam\/v2\/handle\/([^/]+)$/;

export function parseBlockKey(key: string): { cidr: string } | undefined {
  const m = BLOCK_RE.exec(key);
  return m?.[1] ? { cidr: cidrFromSegment(m[1]) } : undefined;
}

export function parseAffinityKey(key: string): { type: string; host: string; cidr: string } | undefined {
  const m = AFFINITY_RE.exec(key);
  if (!m?.[1] || !m[2] || !m[3]) return undefined;
  return { type: m[1] === "@" ? "host" : m[1], host: m[2], cidr: cidrFromSegment(m[3]) };
}

export function parseHandleKey(key: string): { id: string } | undefined {
  const m = HANDLE_RE.exec(key);
  return m?.[1] ? { id: m[1] } : undefined;
}

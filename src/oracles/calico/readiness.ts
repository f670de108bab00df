import type { KubeCalicoObject, KubeCalicoState } from "./read.js";

/**
 * Start-up readiness of the Kubernetes datastore as calico-node would see it on each node, judged
 * from the target alone: the datastore is marked ready, every node's IPAM blocks and its block
 * affinities agree, and every tunnel address on a Node resolves to an allocation in a block whose
 * handle is that node's tunnel handle. Where one fails, calico-node waits (not ready) or allocates
 * a new tunnel address (the old one leaks), which is what upstream case C-01 looked like.
 */

/** Node annotation → the tunnel handle prefix calico-node expects the address's allocation to carry. */
export const TUNNEL_ANNOTATIONS: Readonly<Record<string, string>> = {
  "projectcalico.org/IPv4IPIPTunnelAddr": "ipip-tunnel-addr-",
  "projectcalico.org/IPv4VXLANTunnelAddr": "vxlan-tunnel-addr-",
  "projectcalico.org/IPv6VXLANTunnelAddr": "vxlan-v6-tunnel-addr-",
  "projectcalico.org/IPv4WireguardInterfaceAddr": "wireguard-tunnel-addr-",
  "projectcalico.org/IPv6WireguardInterfaceAddr": "wireguard-v6-tunnel-addr-",
};

export interface ReadinessFinding {
  /** `ClusterInformation default`, `Node node1`. */
  object: string;
  problem: string;
}

export interface ReadinessReport {
  findings: ReadinessFinding[];
  /** Per Kubernetes Node: blocks affine to it, and tunnel addresses resolved. */
  nodes: { name: string; blocks: number; tunnels: number }[];
}

type Spec = Record<string, unknown>;

function specOf(o: KubeCalicoObject | undefined): Spec {
  return (o?.spec ?? {}) as Spec;
}

/** An IPv4 or IPv6 address as a number, or undefined when it is neither. */
export function ipToBigInt(ip: string): bigint | undefined {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(ip)) {
    const parts = ip.split(".").map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return parts.reduce((acc, p) => (acc << 8n) + BigInt(p), 0n);
  }
  if (!ip.includes(":")) return undefined;
  const [head = "", tail] = ip.split("::");
  const h = head === "" ? [] : head.split(":");
  const t = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) + BigInt(Number.parseInt(g, 16)), 0n);
}

/** The ordinal of `ip` inside `cidr` (0 = the block's first address), or undefined when outside. */
export function ordinalIn(cidr: string, ip: string): number | undefined {
  const [base = "", bits = ""] = cidr.split("/");
  const start = ipToBigInt(base);
  const addr = ipToBigInt(ip);
  if (start === undefined || addr === undefined) return undefined;
  if (base.includes(":") !== ip.includes(":")) return undefined;
  const width = base.includes(":") ? 128n : 32n;
  const size = 1n << (width - BigInt(Number(bits)));
  const first = (start / size) * size;
  if (addr < first || addr >= first + size) return undefined;
  return Number(addr - first);
}

export function checkReadiness(state: KubeCalicoState): ReadinessReport {
  const findings: ReadinessFinding[] = [];
  const ofKind = (kind: string) => state.objects.filter((o) => o.kind === kind);
  const info = ofKind("ClusterInformation").find((o) => o.name === "default");
  if (!info)
    findings.push({ object: "ClusterInformation default", problem: "missing: calico-node waits for it" });
  else if (specOf(info).datastoreReady !== true)
    findings.push({
      object: "ClusterInformation default",
      problem: `datastoreReady is ${JSON.stringify(specOf(info).datastoreReady)}, not true: calico-node waits (the datastore is still locked)`,
    });

  const blocks = ofKind("IPAMBlock");
  const affinities = ofKind("BlockAffinity").filter((a) => (specOf(a).type ?? "host") === "host");
  const handles = new Set(ofKind("IPAMHandle").map((h) => String(specOf(h).handleID)));
  const nodes: ReadinessReport["nodes"] = [];
  for (const node of state.nodes) {
    const label = `Node ${node.name}`;
    const own = blocks.filter((b) => specOf(b).affinity === `host:${node.name}`);
    const mine = affinities.filter((a) => specOf(a).node === node.name);
    for (const b of own) {
      const cidr = String(specOf(b).cidr);
      const a = mine.find((x) => specOf(x).cidr === cidr);
      if (!a)
        findings.push({
          object: label,
          problem: `IPAMBlock ${cidr} is affine to it, but it has no BlockAffinity for ${cidr}`,
        });
      else if (specOf(a).state !== "confirmed")
        findings.push({
          object: label,
          problem: `BlockAffinity ${cidr} is ${String(specOf(a).state)}, not confirmed`,
        });
      else if (String(specOf(a).deleted ?? "false") !== "false")
        findings.push({ object: label, problem: `BlockAffinity ${cidr} is marked deleted` });
    }
    for (const a of mine) {
      const cidr = String(specOf(a).cidr);
      if (!own.some((b) => specOf(b).cidr === cidr))
        findings.push({
          object: label,
          problem: `BlockAffinity ${cidr} names it, but no IPAMBlock ${cidr} is affine to host:${node.name}`,
        });
    }
    let tunnels = 0;
    for (const [annotation, prefix] of Object.entries(TUNNEL_ANNOTATIONS)) {
      const ip = node.annotations[annotation];
      if (!ip) continue;
      const want = `${prefix}${node.name}`;
      const problem = resolveTunnel(blocks, handles, ip, want);
      if (problem) findings.push({ object: label, problem: `${annotation} ${ip}: ${problem}` });
      else tunnels++;
    }
    nodes.push({ name: node.name, blocks: own.length, tunnels });
  }
  return { findings, nodes };
}

/** Why the tunnel address `ip` does not resolve to an allocation with handle `want`, or undefined. */
function resolveTunnel(
  blocks: KubeCalicoObject[],
  handles: Set<string>,
  ip: string,
  want: string,
): string | undefined {
  for (const b of blocks) {
    const s = specOf(b);
    const ordinal = ordinalIn(String(s.cidr), ip);
    if (ordinal === undefined) continue;
    const attrIndex = ((s.allocations ?? []) as (number | null)[])[ordinal];
    if (attrIndex === null || attrIndex === undefined)
      return `not allocated in IPAMBlock ${String(s.cidr)}: calico-node would allocate another tunnel address`;
    const handle = ((s.attributes ?? []) as { handle_id?: string }[])[attrIndex]?.handle_id;
    if (handle !== want)
      return `allocated in IPAMBlock ${String(s.cidr)} to handle ${handle ?? "(none)"}, not ${want}: calico-node would not recognise it as its tunnel address`;
    if (!handles.has(want)) return `handle ${want} has no IPAMHandle`;
    return undefined;
  }
  return "in no IPAMBlock: calico-node would allocate another tunnel address";
}

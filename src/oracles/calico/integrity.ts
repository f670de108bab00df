import { PER_NODE_CONFIG_KINDS, TIERED_POLICY_KINDS } from "./facts.js";
import type { KubeCalicoObject, KubeCalicoState } from "./read.js";

/**
 * Referential integrity of the migrated Kubernetes datastore, judged from the target alone: every
 * reference a Calico object holds must resolve there. A migrator that forgets a rename (an affinity
 * that keeps its etcd node name, a handle id left behind) leaves a reference to nothing.
 */

export interface Dangling {
  object: string;
  problem: string;
}

type Spec = Record<string, unknown>;

interface Attribute {
  handle_id?: string;
  secondary?: Record<string, string>;
  alternateOwnerAttrs?: Record<string, string>;
}

function label(o: KubeCalicoObject): string {
  return `${o.kind} ${o.namespace ? `${o.namespace}/` : ""}${o.name}`;
}

function specOf(o: KubeCalicoObject): Spec {
  return (o.spec ?? {}) as Spec;
}

export function checkIntegrity(state: KubeCalicoState): Dangling[] {
  const out: Dangling[] = [];
  const nodes = new Set(state.nodes.map((n) => n.name));
  const ofKind = (kind: string) => state.objects.filter((o) => o.kind === kind);
  const handles = new Map(ofKind("IPAMHandle").map((h) => [String(specOf(h).handleID), h]));
  const tiers = new Set(ofKind("Tier").map((t) => t.name));
  const affinities = ofKind("BlockAffinity");
  const node = (o: KubeCalicoObject, what: string, name: unknown) => {
    if (typeof name === "string" && !nodes.has(name))
      out.push({ object: label(o), problem: `${what} names Kubernetes Node ${name}, which does not exist` });
  };

  for (const a of affinities) {
    const s = specOf(a);
    if (s.type === "host" || s.type === undefined) node(a, "host affinity", s.node);
    else if (s.type === "virtual") {
      const block = ofKind("IPAMBlock").find((b) => specOf(b).cidr === s.cidr);
      if (specOf(block ?? { kind: "", name: "" }).affinity !== `virtual:${s.node}`)
        out.push({
          object: label(a),
          problem: `virtual affinity ${s.node} ${s.cidr}: no IPAMBlock ${s.cidr} with affinity virtual:${s.node}`,
        });
    }
  }

  const counted = new Map<string, Map<string, number>>();
  for (const b of ofKind("IPAMBlock")) {
    const s = specOf(b);
    const cidr = String(s.cidr);
    const affinity = typeof s.affinity === "string" ? s.affinity : undefined;
    if (affinity?.startsWith("host:")) node(b, `affinity ${affinity}`, affinity.slice("host:".length));
    else if (affinity?.startsWith("virtual:")) {
      const vm = affinity.slice("virtual:".length);
      if (
        !affinities.some(
          (a) => specOf(a).type === "virtual" && specOf(a).node === vm && specOf(a).cidr === cidr,
        )
      )
        out.push({
          object: label(b),
          problem: `affinity ${affinity} has no virtual BlockAffinity for ${cidr}`,
        });
    } else if (affinity !== undefined)
      out.push({ object: label(b), problem: `affinity "${affinity}" is neither host: nor virtual:` });
    const attributes = (s.attributes ?? []) as Attribute[];
    attributes.forEach((attr, i) => {
      if (attr.handle_id !== undefined && !handles.has(attr.handle_id))
        out.push({
          object: label(b),
          problem: `attribute ${i} handle_id ${attr.handle_id} has no IPAMHandle`,
        });
      node(b, `attribute ${i} secondary.node`, attr.secondary?.node);
      node(b, `attribute ${i} alternateOwnerAttrs.node`, attr.alternateOwnerAttrs?.node);
    });
    for (const ordinal of (s.allocations ?? []) as (number | null)[]) {
      if (ordinal === null) continue;
      const attr = attributes[ordinal];
      if (!attr) {
        out.push({
          object: label(b),
          problem: `an allocation points at attribute ${ordinal}, which does not exist`,
        });
        continue;
      }
      if (attr.handle_id === undefined) continue;
      const perBlock = counted.get(attr.handle_id) ?? new Map<string, number>();
      perBlock.set(cidr, (perBlock.get(cidr) ?? 0) + 1);
      counted.set(attr.handle_id, perBlock);
    }
  }

  for (const [id, h] of handles) {
    const claimed = (specOf(h).block ?? {}) as Record<string, number>;
    const actual = counted.get(id) ?? new Map<string, number>();
    for (const cidr of new Set([...Object.keys(claimed), ...actual.keys()])) {
      const want = claimed[cidr] ?? 0;
      const have = actual.get(cidr) ?? 0;
      if (want !== have)
        out.push({
          object: label(h),
          problem: `handle ${id} claims ${want} address(es) in ${cidr}; the block allocates ${have} to it`,
        });
    }
  }

  for (const kind of PER_NODE_CONFIG_KINDS)
    for (const c of ofKind(kind))
      if (c.name.startsWith("node.")) node(c, "per-node configuration", c.name.slice("node.".length));

  for (const kind of TIERED_POLICY_KINDS)
    for (const p of ofKind(kind)) {
      const tier =
        typeof specOf(p).tier === "string" && specOf(p).tier !== "" ? String(specOf(p).tier) : "default";
      if (!tiers.has(tier)) out.push({ object: label(p), problem: `tier ${tier} does not exist` });
    }
  return out;
}

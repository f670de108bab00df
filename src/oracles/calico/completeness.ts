import {
  EXCLUSIONS,
  type Exclusion,
  PER_NODE_CONFIG_KINDS,
  TUNNEL_HANDLE_PREFIXES,
  V3_PLURALS,
} from "./facts.js";
import type { KubeCalicoState, RawEntry } from "./read.js";

/**
 * Completeness by raw scan: every source key under /calico/resources/v3/projectcalico.org/ and
 * /calico/ipam/v2/ must have arrived in Kubernetes, or be on the exclusion list (facts.ts). Resources
 * are found by kind, namespace and name (with node renames applied); IPAM objects by what their spec
 * says (cidr, node and type; handle id), not by the name the migrator chose for the CR.
 */

export interface Finding {
  key: string;
  problem: string;
}

export interface CompletenessResult {
  migrated: string[];
  excluded: { key: string; reason: string }[];
  missing: Finding[];
}

const RESOURCE_PREFIX = "/calico/resources/v3/projectcalico.org/";
const IPAM_PREFIX = "/calico/ipam/v2/";

/** etcd node name → Kubernetes node name, from each Node's last `k8s` orchRef (as the guide says). */
export function nodeRenames(entries: RawEntry[]): Map<string, string> {
  const renames = new Map<string, string>();
  for (const e of entries) {
    if (!e.key.startsWith(`${RESOURCE_PREFIX}nodes/`)) continue;
    const node = JSON.parse(e.value) as {
      metadata?: { name?: string };
      spec?: { orchRefs?: { orchestrator?: string; nodeName?: string }[] };
    };
    const k8s = (node.spec?.orchRefs ?? []).filter((r) => r.orchestrator === "k8s").at(-1)?.nodeName;
    const name = node.metadata?.name ?? e.key.slice(`${RESOURCE_PREFIX}nodes/`.length);
    if (k8s) renames.set(name, k8s);
  }
  return renames;
}

function excludedBy(kind: string, name: string): Exclusion | undefined {
  return EXCLUSIONS.find(
    (x) => x.kind === kind && (x.namePrefix === undefined || name.startsWith(x.namePrefix)),
  );
}

/** `10.65.79.0-26` (the key form) → `10.65.79.0/26`. */
function cidrOfKey(segment: string): string {
  const dash = segment.lastIndexOf("-");
  return `${segment.slice(0, dash)}/${segment.slice(dash + 1)}`;
}

function sameCidr(a: unknown, b: string): boolean {
  return typeof a === "string" && a.toLowerCase() === b.toLowerCase();
}

export function renameHandle(id: string, renames: Map<string, string>): string {
  for (const prefix of TUNNEL_HANDLE_PREFIXES) {
    const renamed = id.startsWith(prefix) ? renames.get(id.slice(prefix.length)) : undefined;
    if (renamed) return `${prefix}${renamed}`;
  }
  return id;
}

export function checkCompleteness(source: RawEntry[], target: KubeCalicoState): CompletenessResult {
  const renames = nodeRenames(source);
  const result: CompletenessResult = { migrated: [], excluded: [], missing: [] };
  const spec = (o: { spec?: unknown }) => (o.spec ?? {}) as Record<string, unknown>;
  const has = (kind: string, name: string, namespace?: string) =>
    target.objects.some((o) => o.kind === kind && o.name === name && o.namespace === namespace);
  const verdict = (key: string, found: boolean, problem: string) => {
    if (found) result.migrated.push(key);
    else result.missing.push({ key, problem });
  };

  for (const { key } of source) {
    if (key.startsWith(RESOURCE_PREFIX)) {
      const [plural = "", ...rest] = key.slice(RESOURCE_PREFIX.length).split("/");
      const facts = V3_PLURALS[plural];
      if (!facts) {
        result.missing.push({
          key,
          problem: `unknown resource type "${plural}": neither migrated nor excluded`,
        });
        continue;
      }
      const namespace = facts.scope === "Namespaced" ? rest[0] : undefined;
      const name = facts.scope === "Namespaced" ? rest.slice(1).join("/") : rest.join("/");
      const exclusion = excludedBy(facts.kind, name);
      if (exclusion) {
        result.excluded.push({ key, reason: exclusion.reason });
        continue;
      }
      if (facts.kind === "Node") {
        const k8s = renames.get(name);
        const node = k8s ? target.nodes.find((n) => n.name === k8s) : undefined;
        const carries = Object.keys(node?.annotations ?? {}).some((a) => a.startsWith("projectcalico.org/"));
        verdict(
          key,
          carries,
          k8s
            ? `Kubernetes Node ${k8s} ${node ? "carries no projectcalico.org annotation" : "does not exist"}`
            : "no k8s orchRef: no Kubernetes Node to land on",
        );
        continue;
      }
      let targetName = name;
      if (PER_NODE_CONFIG_KINDS.includes(facts.kind) && name.startsWith("node.")) {
        const k8s = renames.get(name.slice("node.".length));
        if (k8s) targetName = `node.${k8s}`;
      }
      verdict(
        key,
        has(facts.kind, targetName, namespace),
        `no ${facts.kind} ${namespace ? `${namespace}/` : ""}${targetName} in Kubernetes`,
      );
      continue;
    }
    if (!key.startsWith(IPAM_PREFIX)) continue;
    const parts = key.slice(IPAM_PREFIX.length).split("/");
    if (parts[0] === "config" && parts.length === 1) {
      verdict(key, has("IPAMConfig", "default"), "no IPAMConfig default in Kubernetes");
    } else if (parts[0] === "assignment" && parts.length === 4 && parts[2] === "block") {
      const cidr = cidrOfKey(parts[3] ?? "");
      verdict(
        key,
        target.objects.some((o) => o.kind === "IPAMBlock" && sameCidr(spec(o).cidr, cidr)),
        `no IPAMBlock with cidr ${cidr} in Kubernetes`,
      );
    } else if (
      (parts[0] === "host" || parts[0] === "virtual") &&
      parts.length === 5 &&
      parts[3] === "block"
    ) {
      const type = parts[0];
      const host = parts[1] ?? "";
      const node = renames.get(host) ?? host;
      const cidr = cidrOfKey(parts[4] ?? "");
      verdict(
        key,
        target.objects.some(
          (o) =>
            o.kind === "BlockAffinity" &&
            spec(o).node === node &&
            spec(o).type === type &&
            sameCidr(spec(o).cidr, cidr),
        ),
        `no BlockAffinity ${type} ${node} ${cidr} in Kubernetes`,
      );
    } else if (parts[0] === "handle" && parts.length === 2) {
      const id = renameHandle(parts[1] ?? "", renames);
      verdict(
        key,
        target.objects.some((o) => o.kind === "IPAMHandle" && spec(o).handleID === id),
        `no IPAMHandle with handleID ${id} in Kubernetes`,
      );
    } else {
      result.missing.push({ key, problem: "an IPAM key of no known shape: neither migrated nor excluded" });
    }
  }
  return result;
}

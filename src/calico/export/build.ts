import { StoreshiftError } from "../../common/errors.js";
import { orderMetadata } from "../etcd/codec.js";
import { affinityKey, handleKey } from "../etcd/keys.js";
import { EXPORTED_KINDS, KNP_MIRROR_PREFIX, V3_API_VERSION } from "../kinds.js";
import type {
  AllocationBlock,
  CalicoEtcdData,
  IpamEntry,
  IpamExport,
  JsonObject,
  V3Object,
} from "../model.js";
import { renderExportFile } from "./format.js";

/**
 * calicoctl's export, as a pure function of what was read from etcd. `mode` chooses, per quirk,
 * between copying upstream ("upstream") and storeshift's fix (the default): see docs/calico-migrate.md.
 */
export type QuirkMode = "storeshift" | "upstream";

export interface ExportOptions {
  mode?: QuirkMode;
}

/** An object that is in etcd but deliberately not in the export, and why. */
export interface SkippedObject {
  kind: string;
  name: string;
  namespace?: string;
  rule: string;
  reason: string;
}

export interface ExportPlan {
  /** The 17 lists in export order (items already cleaned and renamed). */
  lists: { kind: string; items: V3Object[] }[];
  clusterInformation: V3Object;
  ipam: IpamExport;
  /** etcd node name → Kubernetes node name, from the nodes' `k8s` orchRefs. */
  nodeMap: Record<string, string>;
  skipped: SkippedObject[];
  revision: string;
}

const UPSTREAM_TUNNEL_PREFIXES = ["ipip-tunnel-addr-", "vxlan-tunnel-addr-", "wireguard-tunnel-addr-"];
/** The IPv6 tunnel handles calico-node also names after its node; upstream forgets to rename them. */
const V6_TUNNEL_PREFIXES = ["vxlan-v6-tunnel-addr-", "wireguard-v6-tunnel-addr-"];
const IPTABLES_ACTION_FIELDS = [
  "defaultEndpointToHostAction",
  "iptablesFilterAllowAction",
  "iptablesMangleAllowAction",
  "iptablesFilterDenyAction",
];
/** Namespaced kinds calicoctl lists with --all-namespaces; the others only from "default". */
const UPSTREAM_ALL_NAMESPACES = new Set(["NetworkPolicy", "NetworkSet"]);

export function buildExport(data: CalicoEtcdData, options: ExportOptions = {}): ExportPlan {
  const mode = options.mode ?? "storeshift";
  const skipped: SkippedObject[] = [];
  const nodeMap: Record<string, string> = {};
  const byKind = new Map<string, V3Object[]>();
  for (const obj of data.resources) {
    const list = byKind.get(obj.kind) ?? [];
    list.push(obj);
    byKind.set(obj.kind, list);
  }
  const exportedKinds = new Set(EXPORTED_KINDS.map((k) => k.kind));
  for (const obj of data.resources) {
    if (!exportedKinds.has(obj.kind) && obj.kind !== "ClusterInformation")
      skipped.push({ ...ident(obj), rule: "calico/kind-not-exported", reason: notExportedReason(obj.kind) });
  }

  const lists: ExportPlan["lists"] = [];
  for (const k of EXPORTED_KINDS) {
    let items = (byKind.get(k.kind) ?? []).map(cleanForExport);
    if (k.scope === "Namespaced" && mode === "upstream" && !UPSTREAM_ALL_NAMESPACES.has(k.kind)) {
      items = items.filter((o) => {
        if (o.metadata.namespace === "default") return true;
        skipped.push({
          ...ident(o),
          rule: "calico/upstream-staged-default-namespace-only",
          reason: `calicoctl lists ${k.plural} without --all-namespaces, so only namespace "default" is exported`,
        });
        return false;
      });
    }
    if (k.kind === "NetworkPolicy") {
      items = items.filter((o) => {
        if (!o.metadata.name.startsWith(KNP_MIRROR_PREFIX)) return true;
        skipped.push({
          ...ident(o),
          rule: "calico/knp-mirror",
          reason:
            "a Kubernetes NetworkPolicy mirrored into etcd; the Kubernetes datastore reads the original",
        });
        return false;
      });
    }
    const sources = items.map((o) => o.metadata.name);
    if (k.kind === "Node") items = items.map((n) => renameNode(n, nodeMap));
    if (k.kind === "FelixConfiguration" || k.kind === "BGPConfiguration")
      items = items.map((o) => renamePerNodeConfig(o, nodeMap));
    if (mode === "storeshift") refuseCollisions(k.kind, sources, items);
    if (k.kind === "FelixConfiguration") items = items.map(titleCaseIptablesActions);
    if (k.kind === "Tier") items.sort(byTierOrder);
    lists.push({ kind: k.kind, items });
  }

  const clusterInformation = data.resources.find(
    (o) => o.kind === "ClusterInformation" && o.metadata.name === "default",
  );
  if (!clusterInformation)
    throw new StoreshiftError("export: ClusterInformation default not found in etcd (run lock first)");

  return {
    lists,
    clusterInformation: { ...clusterInformation, metadata: orderMetadata(clusterInformation.metadata) },
    ipam: buildIpamSection(data, nodeMap, mode, skipped),
    nodeMap,
    skipped,
    revision: data.revision,
  };
}

export function exportText(plan: ExportPlan): string {
  return renderExportFile(plan);
}

function ident(o: V3Object): Pick<SkippedObject, "kind" | "name" | "namespace"> {
  return o.metadata.namespace
    ? { kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace }
    : { kind: o.kind, name: o.metadata.name };
}

function notExportedReason(kind: string): string {
  switch (kind) {
    case "WorkloadEndpoint":
      return "regenerated from Pods in the Kubernetes datastore";
    case "Profile":
      return "generated from Namespaces and ServiceAccounts in the Kubernetes datastore";
    default:
      return `calicoctl does not export ${kind}`;
  }
}

/** Export's metadata cleaning: no uid, version, creation or deletion stamps; the rest stays. */
export function cleanForExport(obj: V3Object): V3Object {
  const meta = { ...obj.metadata };
  delete meta.uid;
  delete meta.resourceVersion;
  delete meta.creationTimestamp;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  return { ...obj, apiVersion: V3_API_VERSION, metadata: meta };
}

function renameNode(node: V3Object, nodeMap: Record<string, string>): V3Object {
  const refs = (node.spec?.orchRefs ?? []) as { orchestrator?: string; nodeName?: string }[];
  let k8sName = "";
  // the last k8s reference wins, as upstream
  for (const ref of refs) if (ref.orchestrator === "k8s") k8sName = ref.nodeName ?? "";
  if (!k8sName)
    throw new StoreshiftError(
      `export: node ${node.metadata.name} missing a 'k8s' orchestrator reference. Unable to export data unless every node has a 'k8s' orchestrator reference`,
    );
  nodeMap[node.metadata.name] = k8sName;
  return { ...node, metadata: { ...node.metadata, name: k8sName } };
}

/**
 * One-to-one: the renames (etcd node name → Kubernetes node name) must not land two source objects on
 * one target name. Upstream lets the last one silently overwrite the others; storeshift refuses while
 * nothing has been written yet, naming every source (`--upstream-quirks` keeps upstream's behaviour).
 */
function refuseCollisions(kind: string, sources: string[], renamed: V3Object[]): void {
  const byTarget = new Map<string, string[]>();
  renamed.forEach((o, i) => {
    const target = `${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;
    const from = `${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${sources[i]}`;
    byTarget.set(target, [...(byTarget.get(target) ?? []), from]);
  });
  const collisions = [...byTarget].filter(([, from]) => from.length > 1);
  if (collisions.length === 0) return;
  const what = collisions
    .map(
      ([target, from]) =>
        `${kind}s ${from.join(" and ")} ${from.length === 2 ? "both" : "all"} map to ${kind} ${target}`,
    )
    .join("; ");
  throw new StoreshiftError(
    `export: collision: etcd ${what}; refusing to migrate (one would overwrite the other). Give each etcd node its own k8s orchRef, or use --upstream-quirks for calicoctl's last-one-wins`,
    { exitCode: 1 },
  );
}

function renamePerNodeConfig(obj: V3Object, nodeMap: Record<string, string>): V3Object {
  const name = obj.metadata.name;
  if (!name.startsWith("node.")) return obj;
  const k8sName = nodeMap[name.slice("node.".length)];
  return k8sName ? { ...obj, metadata: { ...obj.metadata, name: `node.${k8sName}` } } : obj;
}

/** v1-era values such as DROP/ACCEPT become the v3 spelling Drop/Accept. */
export function titleCaseIptablesActions(obj: V3Object): V3Object {
  if (!obj.spec) return obj;
  const spec: JsonObject = { ...obj.spec };
  for (const field of IPTABLES_ACTION_FIELDS) {
    const v = spec[field];
    if (typeof v === "string" && v !== "") spec[field] = titleCase(v);
  }
  return { ...obj, spec };
}

function titleCase(value: string): string {
  return value
    .toLowerCase()
    .replace(/(^|[^\p{L}\p{N}'])(\p{L})/gu, (_m, sep: string, ch: string) => sep + ch.toUpperCase());
}

function byTierOrder(a: V3Object, b: V3Object): number {
  const oa = typeof a.spec?.order === "number" ? a.spec.order : Number.POSITIVE_INFINITY;
  const ob = typeof b.spec?.order === "number" ? b.spec.order : Number.POSITIVE_INFINITY;
  return oa === ob ? a.metadata.name.localeCompare(b.metadata.name) : oa - ob;
}

function tunnelPrefixes(mode: QuirkMode): string[] {
  return mode === "upstream"
    ? UPSTREAM_TUNNEL_PREFIXES
    : [...UPSTREAM_TUNNEL_PREFIXES, ...V6_TUNNEL_PREFIXES];
}

export function renameHandleId(id: string, nodeMap: Record<string, string>, mode: QuirkMode): string {
  for (const prefix of tunnelPrefixes(mode)) {
    if (id.startsWith(prefix)) {
      const k8sName = nodeMap[id.slice(prefix.length)];
      if (k8sName) return `${prefix}${k8sName}`;
    }
  }
  return id;
}

function renameBlock(
  block: AllocationBlock,
  nodeMap: Record<string, string>,
  mode: QuirkMode,
): AllocationBlock {
  const attributes = block.attributes?.map((a) => {
    const out = { ...a };
    const owner = a.secondary?.node;
    if (owner && nodeMap[owner]) out.secondary = { ...a.secondary, node: nodeMap[owner] };
    const alternate = a.alternateOwnerAttrs?.node;
    if (alternate && nodeMap[alternate])
      out.alternateOwnerAttrs = { ...a.alternateOwnerAttrs, node: nodeMap[alternate] };
    if (a.handle_id !== undefined) out.handle_id = renameHandleId(a.handle_id, nodeMap, mode);
    return out;
  });
  let affinity = block.affinity;
  if (affinity) {
    const colon = affinity.indexOf(":");
    const type = affinity.slice(0, colon);
    const host = affinity.slice(colon + 1);
    const k8sName = nodeMap[host];
    // upstream writes "host:" whatever the type was; storeshift keeps a virtual affinity virtual
    if (k8sName) affinity = mode === "upstream" || type === "host" ? `host:${k8sName}` : `${type}:${k8sName}`;
  }
  return { ...block, affinity, attributes: attributes ?? block.attributes };
}

function buildIpamSection(
  data: CalicoEtcdData,
  nodeMap: Record<string, string>,
  mode: QuirkMode,
  skipped: SkippedObject[],
): IpamExport {
  const ipam: IpamExport = {};
  const affinities: IpamEntry<{ state: string; deleted: boolean }>[] = [];
  for (const a of data.affinities) {
    if (a.type !== "host" && mode === "upstream") {
      skipped.push({
        kind: "BlockAffinity",
        name: a.key,
        rule: "calico/upstream-virtual-affinity-not-listed",
        reason: "calicoctl lists affinities under /calico/ipam/v2/host/ only",
      });
      continue;
    }
    const host = nodeMap[a.host] ?? a.host;
    affinities.push({ Key: affinityKey(host, a.cidr, a.type), Value: a.value, TTL: 0 });
  }
  if (affinities.length > 0) ipam.block_affinities = affinities;
  if (data.blocks.length > 0)
    ipam.blocks = data.blocks.map((b) => ({
      Key: b.key,
      Value: renameBlock(b.value, nodeMap, mode),
      TTL: 0,
    }));
  if (data.handles.length > 0)
    ipam.handles = data.handles.map((h) => ({
      Key: handleKey(renameHandleId(h.id, nodeMap, mode)),
      Value: h.value,
      TTL: 0,
    }));
  if (data.config) ipam.config = { Key: data.config.key, Value: data.config.value, TTL: 0 };
  return ipam;
}

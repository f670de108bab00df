import { createHash } from "node:crypto";
import { canonicalCidr, ipVersionOf, parseAffinityKey, parseBlockKey, parseHandleKey } from "../etcd/keys.js";
import { CRD_API_VERSION, kindByName, METADATA_ANNOTATION } from "../kinds.js";
import type {
  AllocationBlock,
  BlockAffinityValue,
  IpamConfigValue,
  IpamEntry,
  IpamHandleValue,
  JsonObject,
  V3Metadata,
  V3Object,
} from "../model.js";

/**
 * How libcalico-go's Kubernetes backend stores Calico objects as `crd.projectcalico.org/v1` custom
 * resources, and Calico Nodes as annotations on core/v1 Nodes. Pure.
 */

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    uid?: string;
    [field: string]: unknown;
  };
  spec?: unknown;
  [field: string]: unknown;
}

/** Labels and annotations that stay on the CR itself; all others live only in the metadata annotation. */
export function isOurs(key: string): boolean {
  return key.includes("projectcalico.org/") || key.includes("operator.tigera.io/");
}

function ours(map: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!map) return undefined;
  const out = Object.fromEntries(Object.entries(map).filter(([k]) => isOurs(k)));
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The metadata calicoctl apply keeps on create (name, namespace, labels, annotations) plus the new
 * creationTimestamp clientv3 stamps, serialised as Go does (field order, empty maps omitted).
 */
export function createMetadata(obj: V3Object, now: string): V3Metadata {
  const meta: V3Metadata = { name: obj.metadata.name };
  if (obj.metadata.namespace) meta.namespace = obj.metadata.namespace;
  meta.creationTimestamp = now;
  if (obj.metadata.labels && Object.keys(obj.metadata.labels).length > 0) meta.labels = obj.metadata.labels;
  if (obj.metadata.annotations && Object.keys(obj.metadata.annotations).length > 0)
    meta.annotations = obj.metadata.annotations;
  return meta;
}

/** `ConvertCalicoResourceToK8sResource` for a v3 object whose metadata is already `createMetadata`'d. */
export function toCustomResource(obj: V3Object): KubeObject {
  const keepName = kindByName(obj.kind)?.policy === true;
  const annotationMeta: Record<string, unknown> = {};
  if (keepName) annotationMeta.name = obj.metadata.name;
  for (const [field, value] of Object.entries(obj.metadata)) {
    if (["name", "namespace", "resourceVersion", "uid"].includes(field) || value === undefined) continue;
    annotationMeta[field] = field === "labels" || field === "annotations" ? sortKeys(value as object) : value;
  }
  const annotations: Record<string, string> = { [METADATA_ANNOTATION]: JSON.stringify(annotationMeta) };
  Object.assign(annotations, ours(obj.metadata.annotations));
  const metadata: KubeObject["metadata"] = { name: obj.metadata.name };
  if (obj.metadata.namespace) metadata.namespace = obj.metadata.namespace;
  const labels = ours(obj.metadata.labels);
  if (labels) metadata.labels = labels;
  metadata.annotations = annotations;
  const out: KubeObject = { apiVersion: CRD_API_VERSION, kind: obj.kind, metadata };
  for (const [field, value] of Object.entries(obj)) {
    if (field !== "apiVersion" && field !== "kind" && field !== "metadata") out[field] = value;
  }
  return out;
}

/** Reads a CR back as the v3 object libcalico-go returns (the metadata annotation merged back). */
export function fromCustomResource(cr: KubeObject): V3Object {
  const annotations = { ...(cr.metadata.annotations ?? {}) };
  const stored = annotations[METADATA_ANNOTATION];
  delete annotations[METADATA_ANNOTATION];
  const saved = stored ? (JSON.parse(stored) as Record<string, unknown>) : {};
  const meta: V3Metadata = { ...(saved as V3Metadata), name: (saved.name as string) || cr.metadata.name };
  if (cr.metadata.namespace) meta.namespace = cr.metadata.namespace;
  if (cr.metadata.resourceVersion) meta.resourceVersion = cr.metadata.resourceVersion;
  const { apiVersion: _a, kind, metadata: _m, ...rest } = cr;
  return { kind, apiVersion: "projectcalico.org/v3", metadata: meta, ...(rest as Record<string, never>) };
}

function sortKeys(map: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

// ---- IPAM ----

/** `names.CIDRToName`: the canonical CIDR with ".", ":" and "/" turned into "-". */
export function cidrToName(cidr: string): string {
  return canonicalCidr(cidr).replace(/[.:/]/g, "-");
}

/** `<host>-<cidrname>`, shortened with a sha256 suffix when 253 characters or longer. */
export function affinityName(host: string, cidr: string): string {
  const cidrName = cidrToName(cidr);
  const name = `${host}-${cidrName}`;
  if (name.length < 253) return name;
  const hash = createHash("sha256").update(`${host}+${cidrName}`).digest("hex").slice(0, 11);
  return `${host.slice(0, 252 - cidrName.length - 13)}-${cidrName}-${hash}`;
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/** base32 (RFC 4648, no padding) of sha3-256(host): fits the 63-character label limit. */
export function hostnameHash(host: string): string {
  const bytes = createHash("sha3-256").update(host).digest();
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/**
 * IPAM CRs go through the same converter as any CR; their Go metadata type prints a zero creation
 * time as null, and affinities carry their labels in it too.
 */
function ipamMetadata(labels?: Record<string, string>): string {
  return JSON.stringify(
    labels ? { creationTimestamp: null, labels: sortKeys(labels) } : { creationTimestamp: null },
  );
}

export function blockToCustomResource(entry: IpamEntry<AllocationBlock>): KubeObject {
  const parsed = parseBlockKey(entry.Key);
  if (!parsed) throw new Error(`IPAM block key "${entry.Key}" is not /calico/ipam/v2/assignment/...`);
  const cidr = canonicalCidr(parsed.cidr);
  const b = entry.Value;
  const spec: JsonObject = { cidr };
  if (b.affinity) spec.affinity = b.affinity;
  if (b.affinity_claim_time) spec.affinityClaimTime = b.affinity_claim_time;
  spec.allocations = b.allocations;
  spec.unallocated = b.unallocated;
  spec.attributes = (b.attributes ?? []).map((a) => {
    const out: JsonObject = {};
    if (a.handle_id !== undefined) out.handle_id = a.handle_id;
    if (a.secondary && Object.keys(a.secondary).length > 0) out.secondary = a.secondary;
    if (a.alternateOwnerAttrs && Object.keys(a.alternateOwnerAttrs).length > 0)
      out.alternateOwnerAttrs = a.alternateOwnerAttrs;
    // an address in cooldown (v3.32+): dropping the stamp would hand it out again at once
    if (a.releasedAt) out.releasedAt = a.releasedAt;
    return out;
  });
  spec.sequenceNumber = b.sequenceNumber ?? 0;
  spec.sequenceNumberForAllocation = b.sequenceNumberForAllocation ?? null;
  spec.deleted = b.deleted === true;
  spec.strictAffinity = false;
  return ipamCR("IPAMBlock", cidrToName(cidr), spec);
}

export function affinityToCustomResource(entry: IpamEntry<BlockAffinityValue>): KubeObject {
  const parsed = parseAffinityKey(entry.Key);
  if (!parsed) throw new Error(`block affinity key "${entry.Key}" is not /calico/ipam/v2/<type>/<host>/...`);
  const cidr = canonicalCidr(parsed.cidr);
  const spec: JsonObject = {
    state: entry.Value.state,
    node: parsed.host,
    type: parsed.type,
    cidr,
    deleted: String(entry.Value.deleted === true),
  };
  const labels = {
    "projectcalico.org/affinity-type": parsed.type,
    "projectcalico.org/hostname-hash": hostnameHash(parsed.host),
    "projectcalico.org/ip-version": String(ipVersionOf(cidr)),
  };
  return ipamCR("BlockAffinity", affinityName(parsed.host, cidr), spec, labels);
}

export function handleToCustomResource(entry: IpamEntry<IpamHandleValue>): KubeObject {
  const parsed = parseHandleKey(entry.Key);
  if (!parsed) throw new Error(`IPAM handle key "${entry.Key}" is not /calico/ipam/v2/handle/<id>`);
  const spec: JsonObject = {
    handleID: parsed.id,
    block: entry.Value.block ?? {},
    deleted: entry.Value.deleted,
  };
  return ipamCR("IPAMHandle", parsed.id.toLowerCase(), spec);
}

export function configToCustomResource(entry: IpamEntry<IpamConfigValue>): KubeObject {
  const v = entry.Value;
  const spec: JsonObject = {
    strictAffinity: v.strict_affinity === true,
    autoAllocateBlocks: v.auto_allocate_blocks === true,
  };
  if (v.maxBlocksPerHost) spec.maxBlocksPerHost = v.maxBlocksPerHost;
  if (v.kubeVirtVMAddressPersistence) spec.kubeVirtVMAddressPersistence = v.kubeVirtVMAddressPersistence;
  return ipamCR("IPAMConfig", "default", spec);
}

function ipamCR(kind: string, name: string, spec: JsonObject, labels?: Record<string, string>): KubeObject {
  const metadata: KubeObject["metadata"] = { name };
  if (labels) metadata.labels = labels;
  metadata.annotations = { [METADATA_ANNOTATION]: ipamMetadata(labels) };
  return { apiVersion: CRD_API_VERSION, kind, metadata, spec };
}

// ---- Nodes ----

export const NODE_ANNOTATIONS = {
  ipv4Address: "projectcalico.org/IPv4Address",
  ipv4IPIPTunnelAddr: "projectcalico.org/IPv4IPIPTunnelAddr",
  ipv4VXLANTunnelAddr: "projectcalico.org/IPv4VXLANTunnelAddr",
  vxlanTunnelMACAddr: "projectcalico.org/VXLANTunnelMACAddr",
  ipv6VXLANTunnelAddr: "projectcalico.org/IPv6VXLANTunnelAddr",
  vxlanTunnelMACAddrV6: "projectcalico.org/VXLANTunnelMACAddrV6",
  ipv6Address: "projectcalico.org/IPv6Address",
  asNumber: "projectcalico.org/ASNumber",
  routeReflectorClusterID: "projectcalico.org/RouteReflectorClusterID",
  wireguardIPv4: "projectcalico.org/IPv4WireguardInterfaceAddr",
  wireguardIPv6: "projectcalico.org/IPv6WireguardInterfaceAddr",
  wireguardPublicKey: "projectcalico.org/WireguardPublicKey",
  wireguardPublicKeyV6: "projectcalico.org/WireguardPublicKeyV6",
  interfaces: "projectcalico.org/Interfaces",
  kubeLabels: "projectcalico.org/kube-labels",
  labels: "projectcalico.org/labels",
  annotations: "projectcalico.org/annotations",
} as const;

/** Every annotation key the Kubernetes backend may write on a core/v1 Node for a Calico Node. */
export const CALICO_NODE_ANNOTATION_KEYS: readonly string[] = Object.values(NODE_ANNOTATIONS);

/**
 * `mergeCalicoNodeIntoK8sNode`: the annotations a core/v1 Node carries after a Calico Node is applied
 * to it. Calico-owned keys not set by this node are removed; everything else on the Node stays.
 */
export function mergeCalicoNodeAnnotations(
  existing: Record<string, string> | undefined,
  node: V3Object,
): Record<string, string> {
  const a: Record<string, string> = { ...(existing ?? {}) };
  let labels = { ...(node.metadata.labels ?? {}) };
  const nodeAnnotations = { ...(node.metadata.annotations ?? {}) };
  const kubeLabels = nodeAnnotations[NODE_ANNOTATIONS.kubeLabels];
  if (kubeLabels) {
    const inherited = JSON.parse(kubeLabels) as Record<string, string>;
    labels = Object.fromEntries(Object.entries(labels).filter(([k]) => !(k in inherited)));
    delete nodeAnnotations[NODE_ANNOTATIONS.kubeLabels];
  }
  const setOrDelete = (key: string, value: string | undefined) => {
    if (value) a[key] = value;
    else delete a[key];
  };
  setOrDelete(
    NODE_ANNOTATIONS.labels,
    Object.keys(labels).length ? JSON.stringify(sortKeys(labels)) : undefined,
  );
  setOrDelete(
    NODE_ANNOTATIONS.annotations,
    Object.keys(nodeAnnotations).length ? JSON.stringify(sortKeys(nodeAnnotations)) : undefined,
  );
  const spec = (node.spec ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  setOrDelete(NODE_ANNOTATIONS.ipv4VXLANTunnelAddr, str(spec.ipv4VXLANTunnelAddr));
  setOrDelete(NODE_ANNOTATIONS.vxlanTunnelMACAddr, str(spec.vxlanTunnelMACAddr));
  setOrDelete(NODE_ANNOTATIONS.ipv6VXLANTunnelAddr, str(spec.ipv6VXLANTunnelAddr));
  setOrDelete(NODE_ANNOTATIONS.vxlanTunnelMACAddrV6, str(spec.vxlanTunnelMACAddrV6));
  const bgp = spec.bgp as Record<string, unknown> | undefined;
  setOrDelete(NODE_ANNOTATIONS.ipv4Address, str(bgp?.ipv4Address));
  setOrDelete(NODE_ANNOTATIONS.ipv4IPIPTunnelAddr, str(bgp?.ipv4IPIPTunnelAddr));
  setOrDelete(NODE_ANNOTATIONS.ipv6Address, str(bgp?.ipv6Address));
  setOrDelete(NODE_ANNOTATIONS.asNumber, bgp?.asNumber !== undefined ? String(bgp.asNumber) : undefined);
  setOrDelete(NODE_ANNOTATIONS.routeReflectorClusterID, str(bgp?.routeReflectorClusterID));
  const wg = spec.wireguard as Record<string, unknown> | undefined;
  setOrDelete(NODE_ANNOTATIONS.wireguardIPv4, str(wg?.interfaceIPv4Address));
  setOrDelete(NODE_ANNOTATIONS.wireguardIPv6, str(wg?.interfaceIPv6Address));
  const status = (node.status ?? {}) as Record<string, unknown>;
  setOrDelete(NODE_ANNOTATIONS.wireguardPublicKey, str(status.wireguardPublicKey));
  setOrDelete(NODE_ANNOTATIONS.wireguardPublicKeyV6, str(status.wireguardPublicKeyV6));
  setOrDelete(NODE_ANNOTATIONS.interfaces, spec.interfaces ? JSON.stringify(spec.interfaces) : undefined);
  return a;
}

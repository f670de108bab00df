import { kindByName, METADATA_ANNOTATION, V3_API_VERSION } from "../kinds.js";
import type {
  AllocationAttribute,
  AllocationBlock,
  BlockAffinityValue,
  IpamConfigValue,
  IpamHandleValue,
  JsonObject,
  V3Metadata,
  V3Object,
} from "../model.js";
import { isObject } from "../model.js";

/**
 * Values as libcalico-go's etcdv3 backend writes and reads them. Pure: the seeder, lock and the
 * exporter share these so a value written by storeshift is byte-identical to one written by calicoctl.
 */

/** Go's metav1.ObjectMeta field order; json.Marshal writes struct fields in declaration order. */
const META_ORDER = [
  "name",
  "generateName",
  "namespace",
  "selfLink",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "labels",
  "annotations",
  "ownerReferences",
  "finalizers",
  "managedFields",
];

export function orderMetadata(meta: V3Metadata): V3Metadata {
  const out: Record<string, unknown> = {};
  for (const field of META_ORDER) if (meta[field] !== undefined) out[field] = meta[field];
  for (const [field, value] of Object.entries(meta)) if (!(field in out)) out[field] = value;
  return out as V3Metadata;
}

/**
 * What the v3 client stores for an object: resourceVersion cleared (the etcd ModRevision is the
 * version), the GVK forced, and for the four policy kinds the v3 name kept in the metadata annotation.
 */
export function encodeResourceValue(obj: V3Object): string {
  const meta: V3Metadata = { ...obj.metadata };
  delete meta.resourceVersion;
  delete meta.selfLink;
  if (kindByName(obj.kind)?.policy) {
    meta.annotations = { ...meta.annotations, [METADATA_ANNOTATION]: JSON.stringify({ name: meta.name }) };
  }
  const out: Record<string, unknown> = {
    kind: obj.kind,
    apiVersion: V3_API_VERSION,
    metadata: orderMetadata(meta),
  };
  for (const [field, value] of Object.entries(obj)) {
    if (field !== "kind" && field !== "apiVersion" && field !== "metadata") out[field] = value;
  }
  return JSON.stringify(out);
}

/**
 * What the v3 client returns when it reads a stored value: resourceVersion = ModRevision, and for
 * policies the name restored from the annotation, which is then removed (an empty map disappears,
 * as Go's omitempty drops it).
 */
export function decodeResourceValue(key: string, value: string, modRevision: string): V3Object {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (err) {
    throw new Error(`etcd value at ${key} is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed) || !isObject(parsed.metadata) || typeof parsed.kind !== "string")
    throw new Error(`etcd value at ${key} is not a Calico v3 object`);
  const obj = parsed as unknown as V3Object;
  const meta: V3Metadata = { ...obj.metadata, resourceVersion: modRevision };
  if (kindByName(obj.kind)?.policy) {
    const annotations = { ...(meta.annotations ?? {}) };
    const stored = annotations[METADATA_ANNOTATION];
    if (stored) {
      const name = (JSON.parse(stored) as { name?: string }).name;
      if (name) meta.name = name;
      delete annotations[METADATA_ANNOTATION];
    } else {
      const tier = (obj.spec?.tier as string | undefined) ?? "";
      // pre-3.30 etcd data: the default tier's policies were stored as "default.<name>"
      if (tier === "default" || tier === "") meta.name = meta.name.replace(/^default\./, "");
    }
    if (Object.keys(annotations).length > 0) meta.annotations = annotations;
    else delete meta.annotations;
  }
  return { ...obj, metadata: orderMetadata(meta) };
}

/** Go's encoding/json writes map keys sorted; struct fields keep declaration order. */
export function sortedMap<V>(map: Record<string, V>): Record<string, V> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Normalises a block to Go's struct (field order, unknown fields dropped) as calicoctl re-marshals it. */
export function normaliseBlock(raw: Record<string, unknown>): AllocationBlock {
  const attributes = Array.isArray(raw.attributes)
    ? (raw.attributes as Record<string, unknown>[]).map((a) => {
        const out: AllocationAttribute = {};
        if (typeof a.handle_id === "string") out.handle_id = a.handle_id;
        if (isObject(a.secondary)) out.secondary = sortedMap(a.secondary as Record<string, string>);
        if (isObject(a.alternateOwnerAttrs))
          out.alternateOwnerAttrs = sortedMap(a.alternateOwnerAttrs as Record<string, string>);
        if (typeof a.releasedAt === "string") out.releasedAt = a.releasedAt;
        return out;
      })
    : (null as unknown as AllocationAttribute[]);
  const block: AllocationBlock = {
    cidr: String(raw.cidr),
    affinity: typeof raw.affinity === "string" ? raw.affinity : null,
    allocations: (raw.allocations ?? null) as (number | null)[],
    unallocated: (raw.unallocated ?? null) as number[],
    attributes,
    sequenceNumber: typeof raw.sequenceNumber === "number" ? raw.sequenceNumber : 0,
    sequenceNumberForAllocation: isObject(raw.sequenceNumberForAllocation)
      ? sortedMap(raw.sequenceNumberForAllocation as Record<string, number>)
      : null,
    deleted: raw.deleted === true,
  };
  if (typeof raw.affinity_claim_time === "string") {
    // keep Go's field order: affinity_claim_time sits right after affinity
    const { cidr, affinity, ...rest } = block;
    return {
      cidr,
      affinity,
      affinity_claim_time: raw.affinity_claim_time,
      ...rest,
      ...(typeof raw.hostAffinity === "string" ? { hostAffinity: raw.hostAffinity } : {}),
    };
  }
  if (typeof raw.hostAffinity === "string") block.hostAffinity = raw.hostAffinity;
  return block;
}

export function normaliseAffinity(raw: Record<string, unknown>): BlockAffinityValue {
  return { state: typeof raw.state === "string" ? raw.state : "", deleted: raw.deleted === true };
}

export function normaliseHandle(raw: Record<string, unknown>): IpamHandleValue {
  return { block: sortedMap((raw.block ?? {}) as Record<string, number>), deleted: raw.deleted === true };
}

export function normaliseIpamConfig(raw: Record<string, unknown>): IpamConfigValue {
  const out: IpamConfigValue = {};
  if (raw.strict_affinity === true) out.strict_affinity = true;
  if (raw.auto_allocate_blocks === true) out.auto_allocate_blocks = true;
  if (typeof raw.maxBlocksPerHost === "number" && raw.maxBlocksPerHost !== 0)
    out.maxBlocksPerHost = raw.maxBlocksPerHost;
  if (typeof raw.kubeVirtVMAddressPersistence === "string")
    out.kubeVirtVMAddressPersistence = raw.kubeVirtVMAddressPersistence;
  if (typeof raw.ipCooldownSeconds === "number") out.ipCooldownSeconds = raw.ipCooldownSeconds;
  return out;
}

export function parseJsonObject(key: string, value: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = value === "" ? {} : JSON.parse(value);
  } catch (err) {
    throw new Error(`etcd value at ${key} is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw new Error(`etcd value at ${key} is not a JSON object`);
  return parsed as JsonObject;
}

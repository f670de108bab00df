/**
 * Plain data shapes shared by every Calico operation: v3 objects as libcalico-go serialises them, and
 * the IPAM values of the etcd backend's v1 model. JSON field names are upstream's, because the
 * export file and the etcd values must be byte-compatible with calicoctl's.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface V3Metadata {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string | null;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: Json | undefined;
}

export interface V3Object {
  kind: string;
  apiVersion: string;
  metadata: V3Metadata;
  spec?: JsonObject;
  [field: string]: Json | V3Metadata | undefined;
}

export interface AllocationAttribute {
  handle_id?: string;
  secondary?: Record<string, string>;
  alternateOwnerAttrs?: Record<string, string>;
  /** v3.32+: when the address was released; it stays allocated through the cooldown. */
  releasedAt?: string;
}

/** `model.AllocationBlock`: the value at /calico/ipam/v2/assignment/ipv<4|6>/block/<cidr->. */
export interface AllocationBlock {
  cidr: string;
  affinity: string | null;
  affinity_claim_time?: string;
  allocations: (number | null)[];
  unallocated: number[];
  attributes: AllocationAttribute[];
  sequenceNumber: number;
  sequenceNumberForAllocation: Record<string, number> | null;
  deleted: boolean;
  hostAffinity?: string;
}

/** `model.BlockAffinity`: the value at /calico/ipam/v2/<host|virtual>/<host>/ipv<4|6>/block/<cidr->. */
export interface BlockAffinityValue {
  state: string;
  deleted: boolean;
}

/** `model.IPAMHandle`: the value at /calico/ipam/v2/handle/<id>; the id lives only in the key. */
export interface IpamHandleValue {
  block: Record<string, number>;
  deleted: boolean;
}

/** `model.IPAMConfig` at /calico/ipam/v2/config; every field is omitempty upstream. */
export interface IpamConfigValue {
  strict_affinity?: boolean;
  auto_allocate_blocks?: boolean;
  maxBlocksPerHost?: number;
  kubeVirtVMAddressPersistence?: string;
  ipCooldownSeconds?: number;
}

/** One IPAM entry of the export file: calicoctl's `{Key, Value, TTL}` wrapper (TTL in nanoseconds). */
export interface IpamEntry<V> {
  Key: string;
  Value: V;
  TTL: number;
}

export interface IpamExport {
  block_affinities?: IpamEntry<BlockAffinityValue>[];
  blocks?: IpamEntry<AllocationBlock>[];
  handles?: IpamEntry<IpamHandleValue>[];
  config?: IpamEntry<IpamConfigValue>;
}

/** Everything Calico keeps in etcd that the migration reads, decoded. */
export interface CalicoEtcdData {
  /** v3 resources by kind, each as the v3 client returns it (policy name annotation removed). */
  resources: V3Object[];
  blocks: { key: string; value: AllocationBlock }[];
  affinities: { key: string; host: string; type: string; cidr: string; value: BlockAffinityValue }[];
  handles: { key: string; id: string; value: IpamHandleValue }[];
  config?: { key: string; value: IpamConfigValue };
  /** The etcd revision the read was served at (used as the list resourceVersion in the export). */
  revision: string;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

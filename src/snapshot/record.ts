import { isUtf8 } from "node:buffer";

/**
 * The canonical snapshot record: one line of a snapshot's NDJSON stream.
 *
 * Every reader turns its store into records sorted by `id` (see `compareIds`), so two snapshots can be
 * diffed by a sorted merge without holding either in memory. Field shapes per format are documented in
 * docs/diff.md; the ones mappings rely on are typed below.
 */
export interface SnapshotRecord {
  /** Identity: what the diff matches on. Unique within a snapshot. */
  id: string;
  /** Group for filters and ignore rules: the Calico kind, the etcd key's first segment, `dir`/`leaf`. */
  kind: string;
  [field: string]: unknown;
}

/**
 * Bytes that are not valid UTF-8, kept exactly. Text is stored as a plain string; anything else as
 * this marker object, so a snapshot never loses a byte.
 */
export interface Base64Bytes {
  $base64: string;
}

export type Bytes = string | Base64Bytes;

export type RecordStream = AsyncIterable<SnapshotRecord>;

/** What a snapshot was taken from; the first line of a saved snapshot file. */
export interface SnapshotHeader {
  storeshiftSnapshot: 1;
  /** Record format, telling a mapping how to read the records. */
  format: SnapshotFormat;
  /** The store URI it was read from (credentials never included). */
  store: string;
  capturedAt: string;
  /** e.g. `{ revision: "42" }` for etcd v3, `{ etcdIndex: "17" }` for v2. */
  meta?: Record<string, string>;
}

/**
 * - `etcd-v3`: `{id: key text, kind, key: Bytes, value: Bytes, createRevision, modRevision, version, lease}`
 *   (revisions/version as numbers, lease as a decimal string, "0" when none).
 * - `etcd-v2`: `{id: node key, kind: "dir" | "leaf", key, dir, value?, ttl?, expiration?, createdIndex,
 *   modifiedIndex}`.
 * - `calico`: Calico v3 resources `{id: "projectcalico.org/v3/<Kind>/[<ns>/]<name>", kind: <Kind>,
 *   apiVersion, metadata, spec}` and IPAM objects `{id: "ipam/<Kind>/<name>", kind: <Kind>, ...}`.
 * - `kube-registry`: raw `/registry/` keys like `etcd-v3`, kind = the resource segment.
 * - `expected`: records produced by a mapping.
 */
export type SnapshotFormat = "etcd-v3" | "etcd-v2" | "calico" | "kube-registry" | "expected";

export interface Snapshot {
  header: SnapshotHeader;
  records: RecordStream;
}

/** The single ordering every reader, writer and the diff agree on: UTF-16 code unit order of `id`. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Text if the bytes are valid UTF-8 (which then round-trip exactly, a BOM included), else the base64
 * marker. `isUtf8` rejects overlongs and surrogates, so no decoding ever replaces a byte.
 */
export function bytesToField(bytes: Uint8Array): Bytes {
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isUtf8(buffer)) return buffer.toString("utf8");
  return { $base64: buffer.toString("base64") };
}

export function isBase64Bytes(value: unknown): value is Base64Bytes {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Base64Bytes).$base64 === "string" &&
    Object.keys(value).length === 1
  );
}

export function fieldToBytes(field: Bytes): Buffer {
  return typeof field === "string" ? Buffer.from(field, "utf8") : Buffer.from(field.$base64, "base64");
}

/** A key as an id: its text, or `base64:<…>` when the key is not UTF-8. */
export function bytesToId(bytes: Uint8Array): string {
  return fieldToId(bytesToField(bytes));
}

/** The id of a key already decoded as a field (no second decode). */
export function fieldToId(field: Bytes): string {
  return typeof field === "string" ? field : `base64:${field.$base64}`;
}

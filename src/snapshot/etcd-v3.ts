import type { Etcd3, IKeyValue, IOptions } from "etcd3";
import { wrapError } from "../common/errors.js";
import { etcdClient } from "../common/etcd-client.js";
import { bytesToField, compareIds, fieldToId, type Snapshot, type SnapshotRecord } from "./record.js";

export interface EtcdV3ReadOptions {
  /** Client URLs, e.g. `["http://127.0.0.1:2379"]`. */
  endpoints: string[];
  /** Only keys under this prefix; omitted: the whole keyspace. */
  prefix?: string;
  /** Keys per range request. etcd's default request size limit is 1.5 MiB, so pages stay small. */
  pageSize?: number;
  /** Extra etcd3 client options (TLS credentials, auth). */
  client?: Partial<IOptions>;
  /** The store URI for the snapshot header. */
  store?: string;
}

export interface RawKeyValue {
  key: Buffer;
  value: Buffer;
  createRevision: number;
  modRevision: number;
  version: number;
  lease: string;
}

/**
 * Streams every key of an etcd v3 keyspace (or a prefix) as raw key-values, page by page at one pinned
 * revision, so the result is a consistent point-in-time view without one giant read. Keys arrive in
 * etcd's byte order.
 */
export async function* readEtcdV3KeyValues(
  client: Etcd3,
  options: { prefix?: string; pageSize?: number; onRevision?: (revision: string) => void },
): AsyncGenerator<RawKeyValue> {
  for await (const page of readEtcdV3Pages(client, options)) yield* page;
}

/** Like `readEtcdV3KeyValues`, one array per page: a hop per page instead of per key. */
export async function* readEtcdV3Pages(
  client: Etcd3,
  options: { prefix?: string; pageSize?: number; onRevision?: (revision: string) => void },
): AsyncGenerator<RawKeyValue[]> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const prefix = options.prefix ?? "";
  const end = prefix === "" ? Buffer.from([0]) : prefixEnd(Buffer.from(prefix));
  let revision: string | undefined;
  const request = (from: Buffer) => {
    const range = client.getAll().inRange({ start: from, end }).limit(pageSize);
    if (revision !== undefined) range.revision(revision);
    return range.exec();
  };
  let start = prefix === "" ? Buffer.from([0]) : Buffer.from(prefix);
  let pending = request(start);
  for (;;) {
    const response = await pending;
    if (revision === undefined) {
      revision = response.header.revision;
      options.onRevision?.(revision);
    }
    const last = response.kvs.at(-1);
    const more = response.more && last !== undefined;
    if (more) {
      // The next page starts just after the last key (the same bytes plus a zero byte); asking for it
      // before handing this page on lets etcd work while the consumer does.
      start = Buffer.concat([last.key, Buffer.from([0])]);
      pending = request(start);
      pending.catch(() => {}); // observed on the next turn; avoids an unhandled rejection if we stop early
    }
    yield response.kvs.map(toRaw);
    if (!more) return;
  }
}

/** Keys per range request: large pages make fewer round trips (the client's gRPC receive limit is lifted). */
export const DEFAULT_PAGE_SIZE = 10_000;

/** Exclusive end of the range of keys starting with `prefix` (etcd's "prefix + 1"); `\0` for all keys. */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    const byte = end[i] ?? 0;
    if (byte < 0xff) {
      end[i] = byte + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

export function toRaw(kv: IKeyValue): RawKeyValue {
  return {
    key: kv.key,
    value: kv.value,
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
    version: Number(kv.version),
    lease: String(kv.lease ?? "0"),
  };
}

/** The record of one raw etcd v3 key (format `etcd-v3` and `kube-registry`). */
export function keyValueRecord(kv: RawKeyValue, kindOf: (id: string) => string): SnapshotRecord {
  const key = bytesToField(kv.key);
  const id = fieldToId(key);
  // Fields in canonical (sorted) order, so writing needs no re-sorting.
  return {
    id,
    kind: kindOf(id),
    createRevision: kv.createRevision,
    key,
    lease: kv.lease,
    modRevision: kv.modRevision,
    value: bytesToField(kv.value),
    version: kv.version,
  };
}

/** `/registry/pods/ns/x` → `registry`; a key without a leading slash → its first segment. */
export function firstSegmentKind(id: string): string {
  if (id.startsWith("base64:")) return "(binary key)";
  const trimmed = id.startsWith("/") ? id.slice(1) : id;
  const segment = trimmed.split("/")[0] ?? "";
  return segment === "" ? "(root)" : segment;
}

const BINARY_ID_PREFIX = "base64:";

/**
 * Orders raw records by id while streaming. UTF-8 keys come in id order already (etcd's byte order is
 * code point order, which `compareIds` follows for keys without astral characters). Keys that are not
 * UTF-8 get `base64:` ids, which sort after every key starting with "/" or a character below "b"; so
 * those ids, and the rare text ids at or above "base64:", are held back and yielded sorted at the end.
 * Normal keyspaces (keys starting with "/") therefore stream with nothing held.
 */
export async function* orderRecords(records: AsyncIterable<SnapshotRecord>): AsyncGenerator<SnapshotRecord> {
  const held: SnapshotRecord[] = [];
  for await (const record of records) {
    if (record.id >= BINARY_ID_PREFIX) held.push(record);
    else yield record;
  }
  held.sort((a, b) => compareIds(a.id, b.id));
  yield* held;
}

/**
 * The raw-keyspace reader shared by `etcd://` and `kube-registry://`: pages in, records out in id order
 * (see `orderRecords`), with one generator between etcd and the consumer.
 */
export async function* rawKeyspaceRecords(
  client: Etcd3,
  options: { prefix?: string; pageSize?: number; onRevision?: (revision: string) => void },
  toRecord: (kv: RawKeyValue) => SnapshotRecord,
): AsyncGenerator<SnapshotRecord> {
  const held: SnapshotRecord[] = [];
  for await (const page of readEtcdV3Pages(client, options)) {
    for (const kv of page) {
      const record = toRecord(kv);
      if (record.id >= BINARY_ID_PREFIX) held.push(record);
      else yield record;
    }
  }
  held.sort((a, b) => compareIds(a.id, b.id));
  yield* held;
}

/** An etcd3 client for snapshot reads (`etcdClient`: no receive limit, the default call deadline). */
export function openEtcdClient(endpoints: string[], extra: Partial<IOptions> = {}): Etcd3 {
  return etcdClient(endpoints, { purpose: "snapshot read", extra });
}

/** A snapshot of the raw v3 keyspace (format `etcd-v3`). The client is closed when the stream ends. */
export function readEtcdV3Snapshot(options: EtcdV3ReadOptions): Snapshot {
  const store = options.store ?? `etcd://${hostPart(options.endpoints)}${options.prefix ?? ""}`;
  const meta: Record<string, string> = {};
  const records = (async function* () {
    const client = openEtcdClient(options.endpoints, options.client);
    try {
      const pageOptions = {
        prefix: options.prefix,
        pageSize: options.pageSize,
        onRevision: (revision: string) => {
          meta.revision = revision;
        },
      };
      // for await + yield rather than yield*: the same records with one less delegation per record
      for await (const record of rawKeyspaceRecords(client, pageOptions, (kv) =>
        keyValueRecord(kv, firstSegmentKind),
      )) {
        yield record;
      }
    } catch (err) {
      throw wrapError(`snapshot ${store}`, err);
    } finally {
      client.close();
    }
  })();
  return {
    header: { storeshiftSnapshot: 1, format: "etcd-v3", store, capturedAt: new Date().toISOString(), meta },
    records,
  };
}

export function hostPart(endpoints: string[]): string {
  const first = endpoints[0] ?? "";
  return first.replace(/^[a-z]+:\/\//, "");
}

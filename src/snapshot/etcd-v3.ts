import { Etcd3, type IKeyValue, type IOptions } from "etcd3";
import { wrapError } from "../common/errors.js";
import { assertSorted, mergeSorted, sortedInMemory } from "./canonical.js";
import { bytesToField, bytesToId, type Snapshot, type SnapshotRecord } from "./record.js";

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
 * revision, so the result is a consistent point-in-time view without one giant read.
 * Keys arrive in etcd's byte order.
 */
export async function* readEtcdV3KeyValues(
  client: Etcd3,
  options: { prefix?: string; pageSize?: number; onRevision?: (revision: string) => void },
): AsyncGenerator<RawKeyValue> {
  const pageSize = options.pageSize ?? 1000;
  const prefix = options.prefix ?? "";
  let start = prefix === "" ? Buffer.from([0]) : Buffer.from(prefix);
  const end = prefix === "" ? Buffer.from([0]) : prefixEnd(Buffer.from(prefix));
  let revision: string | undefined;
  for (;;) {
    const range = client.getAll().inRange({ start, end }).limit(pageSize);
    if (revision !== undefined) range.revision(revision);
    const response = await range.exec();
    if (revision === undefined) {
      revision = response.header.revision;
      options.onRevision?.(revision);
    }
    for (const kv of response.kvs) yield toRaw(kv);
    const last = response.kvs.at(-1);
    if (!response.more || !last) return;
    // The next page starts just after the last key: the same bytes plus a zero byte.
    start = Buffer.concat([last.key, Buffer.from([0])]);
  }
}

function prefixEnd(prefix: Buffer): Buffer {
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

function toRaw(kv: IKeyValue): RawKeyValue {
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
  const id = bytesToId(kv.key);
  return {
    id,
    kind: kindOf(id),
    key: bytesToField(kv.key),
    value: bytesToField(kv.value),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    lease: kv.lease,
  };
}

/** `/registry/pods/ns/x` → `registry`; a key without a leading slash → its first segment. */
export function firstSegmentKind(id: string): string {
  if (id.startsWith("base64:")) return "(binary key)";
  const trimmed = id.startsWith("/") ? id.slice(1) : id;
  const segment = trimmed.split("/")[0] ?? "";
  return segment === "" ? "(root)" : segment;
}

/**
 * Orders raw records by id. UTF-8 keys already come in id order (etcd's byte order is code point
 * order, which `compareIds` follows for keys without astral characters); keys that are not UTF-8 get
 * `base64:` ids, so they are set aside and merged in.
 */
export async function* orderRecords(
  records: AsyncIterable<SnapshotRecord>,
  source: string,
): AsyncGenerator<SnapshotRecord> {
  const binary: SnapshotRecord[] = [];
  const text = (async function* () {
    for await (const record of records) {
      if (typeof record.key === "string") yield record;
      else binary.push(record);
    }
  })();
  // The text stream must be drained before the binary list is complete, so sort it lazily.
  const textChecked = assertSorted(tolerateAstral(text), source);
  yield* mergeSorted(
    textChecked,
    lazy(() => sortedInMemory(listStream(binary))),
  );
}

async function* listStream(records: SnapshotRecord[]): AsyncGenerator<SnapshotRecord> {
  yield* records;
}

async function* lazy(make: () => AsyncIterable<SnapshotRecord>): AsyncGenerator<SnapshotRecord> {
  yield* make();
}

/**
 * Keys with characters above U+FFFF sort differently by bytes and by UTF-16 units; such stores are
 * rare, so when one appears the rest of the stream is sorted in memory instead of failing.
 */
async function* tolerateAstral(records: AsyncIterable<SnapshotRecord>): AsyncGenerator<SnapshotRecord> {
  const pending: SnapshotRecord[] = [];
  let astral = false;
  for await (const record of records) {
    if (!astral && /[\uD800-\uDFFF]/.test(record.id)) astral = true;
    if (astral) pending.push(record);
    else yield record;
  }
  if (astral) yield* sortedInMemory(listStream(pending));
}

export function openEtcdClient(endpoints: string[], extra: Partial<IOptions> = {}): Etcd3 {
  return new Etcd3({ hosts: endpoints, ...extra });
}

/** A snapshot of the raw v3 keyspace (format `etcd-v3`). The client is closed when the stream ends. */
export function readEtcdV3Snapshot(options: EtcdV3ReadOptions): Snapshot {
  const store = options.store ?? `etcd://${hostPart(options.endpoints)}${options.prefix ?? ""}`;
  const meta: Record<string, string> = {};
  const records = (async function* () {
    const client = openEtcdClient(options.endpoints, options.client);
    try {
      const raw = readEtcdV3KeyValues(client, {
        prefix: options.prefix,
        pageSize: options.pageSize,
        onRevision: (revision) => {
          meta.revision = revision;
        },
      });
      const records = (async function* () {
        for await (const kv of raw) yield keyValueRecord(kv, firstSegmentKind);
      })();
      yield* orderRecords(records, store);
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

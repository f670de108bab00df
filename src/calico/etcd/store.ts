import type { Etcd3, IKeyValue, IOptions } from "etcd3";
import { throwIfAborted } from "../../common/attempt.js";
import { StoreshiftError, wrapError } from "../../common/errors.js";
import { etcdClient } from "../../common/etcd-client.js";
import { IPAM_PREFIX, RESOURCES_PREFIX } from "../kinds.js";
import type { CalicoEtcdData, V3Object } from "../model.js";
import {
  decodeResourceValue,
  encodeResourceValue,
  normaliseAffinity,
  normaliseBlock,
  normaliseHandle,
  normaliseIpamConfig,
  parseJsonObject,
} from "./codec.js";
import {
  IPAM_CONFIG_KEY,
  parseAffinityKey,
  parseBlockKey,
  parseHandleKey,
  parseResourceKey,
  resourceKey,
} from "./keys.js";

/** Per unary etcd call; a paged read of 10k objects is several calls, each far below this. */
export const CALL_DEADLINE_MS = 10_000;

/** Calico's etcd, read and written the way libcalico-go's etcdv3 backend does. */
export class CalicoEtcd {
  readonly client: Etcd3;
  constructor(
    readonly endpoints: string[],
    options: Partial<IOptions> = {},
    /** Once aborted, no call is made (a cancelled migration); the client is closed as well. */
    readonly signal?: AbortSignal,
  ) {
    if (endpoints.length === 0) throw new StoreshiftError("calico etcd: no endpoints given");
    this.client = etcdClient(endpoints, {
      purpose: "calico etcd",
      // kept at 10 s, shorter than the default 30 s, as the Calico store had it before the factory: a
      // Calico migration step on a dead link fails within 10 s, and the fault scenarios run with that
      deadlineMs: CALL_DEADLINE_MS,
      extra: options,
    });
    signal?.addEventListener("abort", () => this.client.close(), { once: true });
  }

  private guard(operation: string): void {
    throwIfAborted(this.signal, `${operation} in etcd ${this.endpoints.join(",")}`);
  }

  close(): void {
    this.client.close();
  }
  [Symbol.dispose](): void {
    this.close();
  }

  /** Every raw key/value under /calico/, at one revision (for before/after comparisons). */
  async rawSnapshot(prefix = "/calico/"): Promise<Map<string, string>> {
    const { kvs } = await this.rangeAll(prefix);
    return new Map(kvs.map((kv) => [kv.key.toString(), kv.value.toString()]));
  }

  /**
   * A prefix read in pages pinned to the first page's revision: one consistent view, without hitting
   * gRPC's 4 MiB message limit on large datastores.
   */
  async rangeAll(prefix: string, pageSize = 2000): Promise<{ kvs: IKeyValue[]; revision: string }> {
    const end = Buffer.from(prefix);
    end[end.length - 1] = (end[end.length - 1] ?? 0) + 1;
    const kvs: IKeyValue[] = [];
    let from: Buffer = Buffer.from(prefix);
    let revision: string | undefined;
    for (;;) {
      this.guard(`read ${prefix}`);
      let query = this.client.getAll().inRange({ start: from, end }).limit(pageSize);
      if (revision) query = query.revision(revision);
      const res = await query.exec();
      revision ??= String(res.header.revision);
      kvs.push(...res.kvs);
      const last = res.kvs[res.kvs.length - 1];
      if (!res.more || !last) return { kvs, revision };
      from = Buffer.concat([last.key, Buffer.from([0])]);
    }
  }

  /**
   * Everything the migration reads, from one etcd revision: v3 resources decoded as the v3 client
   * returns them, and the IPAM tree (blocks, host and virtual affinities, handles, config).
   */
  async read(): Promise<CalicoEtcdData> {
    try {
      const { kvs, revision } = await this.rangeAll("/calico/");
      return decodeCalicoEntries(
        kvs.map((kv) => ({
          key: kv.key.toString(),
          value: kv.value.toString(),
          modRevision: String(kv.mod_revision),
        })),
        revision,
      );
    } catch (err) {
      throw wrapError(`read Calico data from etcd ${this.endpoints.join(",")}`, err);
    }
  }

  async getResource(kind: string, name: string, namespace?: string): Promise<V3Object | undefined> {
    const key = resourceKey(kind, name, namespace);
    this.guard(`get ${key}`);
    const res = await this.client.get(key).exec();
    const kv = res.kvs[0];
    if (!kv) return undefined;
    return decodeResourceValue(key, kv.value.toString(), String(kv.mod_revision));
  }

  /** libcalico-go's Create: a txn that puts only when the key does not exist yet. */
  async create(key: string, value: string): Promise<boolean> {
    this.guard(`create ${key}`);
    const res = await this.client
      .if(key, "Version", "==", 0)
      .then(this.client.put(key).value(value))
      .commit();
    return res.succeeded;
  }

  async createResource(obj: V3Object): Promise<boolean> {
    return this.create(
      resourceKey(obj.kind, obj.metadata.name, obj.metadata.namespace),
      encodeResourceValue(obj),
    );
  }

  /** libcalico-go's Update: put only if the key still has the revision we read (optimistic). */
  async updateResource(obj: V3Object): Promise<boolean> {
    const key = resourceKey(obj.kind, obj.metadata.name, obj.metadata.namespace);
    const revision = obj.metadata.resourceVersion;
    if (!revision) throw new StoreshiftError(`update ${key}: no resourceVersion to compare against`);
    this.guard(`update ${key}`);
    const res = await this.client
      .if(key, "Mod", "==", revision)
      .then(this.client.put(key).value(encodeResourceValue(obj)))
      .commit();
    return res.succeeded;
  }

  /**
   * Creates many keys, each only if absent (libcalico-go's Create), in transactions of at most `batch`
   * keys (etcd allows 128 operations per txn). Returns the keys that already existed.
   */
  async createMany(entries: [string, string][], batch = 60): Promise<string[]> {
    const existing: string[] = [];
    for (let i = 0; i < entries.length; i += batch) {
      const slice = entries.slice(i, i + batch);
      const [first, ...rest] = slice;
      if (!first) continue;
      this.guard(`create ${first[0]} and ${rest.length} more`);
      let cmp = this.client.if(first[0], "Version", "==", 0);
      for (const [k] of rest) cmp = cmp.and(k, "Version", "==", 0);
      const res = await cmp.then(...slice.map(([k, v]) => this.client.put(k).value(v))).commit();
      if (!res.succeeded) {
        for (const [k, v] of slice) if (!(await this.create(k, v))) existing.push(k);
      }
    }
    return existing;
  }
}

/**
 * Decodes raw etcd entries into what the migration reads: v3 resources as the v3 client returns them,
 * and the IPAM tree (blocks, host and virtual affinities, handles, config). Pure; keys outside those
 * layouts (Felix status, per-host IPAM markers) are ignored.
 */
export function decodeCalicoEntries(
  entries: { key: string; value: string; modRevision: string }[],
  revision: string,
): CalicoEtcdData {
  const data: CalicoEtcdData = { resources: [], blocks: [], affinities: [], handles: [], revision };
  for (const { key, value, modRevision } of entries) {
    if (key.startsWith(RESOURCES_PREFIX)) {
      if (parseResourceKey(key)) data.resources.push(decodeResourceValue(key, value, modRevision));
      continue;
    }
    if (!key.startsWith(IPAM_PREFIX)) continue;
    const block = parseBlockKey(key);
    if (block) {
      data.blocks.push({ key, value: normaliseBlock(parseJsonObject(key, value)) });
      continue;
    }
    const affinity = parseAffinityKey(key);
    if (affinity) {
      data.affinities.push({ key, ...affinity, value: normaliseAffinity(parseJsonObject(key, value)) });
      continue;
    }
    const handle = parseHandleKey(key);
    if (handle) {
      data.handles.push({ key, id: handle.id, value: normaliseHandle(parseJsonObject(key, value)) });
      continue;
    }
    if (key === IPAM_CONFIG_KEY)
      data.config = { key, value: normaliseIpamConfig(parseJsonObject(key, value)) };
  }
  return data;
}

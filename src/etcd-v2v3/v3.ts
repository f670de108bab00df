import type { Etcd3, IHashKVResponse, IRangeRequest } from "etcd3";
import { etcdClient } from "../common/etcd-client.js";
import { prefixEnd, type RawKeyValue, toRaw } from "../snapshot/etcd-v3.js";

/** One v3 key-value as etcd stores it; the same shape the raw snapshot reader produces. */
export type V3Kv = RawKeyValue;

/** A key range: a prefix ("" = the whole key space), paged at one revision. */
export interface V3RangeOptions {
  pageSize?: number;
  serializable?: boolean;
  keysOnly?: boolean;
  /** Read at this revision; 0 (default) pins the revision of the first page. */
  revision?: number;
}

/**
 * Every key under `prefix`, one page at a time, all pages at one revision (a consistent snapshot),
 * so a caller can look at each page and let it go.
 */
export async function* v3Pages(
  client: Etcd3,
  prefix = "",
  options: V3RangeOptions = {},
): AsyncGenerator<{ kvs: V3Kv[]; revision: number }> {
  const start = prefix === "" ? Buffer.from([0]) : Buffer.from(prefix, "utf8");
  const end = prefix === "" ? Buffer.from([0]) : prefixEnd(start);
  const pageSize = options.pageSize ?? 2000;
  let key = start;
  let revision = options.revision ?? 0;
  for (;;) {
    const request: IRangeRequest = {
      key,
      range_end: end,
      limit: pageSize,
      revision,
      serializable: options.serializable ?? false,
      keys_only: options.keysOnly ?? false,
    };
    const response = await client.kv.range(request);
    if (revision === 0) revision = Number(response.header.revision);
    yield { kvs: response.kvs.map(toRaw), revision };
    const last = response.kvs[response.kvs.length - 1];
    if (!response.more || !last) return;
    key = Buffer.concat([last.key, Buffer.from([0])]);
  }
}

/**
 * Every key under `prefix` ("" = the whole key space), paged so no response gets large, all pages at
 * one revision so the result is a consistent snapshot.
 */
export async function readV3Range(
  client: Etcd3,
  prefix = "",
  options: V3RangeOptions = {},
): Promise<{ kvs: V3Kv[]; revision: number }> {
  const kvs: V3Kv[] = [];
  let revision = 0;
  for await (const page of v3Pages(client, prefix, options)) {
    revision = page.revision;
    for (const kv of page.kvs) kvs.push(kv);
  }
  return { kvs, revision };
}

/** Keys under `prefix` and the store revision, without reading them. */
export async function countV3Prefix(
  client: Etcd3,
  prefix: string,
): Promise<{ count: number; revision: number }> {
  const start = prefix === "" ? Buffer.from([0]) : Buffer.from(prefix, "utf8");
  const response = await client.kv.range({
    key: start,
    range_end: prefix === "" ? Buffer.from([0]) : prefixEnd(start),
    count_only: true,
  });
  return { count: Number(response.count), revision: Number(response.header.revision) };
}

/** Number of keys in the whole v3 key space and the store revision. */
export async function countV3(
  client: Etcd3,
  serializable = false,
): Promise<{ count: number; revision: number }> {
  const response = await client.kv.range({
    key: Buffer.from([0]),
    range_end: Buffer.from([0]),
    count_only: true,
    serializable,
  });
  return { count: Number(response.count), revision: Number(response.header.revision) };
}

export interface MemberStatus {
  endpoint: string;
  version: string;
  raftIndex: number;
  raftAppliedIndex: number;
  revision: number;
}

export async function memberStatus(endpoint: string): Promise<MemberStatus> {
  const client = etcdClient([endpoint], { purpose: "member status" });
  try {
    const s = await client.maintenance.status();
    return {
      endpoint,
      version: s.version,
      raftIndex: Number(s.raftIndex),
      raftAppliedIndex: Number(s.raftAppliedIndex ?? s.raftIndex),
      revision: Number(s.header.revision),
    };
  } finally {
    client.close();
  }
}

type Exec = { exec(service: string, method: string, payload: unknown): Promise<IHashKVResponse> };

/**
 * etcd3 1.1.2 calls HashKV as `hashKV`, but grpc-js names the camel-cased method `hashKv`, so the
 * typed call fails with "client[method] is not a function"; the proto name `HashKV` works.
 */
async function callHashKv(client: Etcd3): Promise<IHashKVResponse> {
  const inner = (client.maintenance as unknown as { client: Exec }).client;
  return inner.exec("Maintenance", "HashKV", { revision: 0 });
}

export interface MemberHash {
  endpoint: string;
  hash: string;
  revision: number;
  compactRevision: number;
}

/** `etcdctl endpoint hashkv` for each endpoint, at each member's latest revision. */
export async function hashKvAll(endpoints: string[]): Promise<MemberHash[]> {
  return Promise.all(
    endpoints.map(async (endpoint) => {
      const client = etcdClient([endpoint], { purpose: "hashkv" });
      try {
        const h = await callHashKv(client);
        return {
          endpoint,
          hash: String(h.hash),
          revision: Number(h.header.revision),
          compactRevision: Number(h.compact_revision),
        };
      } finally {
        client.close();
      }
    }),
  );
}

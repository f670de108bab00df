import { StoreshiftError, wrapError } from "../common/errors.js";
import { sortedInMemory } from "./canonical.js";
import type { Snapshot, SnapshotRecord } from "./record.js";

interface V2Node {
  key?: string;
  dir?: boolean;
  value?: string;
  ttl?: number;
  expiration?: string;
  createdIndex?: number;
  modifiedIndex?: number;
  nodes?: V2Node[];
}

export interface EtcdV2ReadOptions {
  /** Client URL, e.g. `http://127.0.0.1:2379`. */
  endpoint: string;
  /** Only this subtree; omitted: the whole tree. */
  prefix?: string;
  store?: string;
}

/** The record of one v2 node (format `etcd-v2`); directories are records too, so empty dirs are compared. */
export function v2NodeRecord(node: V2Node): SnapshotRecord {
  const key = node.key ?? "/";
  const record: SnapshotRecord = {
    id: key,
    kind: node.dir ? "dir" : "leaf",
    key,
    dir: node.dir === true,
    createdIndex: node.createdIndex ?? 0,
    modifiedIndex: node.modifiedIndex ?? 0,
  };
  if (!node.dir) record.value = node.value ?? "";
  if (node.ttl !== undefined) record.ttl = node.ttl;
  if (node.expiration !== undefined) record.expiration = node.expiration;
  return record;
}

function* flatten(node: V2Node): Generator<SnapshotRecord> {
  // The root itself is not a node anyone wrote; its children are.
  if (node.key !== undefined) yield v2NodeRecord(node);
  for (const child of node.nodes ?? []) yield* flatten(child);
}

/**
 * The etcd v2 tree (format `etcd-v2`). The v2 API has no paging: a recursive GET is one in-memory read
 * on the server, and v2 stores are small, so the tree is read whole and sorted.
 */
export function readEtcdV2Snapshot(options: EtcdV2ReadOptions): Snapshot {
  const base = options.endpoint.replace(/\/$/, "");
  const prefix = options.prefix ?? "";
  const store = options.store ?? `etcdv2://${base.replace(/^[a-z]+:\/\//, "")}${prefix}`;
  const meta: Record<string, string> = {};
  const records = (async function* () {
    let root: V2Node;
    try {
      const path = prefix === "" ? "/" : prefix.startsWith("/") ? prefix : `/${prefix}`;
      const url = `${base}/v2/keys${encodeURI(path)}?recursive=true&sorted=true`;
      const response = await fetch(url);
      const index = response.headers.get("x-etcd-index");
      if (index) meta.etcdIndex = index;
      const body = (await response.json()) as { node?: V2Node; message?: string; errorCode?: number };
      if (response.status === 404 && body.errorCode === 100) {
        return; // prefix does not exist: an empty snapshot
      }
      if (!response.ok || !body.node) {
        const hint = response.status === 404 && body.errorCode === undefined ? " (is --enable-v2 on?)" : "";
        throw new StoreshiftError(`HTTP ${response.status} ${body.message ?? ""}${hint}`.trim());
      }
      root = body.node;
    } catch (err) {
      throw wrapError(`snapshot ${store}`, err);
    }
    yield* sortedInMemory(
      (async function* () {
        yield* flatten(root);
      })(),
    );
  })();
  return {
    header: { storeshiftSnapshot: 1, format: "etcd-v2", store, capturedAt: new Date().toISOString(), meta },
    records,
  };
}

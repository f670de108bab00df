import { InputError } from "../common/errors.js";
import { isHiddenKey, type V2Node, type V2Tree, walkTree } from "./tree.js";

/**
 * What happens to v2 TTLs:
 * - `permanent`: TTL keys become plain keys (what `etcdctl migrate` does by default);
 * - `drop`: nodes with their own TTL are left out (`etcdctl migrate --no-ttl`); children of a TTL
 *   directory have no TTL of their own and are kept, as upstream does;
 * - `lease`: the expiry is kept as a v3 lease (storeshift only; see docs/etcd-v2v3.md).
 */
export type TtlPolicy = "permanent" | "drop" | "lease";
export const TTL_POLICIES: readonly TtlPolicy[] = ["permanent", "drop", "lease"];

export interface MappingOptions {
  ttlPolicy?: TtlPolicy;
  /** v2 `/a` becomes v3 `<prefix>/a`; empty (the default) keeps the v2 key as it is. */
  prefix?: string;
  /** Hidden keys (or hidden directories) to migrate although their name starts with `_`. */
  includeHidden?: string[];
  /** The clock for the `lease` policy; defaults to the tree's read time. */
  nowMs?: number;
}

export interface ExpectedKv {
  v2Key: string;
  /** The v3 key (text; written as its UTF-8 bytes). */
  key: string;
  value: string;
  createdIndex: number;
  modifiedIndex: number;
  /** `lease` policy: the earliest expiry of the key and its ancestors. */
  expiresAtMs?: number;
  /** `lease` policy: the lease TTL in seconds the key should get (>= 1). */
  leaseTtl?: number;
}

export type ExclusionReason = "directory" | "hidden" | "ttl-dropped" | "expired";

export interface ExpectedV3 {
  /** In v2 walk order (sorted depth-first). */
  kvs: ExpectedKv[];
  /** v2 nodes that deliberately produce no v3 key, with why. */
  excluded: { v2Key: string; reason: ExclusionReason }[];
}

export function normalisePrefix(prefix: string | undefined): string {
  if (!prefix) return "";
  if (prefix.includes("\0"))
    throw new InputError(`etcd v2→v3 mapping: prefix ${JSON.stringify(prefix)} has a NUL`);
  return prefix.replace(/\/+$/, "");
}

/**
 * What v3 should hold after migrating `tree`: the single definition of the v2→v3 key/value mapping,
 * shared by the online migrator, the verifier and the diff mapping. Pure.
 */
export function expectedV3FromV2(tree: V2Tree | V2Node, options: MappingOptions = {}): ExpectedV3 {
  const root = "root" in tree ? tree.root : tree;
  const nowMs = options.nowMs ?? ("readAtMs" in tree ? tree.readAtMs : Date.now());
  const policy = options.ttlPolicy ?? "permanent";
  const prefix = normalisePrefix(options.prefix);
  const included = new Set(options.includeHidden ?? []);
  const kvs: ExpectedKv[] = [];
  const excluded: ExpectedV3["excluded"] = [];
  for (const { node, ancestors } of walkTree(root)) {
    const path = [...ancestors, node];
    const hiddenAt = path.findIndex((n) => n.key !== "/" && isHiddenKey(n.key));
    if (hiddenAt >= 0 && !path.slice(0, hiddenAt + 1).some((n) => included.has(n.key))) {
      excluded.push({ v2Key: node.key, reason: "hidden" });
      continue;
    }
    if (node.dir) {
      if (node.key !== "/") excluded.push({ v2Key: node.key, reason: "directory" });
      continue;
    }
    // upstream's --no-ttl test is on the node's own ttl field, which the server omits when zero
    if (policy === "drop" && node.ttl !== undefined && node.ttl !== 0) {
      excluded.push({ v2Key: node.key, reason: "ttl-dropped" });
      continue;
    }
    const kv: ExpectedKv = {
      v2Key: node.key,
      key: prefix + node.key,
      value: node.value ?? "",
      createdIndex: node.createdIndex,
      modifiedIndex: node.modifiedIndex,
    };
    if (policy === "lease") {
      const expiry = earliestExpiry(path);
      if (expiry !== undefined) {
        if (expiry <= nowMs) {
          excluded.push({ v2Key: node.key, reason: "expired" });
          continue;
        }
        kv.expiresAtMs = expiry;
        kv.leaseTtl = Math.max(1, Math.ceil((expiry - nowMs) / 1000));
      }
    }
    kvs.push(kv);
  }
  return { kvs, excluded };
}

function earliestExpiry(path: V2Node[]): number | undefined {
  let earliest: number | undefined;
  for (const n of path) {
    if (!n.expiration) continue;
    const at = Date.parse(n.expiration);
    if (Number.isNaN(at)) continue;
    if (earliest === undefined || at < earliest) earliest = at;
  }
  return earliest;
}

/**
 * Bytes one guarded put of `kv` adds to a migration Txn: the key appears in the compare, the put and
 * the failure-branch range; plus room for the protobuf framing.
 */
export function putRequestBytes(kv: Pick<ExpectedKv, "key" | "value">): number {
  return 3 * Buffer.byteLength(kv.key, "utf8") + Buffer.byteLength(kv.value, "utf8") + PUT_OVERHEAD_BYTES;
}

/** Generous framing allowance per put in a Txn (compare + put + range-on-failure headers). */
export const PUT_OVERHEAD_BYTES = 64;
/** etcd's default `--max-request-bytes` (1.5 MiB). */
export const DEFAULT_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;

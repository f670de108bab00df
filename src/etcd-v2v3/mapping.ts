import type { Mapping, MappingContext } from "../diff/mapping.js";
import { compareIds, type RecordStream, type SnapshotRecord } from "../snapshot/record.js";
import {
  type ExclusionReason,
  expectedV3FromV2,
  type MappingOptions,
  normalisePrefix,
  TTL_POLICIES,
  type TtlPolicy,
} from "./expected.js";
import type { V2Node } from "./tree.js";

/**
 * The diff's view of the v2→v3 migration: `etcd-v2` source records in, the `etcd-v3` records the target
 * should hold out. The key/value rules are expectedV3FromV2's, so the diff, the migrator and the
 * verifier cannot drift apart.
 */

const RULE: Record<ExclusionReason, { rule: string; reason: string }> = {
  directory: {
    rule: "etcd-v2v3/directory-not-migrated",
    reason: "v3 has no directories; only leaves are copied",
  },
  hidden: {
    rule: "etcd-v2v3/hidden-key-excluded",
    reason: "hidden (`_`) keys and subtrees are not migrated unless listed in includeHidden",
  },
  "ttl-dropped": {
    rule: "etcd-v2v3/ttl-dropped",
    reason: "ttlPolicy drop (= etcdctl migrate --no-ttl) leaves out TTL nodes",
  },
  expired: { rule: "etcd-v2v3/expired-skipped", reason: "ttlPolicy lease skips keys already expired" },
};

function optionsOf(context: MappingContext): MappingOptions {
  const o = context.options;
  const ttlPolicy =
    typeof o.ttlPolicy === "string" && TTL_POLICIES.includes(o.ttlPolicy as TtlPolicy)
      ? (o.ttlPolicy as TtlPolicy)
      : undefined;
  return {
    ttlPolicy,
    prefix: typeof o.prefix === "string" ? o.prefix : undefined,
    includeHidden: Array.isArray(o.includeHidden)
      ? o.includeHidden.filter((k): k is string => typeof k === "string")
      : undefined,
    nowMs: typeof o.nowMs === "number" ? o.nowMs : undefined,
  };
}

/** Rebuilds the v2 tree from its records (v2 stores are small: the snapshot reader holds it whole too). */
async function treeOf(source: RecordStream): Promise<V2Node> {
  const root: V2Node = { key: "/", dir: true, createdIndex: 0, modifiedIndex: 0, nodes: [] };
  const dirs = new Map<string, V2Node>([["/", root]]);
  const orphans: V2Node[] = [];
  for await (const record of source) {
    const node: V2Node = {
      key: String(record.key ?? record.id),
      dir: record.dir === true || record.kind === "dir",
      createdIndex: Number(record.createdIndex ?? 0),
      modifiedIndex: Number(record.modifiedIndex ?? 0),
    };
    if (!node.dir) node.value = typeof record.value === "string" ? record.value : "";
    if (typeof record.expiration === "string") node.expiration = record.expiration;
    if (typeof record.ttl === "number") node.ttl = record.ttl;
    if (node.dir) {
      node.nodes = [];
      dirs.set(node.key, node);
    }
    orphans.push(node);
  }
  // parents may come after children in id order ("/a-b" < "/a/b"), so link once all are known
  for (const node of orphans) {
    const parentKey = node.key.slice(0, node.key.lastIndexOf("/")) || "/";
    (dirs.get(parentKey) ?? root).nodes?.push(node);
  }
  return root;
}

function expectedRecords(mode: "offline" | "online"): Mapping["map"] {
  return (source, context) =>
    (async function* () {
      const options = optionsOf(context);
      const prefix = normalisePrefix(options.prefix);
      const { kvs, excluded } = expectedV3FromV2(await treeOf(source), options);
      for (const e of excluded) {
        const r = RULE[e.reason];
        context.account({ record: { id: e.v2Key, kind: e.reason === "directory" ? "dir" : "leaf" }, ...r });
      }
      const records: SnapshotRecord[] = kvs.map((kv) => {
        if (prefix)
          context.account({
            record: { id: kv.v2Key, kind: "leaf" },
            rule: "etcd-v2v3/prefixed",
            reason: `migrated under the prefix ${prefix}`,
            renamedTo: kv.key,
          });
        const segment = kv.key.replace(/^\//, "").split("/")[0] ?? "";
        return {
          id: kv.key,
          kind: segment === "" ? "(root)" : segment,
          key: kv.key,
          value: kv.value,
          // offline (etcdctl migrate) keeps the v2 indexes as revisions; online ones are new (ignored below)
          createRevision: mode === "offline" ? kv.createdIndex : 0,
          modRevision: mode === "offline" ? kv.modifiedIndex : 0,
          version: 1,
          lease: "0",
        };
      });
      records.sort((a, b) => compareIds(a.id, b.id));
      yield* records;
    })();
}

/** etcdctl migrate's result: revisions equal the v2 indexes, no leases. */
export const etcdV2V3Mapping: Mapping = {
  name: "etcd-v2v3",
  description: "etcd v2 → v3 as `etcdctl migrate` does it (options: ttlPolicy, prefix, includeHidden)",
  preservesOrder: true,
  map: expectedRecords("offline"),
};

/** The online migrator's result: same keys and values; revisions and lease ids are assigned by v3. */
export const etcdV2V3OnlineMapping: Mapping = {
  name: "etcd-v2v3-online",
  description: "etcd v2 → v3 by storeshift's online migrator: revisions and lease ids are new",
  preservesOrder: true,
  map: expectedRecords("online"),
  ignoreRules: [
    {
      name: "etcd-v2v3/online-revisions",
      description:
        "the v3 API assigns new revisions; the run's result records the v2 index → v3 revision mapping",
      paths: ["createRevision", "modRevision"],
      source: "etcd-v2v3-online",
    },
    {
      name: "etcd-v2v3/online-lease-ids",
      description: "ttlPolicy lease attaches leases whose ids v3 chooses",
      paths: ["lease"],
      source: "etcd-v2v3-online",
    },
  ],
};

export const mappings: Mapping[] = [etcdV2V3Mapping, etcdV2V3OnlineMapping];

import type { Difference } from "../diff/types.js";
import type { RawKeyValue } from "../snapshot/etcd-v3.js";
import type { ExpectedTree, ExpectedTreeKey } from "./expected-tree.js";

/** One v3 key-value as a member returns it (lease id as a decimal string, "0" for none). */
export type MemberKv = RawKeyValue;

/** What one member's v3 store holds, read at one revision. */
export interface MemberView {
  endpoint: string;
  revision: number;
  kvs: MemberKv[];
  /** Granted TTL (s) of each lease a key is attached to. */
  leaseTtls: Map<string, number>;
}

/**
 * The documented semantics the tree is checked under:
 * - `ttlPolicy`: `permanent` = etcdctl migrate's default (TTL keys kept, lease 0); `drop` =
 *   `--no-ttl` (keys with a TTL of their own left out, children of a TTL dir kept); `lease` =
 *   storeshift's lease policy (a lease no longer than the earliest TTL of the key and its dirs).
 * - `revisions`: `v2-indexes` = etcdctl migrate (create/mod revision = the v2 created/modified index,
 *   store revision = the highest of them); `fresh` = an online copy (one put per key: create = mod).
 */
export interface TreeSemantics {
  ttlPolicy: "permanent" | "drop" | "lease";
  revisions: "v2-indexes" | "fresh";
  /** v2-indexes: each key's v2 created/modified index, read from the v2 store by exact key. */
  v2Indexes?: Map<string, { createdIndex: number; modifiedIndex: number }>;
  /** lease: seconds a lease may have lost between seeding and the check (default 600). */
  leaseSlackS?: number;
}

function id(key: string): string {
  return `etcd:${key}`;
}

function kindOf(key: string): string {
  return key.split("/").filter(Boolean)[0] ?? "/";
}

function changed(key: string, path: string, expected: unknown, actual: unknown, note?: string): Difference {
  return {
    class: "changed",
    id: id(key),
    kind: kindOf(key),
    path,
    expected,
    actual,
    ...(note ? { note } : {}),
  };
}

function firstByteDiff(a: Buffer, b: Buffer): string {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++)
    if (a[i] !== b[i])
      return `first difference at byte ${i} (0x${a[i]?.toString(16)} → 0x${b[i]?.toString(16)})`;
  return `lengths ${a.length} → ${b.length}`;
}

function show(value: Buffer): string {
  return value.length > 200
    ? `${value.subarray(0, 200).toString("utf8")}… (${value.length} bytes)`
    : value.toString("utf8");
}

/**
 * Gives each `match:` entry the concrete key it stands for on this member: the entries sharing a
 * regex take the matching keys (not otherwise expected) in key order. An entry with no key left
 * keeps its regex as its key and is then reported missing.
 */
export function resolveKeys(tree: ExpectedTree, actualKeys: string[]): ExpectedTree {
  const exact = new Set(tree.keys.filter((k) => !k.match).map((k) => k.key));
  const free = actualKeys.filter((k) => !exact.has(k)).sort();
  const claimed = new Set<string>();
  const keys = tree.keys.map((k) => {
    if (!k.match) return k;
    const pattern = k.match;
    const hit = free.find((key) => !claimed.has(key) && pattern.test(key));
    if (!hit) return k;
    claimed.add(hit);
    return { ...k, key: hit };
  });
  return { ...tree, keys };
}

/** The keys the tree expects under a TTL policy, and the ones the policy leaves out (with why). */
export function keysUnder(
  tree: ExpectedTree,
  ttlPolicy: TreeSemantics["ttlPolicy"],
): { keys: ExpectedTreeKey[]; absent: Map<string, string> } {
  const absent = new Map(tree.absent.map((a) => [a.key, a.why]));
  const keys: ExpectedTreeKey[] = [];
  for (const k of tree.keys) {
    if (ttlPolicy === "drop" && k.ttl !== undefined) absent.set(k.key, "its own TTL (--no-ttl drops it)");
    else keys.push(k);
  }
  return { keys, absent };
}

/**
 * Compares one member's whole v3 key space with the expected tree. Pure. Every expected key must be
 * there with its exact bytes, version 1 and the lease and revisions the semantics define; nothing
 * else may be there.
 */
export function compareMember(
  tree: ExpectedTree,
  member: MemberView,
  semantics: TreeSemantics,
): Difference[] {
  const out: Difference[] = [];
  const byKey = new Map(member.kvs.map((kv) => [kv.key.toString("utf8"), kv]));
  const { keys, absent } = keysUnder(resolveKeys(tree, [...byKey.keys()]), semantics.ttlPolicy);
  const slack = semantics.leaseSlackS ?? 600;
  for (const want of keys) {
    const got = byKey.get(want.key);
    if (!got) {
      out.push({
        class: "missing",
        id: id(want.key),
        kind: kindOf(want.key),
        path: "",
        expected: show(want.value),
      });
      continue;
    }
    if (!got.value.equals(want.value))
      out.push(
        changed(want.key, "value", show(want.value), show(got.value), firstByteDiff(want.value, got.value)),
      );
    if (got.version !== 1)
      out.push(changed(want.key, "version", 1, got.version, "one migrated write per key"));
    if (semantics.revisions === "fresh") {
      if (got.createRevision !== got.modRevision)
        out.push(
          changed(want.key, "modRevision", got.createRevision, got.modRevision, "one put: create = mod"),
        );
    } else {
      const v2 = semantics.v2Indexes?.get(want.key);
      if (!v2) out.push(changed(want.key, "createRevision", "the v2 createdIndex", "no v2 node read"));
      else {
        if (got.createRevision !== v2.createdIndex)
          out.push(
            changed(want.key, "createRevision", v2.createdIndex, got.createRevision, "= v2 createdIndex"),
          );
        if (got.modRevision !== v2.modifiedIndex)
          out.push(changed(want.key, "modRevision", v2.modifiedIndex, got.modRevision, "= v2 modifiedIndex"));
      }
    }
    const ttls = [want.ttl, want.dirTtl].filter((t): t is number => t !== undefined);
    if (semantics.ttlPolicy === "lease" && ttls.length > 0) {
      const limit = Math.min(...ttls);
      const granted = member.leaseTtls.get(got.lease);
      if (got.lease === "0") out.push(changed(want.key, "lease", `a lease of <= ${limit} s`, "0"));
      else if (granted === undefined || granted > limit || granted < limit - slack)
        out.push(
          changed(
            want.key,
            "lease",
            `a lease of ${limit - slack}..${limit} s`,
            `${got.lease} (${granted ?? "?"} s)`,
          ),
        );
    } else if (got.lease !== "0") {
      out.push(
        changed(
          want.key,
          "lease",
          "0",
          got.lease,
          ttls.length ? "a v2 TTL becomes a permanent key" : undefined,
        ),
      );
    }
  }
  const expectedKeys = new Set(keys.map((k) => k.key));
  for (const [key, kv] of byKey) {
    if (expectedKeys.has(key)) continue;
    const why = absent.get(key);
    out.push({
      class: "unexpected",
      id: id(key),
      kind: kindOf(key),
      path: "",
      actual: show(kv.value),
      ...(why ? { note: `must be absent: ${why}` } : {}),
    });
  }
  if (semantics.revisions === "v2-indexes") out.push(...orderAndRevision(keys, byKey, member));
  return out.map((d) => ({ ...d, kind: `${d.kind}@${member.endpoint}` }));
}

/** etcdctl migrate keeps the fixture's write order in mod revisions, and the store ends at the highest. */
function orderAndRevision(
  keys: ExpectedTreeKey[],
  byKey: Map<string, MemberKv>,
  member: MemberView,
): Difference[] {
  const out: Difference[] = [];
  const stepped = keys
    .filter((k) => k.step !== undefined && byKey.has(k.key))
    .sort((a, b) => (a.step ?? 0) - (b.step ?? 0));
  for (let i = 1; i < stepped.length; i++) {
    const prev = stepped[i - 1];
    const cur = stepped[i];
    if (!prev || !cur || prev.step === cur.step) continue;
    const a = byKey.get(prev.key)?.modRevision ?? 0;
    const b = byKey.get(cur.key)?.modRevision ?? 0;
    if (!(a < b))
      out.push(
        changed(
          cur.key,
          "modRevision",
          `> ${a} (${prev.key}, written by an earlier step)`,
          b,
          "fixture write order",
        ),
      );
  }
  const highest = Math.max(0, ...[...byKey.values()].map((kv) => kv.modRevision));
  if (byKey.size > 0 && member.revision !== highest)
    out.push({
      class: "changed",
      id: `etcd-member:${member.endpoint}`,
      kind: "revision",
      path: "revision",
      expected: highest,
      actual: member.revision,
      note: "after etcdctl migrate the store revision is the highest migrated modifiedIndex",
    });
  return out;
}

/** Members must hold the same data: hashkv at one common revision equal on all of them. */
export function compareHashes(hashes: { endpoint: string; revision: number; hash: string }[]): Difference[] {
  const first = hashes[0];
  if (!first) return [];
  return hashes
    .slice(1)
    .filter((h) => h.hash !== first.hash || h.revision !== first.revision)
    .map((h) => ({
      class: "changed" as const,
      id: `etcd-member:${h.endpoint}`,
      kind: "hashkv",
      path: "hashkv",
      expected: { endpoint: first.endpoint, revision: first.revision, hash: first.hash },
      actual: { revision: h.revision, hash: h.hash },
    }));
}

/**
 * The online migrator's result against etcdctl migrate's on a copy of the same v2 data. Documented
 * differences, not counted: revisions (etcdctl writes the v2 indexes, an online copy gets new
 * revisions) and, under the lease policy, lease ids (etcdctl never attaches one). Everything else
 * (key set, value bytes, version) must be equal.
 */
export function compareWithReference(
  actual: MemberView,
  reference: MemberView,
  options: { leasesDiffer: boolean },
): Difference[] {
  const out: Difference[] = [];
  const mine = new Map(actual.kvs.map((kv) => [kv.key.toString("utf8"), kv]));
  const theirs = new Map(reference.kvs.map((kv) => [kv.key.toString("utf8"), kv]));
  for (const [key, ref] of theirs) {
    const got = mine.get(key);
    if (!got) {
      out.push({
        class: "missing",
        id: id(key),
        kind: kindOf(key),
        path: "",
        expected: show(ref.value),
        note: "etcdctl migrate wrote it",
      });
      continue;
    }
    if (!got.value.equals(ref.value))
      out.push(changed(key, "value", show(ref.value), show(got.value), firstByteDiff(ref.value, got.value)));
    if (got.version !== ref.version) out.push(changed(key, "version", ref.version, got.version));
    if (got.createRevision !== ref.createRevision || got.modRevision !== ref.modRevision)
      out.push({
        class: "accounted",
        id: id(key),
        kind: kindOf(key),
        path: "modRevision",
        rule: "online-revisions-are-new",
        expected: ref.modRevision,
        actual: got.modRevision,
      });
    if (got.lease !== ref.lease) {
      if (options.leasesDiffer)
        out.push({
          class: "accounted",
          id: id(key),
          kind: kindOf(key),
          path: "lease",
          rule: "lease-policy",
          expected: ref.lease,
          actual: got.lease,
        });
      else out.push(changed(key, "lease", ref.lease, got.lease));
    }
  }
  for (const [key, kv] of mine)
    if (!theirs.has(key))
      out.push({
        class: "unexpected",
        id: id(key),
        kind: kindOf(key),
        path: "",
        actual: show(kv.value),
        note: "etcdctl migrate did not write it",
      });
  return out;
}

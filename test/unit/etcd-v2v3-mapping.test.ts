import assert from "node:assert/strict";
import { test } from "node:test";
import { expectedV3FromV2, normalisePrefix, putRequestBytes } from "../../src/etcd-v2v3/expected.js";
import { migrateSucceeded } from "../../src/etcd-v2v3/offline.js";
import { splitBatches } from "../../src/etcd-v2v3/online.js";
import {
  graftNode,
  isHiddenKey,
  treeFingerprint,
  type V2Node,
  type V2Tree,
} from "../../src/etcd-v2v3/tree.js";
import type { V3Kv } from "../../src/etcd-v2v3/v3.js";
import { compareHashes, compareV2Trees, compareV3 } from "../../src/etcd-v2v3/verify.js";

const NOW = Date.parse("2026-11-25T00:00:00Z");
const at = (seconds: number) => new Date(NOW + seconds * 1000).toISOString();

function leaf(key: string, value: string, index: number, extra: Partial<V2Node> = {}): V2Node {
  return { key, dir: false, value, createdIndex: index, modifiedIndex: index, ...extra };
}
function dir(key: string, nodes: V2Node[], index: number, extra: Partial<V2Node> = {}): V2Node {
  return { key, dir: true, createdIndex: index, modifiedIndex: index, nodes, ...extra };
}

/** The tree the v2 API returns for fixtures/etcd-v2/shapes.yaml, cut down to one node per rule. */
function sampleTree(): V2Tree {
  const root = dir(
    "/",
    [
      leaf("/plain", "value1", 4),
      leaf("/upd", "second", 6, { createdIndex: 5 }),
      dir("/emptydir", [], 7),
      dir("/dir1", [dir("/dir1/nested", [leaf("/dir1/nested/deep", "deepval", 9)], 9)], 8),
      leaf("/empty", "", 10),
      leaf("/ttlkey", "expires", 11, { expiration: at(3600), ttl: 3600 }),
      dir(
        "/ttldir",
        [
          leaf("/ttldir/child", "childval", 13),
          dir(
            "/ttldir/sub",
            [leaf("/ttldir/sub/grandchild", "gc", 15, { expiration: at(7200), ttl: 7200 })],
            14,
          ),
        ],
        12,
        { expiration: at(600), ttl: 600 },
      ),
      leaf("/gone", "expired but not purged", 16, { expiration: at(-5), ttl: -5 }),
      leaf("/unicode/ключ", "значение ✓", 17),
    ],
    0,
  );
  return { root, etcdIndex: 17, readAtMs: NOW };
}

test("default mapping = etcdctl migrate: leaves only, leading / kept, TTL keys permanent (even expired)", () => {
  const { kvs, excluded } = expectedV3FromV2(sampleTree());
  assert.deepEqual(
    kvs.map((kv) => [kv.key, kv.value, kv.createdIndex, kv.modifiedIndex]),
    [
      ["/dir1/nested/deep", "deepval", 9, 9],
      ["/empty", "", 10, 10],
      ["/gone", "expired but not purged", 16, 16],
      ["/plain", "value1", 4, 4],
      ["/ttldir/child", "childval", 13, 13],
      ["/ttldir/sub/grandchild", "gc", 15, 15],
      ["/ttlkey", "expires", 11, 11],
      ["/unicode/ключ", "значение ✓", 17, 17],
      ["/upd", "second", 5, 6],
    ],
  );
  assert.ok(kvs.every((kv) => kv.leaseTtl === undefined));
  assert.deepEqual(
    excluded.map((e) => `${e.reason} ${e.v2Key}`),
    [
      "directory /dir1",
      "directory /dir1/nested",
      "directory /emptydir",
      "directory /ttldir",
      "directory /ttldir/sub",
    ],
  );
});

test("drop (= --no-ttl) leaves out nodes with their own TTL but keeps children of a TTL dir", () => {
  const keys = expectedV3FromV2(sampleTree(), { ttlPolicy: "drop" }).kvs.map((kv) => kv.key);
  assert.ok(!keys.includes("/ttlkey"));
  assert.ok(!keys.includes("/gone"));
  assert.ok(!keys.includes("/ttldir/sub/grandchild"));
  assert.ok(keys.includes("/ttldir/child"));
});

test("lease: earliest expiry of the key and its ancestors, expired keys skipped, TTL rounded up", () => {
  const { kvs, excluded } = expectedV3FromV2(sampleTree(), { ttlPolicy: "lease", nowMs: NOW + 500 });
  const ttl = new Map(kvs.map((kv) => [kv.key, kv.leaseTtl]));
  assert.equal(ttl.get("/ttlkey"), 3600);
  assert.equal(ttl.get("/ttldir/child"), 600);
  assert.equal(ttl.get("/ttldir/sub/grandchild"), 600, "the dir expires before the key's own TTL");
  assert.equal(ttl.get("/plain"), undefined);
  assert.ok(!ttl.has("/gone"));
  assert.ok(excluded.some((e) => e.v2Key === "/gone" && e.reason === "expired"));
});

test("prefix: /a becomes <prefix>/a; a trailing slash is not doubled", () => {
  const kvs = expectedV3FromV2(sampleTree(), { prefix: "/migrated/" }).kvs;
  assert.ok(kvs.every((kv) => kv.key === `/migrated${kv.v2Key}`));
  assert.equal(normalisePrefix(""), "");
  assert.throws(() => normalisePrefix("a\0b"), /prefix "a\\u0000b" has a NUL/);
});

test("hidden keys and subtrees are skipped unless listed; a listed hidden dir brings its subtree", () => {
  const tree = sampleTree();
  assert.ok(graftNode(tree.root, leaf("/_hidden", "h", 20)));
  assert.ok(graftNode(tree.root, dir("/_hdir", [leaf("/_hdir/inner", "i", 21)], 21)));
  assert.ok(graftNode(tree.root, leaf("/dir1/_secret", "s", 22)));
  assert.equal(graftNode(tree.root, leaf("/nope/_x", "x", 23)), false, "no parent to graft under");
  const plain = expectedV3FromV2(tree).kvs.map((kv) => kv.key);
  assert.ok(!plain.some((k) => k.includes("/_")));
  const included = expectedV3FromV2(tree, { includeHidden: ["/_hdir", "/dir1/_secret"] }).kvs.map(
    (kv) => kv.key,
  );
  assert.ok(included.includes("/_hdir/inner"));
  assert.ok(included.includes("/dir1/_secret"));
  assert.ok(!included.includes("/_hidden"));
  assert.equal(isHiddenKey("/a/_b"), true);
  assert.equal(isHiddenKey("/_a/b"), false, "only the last segment decides for the node itself");
});

test("batches: at most 128 puts and at most the request limit; an oversize value gets its own batch", () => {
  const kvs = Array.from({ length: 300 }, (_, i) => ({ key: `/k${i}`, value: "x".repeat(10) }));
  assert.deepEqual(
    splitBatches(kvs, 128, 1_572_864).map((b) => b.length),
    [128, 128, 44],
  );
  const big = [
    { key: "/a", value: "x".repeat(1_000_000) },
    { key: "/b", value: "x".repeat(1_000_000) },
    { key: "/c", value: "y" },
  ];
  assert.deepEqual(
    splitBatches(big, 128, 1_572_864).map((b) => b.map((kv) => kv.key)),
    [["/a"], ["/b", "/c"]],
  );
  assert.equal(putRequestBytes({ key: "/ключ", value: "✓" }), 3 * 9 + 3 + 64);
});

function kv(key: string, value: string, rev: number, extra: Partial<V3Kv> = {}): V3Kv {
  return {
    key: Buffer.from(key),
    value: Buffer.from(value),
    createRevision: rev,
    modRevision: rev,
    version: 1,
    lease: "0",
    ...extra,
  };
}

test("compareV3 offline: revisions must equal v2 indexes; missing, unexpected, changed are named", () => {
  const expected = expectedV3FromV2(
    dir("/", [leaf("/a", "1", 4), leaf("/b", "2", 5), leaf("/c", "3", 6)], 0),
  );
  const diffs = compareV3(
    expected,
    [kv("/a", "1", 4), kv("/b", "two", 9, { createRevision: 5, version: 2 }), kv("/x", "?", 7)],
    { mode: "offline" },
  );
  assert.deepEqual(
    diffs.map((d) => `${d.class} ${d.id} ${d.path}`.trim()),
    [
      "changed etcd:/b value",
      "changed etcd:/b modRevision",
      "changed etcd:/b version",
      "missing etcd:/c",
      "unexpected etcd:/x",
    ],
  );
  assert.deepEqual(
    compareV3(expected, [kv("/a", "1", 4), kv("/b", "2", 5), kv("/c", "3", 6)], { mode: "offline" }),
    [],
  );
});

test("compareHashes and compareV2Trees: members that disagree, and a v2 tree that changed", () => {
  const h = (endpoint: string, hash: string, revision = 9) => ({
    endpoint,
    hash,
    revision,
    compactRevision: -1,
  });
  assert.deepEqual(compareHashes([h("a", "1"), h("b", "1")]), []);
  assert.equal(compareHashes([h("a", "1"), h("b", "2"), h("c", "1", 10)]).length, 2);
  const before = sampleTree();
  const after = sampleTree();
  const ttlNode = after.root.nodes?.find((n) => n.key === "/ttlkey");
  if (ttlNode) ttlNode.ttl = 12; // counting down is no change
  assert.deepEqual(compareV2Trees(before, after), []);
  assert.equal(treeFingerprint(before.root), treeFingerprint(after.root));
  after.root.nodes?.push(leaf("/new", "n", 30));
  assert.deepEqual(
    compareV2Trees(before, after).map((d) => `${d.class} ${d.id}`),
    ["unexpected etcd-v2:/new"],
  );
});

test("etcdctl migrate succeeded only with rc 0 and its words", () => {
  assert.equal(
    migrateSucceeded({ exitCode: 0, stdout: "using default transformer\nfinished transforming keys\n" }),
    true,
  );
  assert.equal(migrateSucceeded({ exitCode: 0, stdout: "no v2 keys to migrate\n" }), true);
  assert.equal(migrateSucceeded({ exitCode: 0, stdout: "" }), false);
  assert.equal(migrateSucceeded({ exitCode: 1, stdout: "finished transforming keys" }), false);
});

test("diff mapping adapter: etcd-v2 records → expected etcd-v3 records, exclusions accounted with rules", async () => {
  const { etcdV2V3Mapping, etcdV2V3OnlineMapping } = await import("../../src/etcd-v2v3/mapping.js");
  const flat: V2Node[] = [];
  for (const { node } of (await import("../../src/etcd-v2v3/tree.js")).walkTree(sampleTree().root))
    if (node.key !== "/") flat.push(node);
  const hidden = leaf("/dir1/_h", "h", 30);
  flat.push(hidden);
  // the diff hands records over in id order, where "/dir1/_h" sorts after "/dir1/nested/deep"
  const records = flat
    .map((n) => ({ id: n.key, kind: n.dir ? "dir" : "leaf", ...n, nodes: undefined }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const notes: { id: string; rule: string }[] = [];
  const run = async (mapping: typeof etcdV2V3Mapping, options: Record<string, unknown>) => {
    notes.length = 0;
    const out = [];
    const context = {
      source: { storeshiftSnapshot: 1 as const, format: "etcd-v2" as const, store: "test", capturedAt: "" },
      options,
      account: (n: { record: { id: string }; rule: string }) => notes.push({ id: n.record.id, rule: n.rule }),
    };
    for await (const r of mapping.map(
      (async function* () {
        yield* records;
      })(),
      context,
    ))
      out.push(r);
    return out;
  };
  const offline = await run(etcdV2V3Mapping, {});
  assert.deepEqual(
    offline.map((r) => r.id),
    expectedV3FromV2(sampleTree())
      .kvs.map((kv) => kv.key)
      .sort(),
  );
  const upd = offline.find((r) => r.id === "/upd");
  assert.deepEqual(upd, {
    id: "/upd",
    kind: "upd",
    key: "/upd",
    value: "second",
    createRevision: 5,
    modRevision: 6,
    version: 1,
    lease: "0",
  });
  assert.ok(notes.some((n) => n.id === "/dir1/_h" && n.rule === "etcd-v2v3/hidden-key-excluded"));
  assert.ok(notes.some((n) => n.id === "/emptydir" && n.rule === "etcd-v2v3/directory-not-migrated"));

  const online = await run(etcdV2V3OnlineMapping, {
    prefix: "/m",
    ttlPolicy: "drop",
    includeHidden: ["/dir1/_h"],
  });
  assert.ok(online.some((r) => r.id === "/m/dir1/_h"));
  assert.ok(!online.some((r) => r.id === "/m/ttlkey"));
  assert.ok(notes.some((n) => n.id === "/ttlkey" && n.rule === "etcd-v2v3/ttl-dropped"));
  assert.ok(notes.some((n) => n.id === "/plain" && n.rule === "etcd-v2v3/prefixed"));
  assert.deepEqual(
    etcdV2V3OnlineMapping.ignoreRules?.map((r) => r.name),
    ["etcd-v2v3/online-revisions", "etcd-v2v3/online-lease-ids"],
  );
});

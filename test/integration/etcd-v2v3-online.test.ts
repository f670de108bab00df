import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { after, test } from "node:test";
import { stopAll } from "../../src/common/cleanup.js";
import { etcdClient } from "../../src/common/etcd-client.js";
import { removeDir } from "../../src/common/temp.js";
import { loadFixture, seedV2 } from "../../src/etcd-v2v3/fixture.js";
import { migrateOffline, rollbackOffline } from "../../src/etcd-v2v3/offline.js";
import { CollisionError, migrateOnline } from "../../src/etcd-v2v3/online.js";
import { rollbackOnline } from "../../src/etcd-v2v3/rollback.js";
import { leaves, treeFingerprint } from "../../src/etcd-v2v3/tree.js";
import { readV2Tree } from "../../src/etcd-v2v3/v2-client.js";
import { readV3Range } from "../../src/etcd-v2v3/v3.js";
import { verifyMigration } from "../../src/etcd-v2v3/verify.js";
import { startLocalEtcd } from "../../src/providers/etcd/local-etcd.js";
import { requireBinary } from "../helpers/binaries.js";

after(stopAll);

const FIXTURES = join(import.meta.dirname, "../../fixtures/etcd-v2");

/** key → value (text) of the whole v3 key space. */
async function v3Dump(endpoint: string, prefix = ""): Promise<Map<string, string>> {
  const client = etcdClient([endpoint], { purpose: "test" });
  try {
    const { kvs } = await readV3Range(client, prefix);
    return new Map(kvs.map((kv) => [kv.key.toString("utf8"), kv.value.toString("utf8")]));
  } finally {
    client.close();
  }
}

async function v3Put(endpoint: string, key: string, value: string): Promise<void> {
  const client = etcdClient([endpoint], { purpose: "test" });
  try {
    await client.put(key).value(value);
  } finally {
    client.close();
  }
}

const fixtureFiles = (await readdir(FIXTURES)).filter((f) => f.endsWith(".yaml")).sort();

for (const file of fixtureFiles) {
  test(`differential on ${file}: online migrator = real etcdctl migrate (key set and values); rollback both ways`, async () => {
    await requireBinary("etcdctl-v2");
    const fixture = await loadFixture(join(FIXTURES, file));
    await using etcd = await startLocalEtcd({ enableV2: true, name: `v2v3-diff-${fixture.name}` });
    const endpoint = etcd.endpoints[0] ?? "";
    await seedV2(endpoint, fixture);
    const before = await readV2Tree(endpoint);

    const offline = await migrateOffline(etcd);
    try {
      assert.deepEqual(offline.discrepancies, [], "offline verification");
      const byEtcdctl = await v3Dump(endpoint);
      assert.equal(byEtcdctl.size, offline.expectedKeys);

      // offline rollback: back to the pre-migration data dir, v3 empty, v2 as it was
      await rollbackOffline(offline.backups, { cluster: etcd });
      assert.equal((await v3Dump(endpoint)).size, 0, "v3 empty after offline rollback");
      assert.equal(treeFingerprint((await readV2Tree(endpoint)).root), treeFingerprint(before.root));

      if (fixture.name === "oversize") {
        await assert.rejects(
          migrateOnline({ v2Endpoint: endpoint, v3Endpoints: etcd.endpoints }),
          /1 value\(s\) exceed the v3 request limit of 1572864 bytes.*\/huge \(1600000 B\); nothing written/,
        );
        assert.equal((await v3Dump(endpoint)).size, 0, "nothing written before the size refusal");
        assert.equal(byEtcdctl.get("/huge")?.length, 1_600_000, "etcdctl migrate has no size check");
        return;
      }
      const online = await migrateOnline({ v2Endpoint: endpoint, v3Endpoints: etcd.endpoints });
      const byOnline = await v3Dump(endpoint);
      assert.deepEqual([...byOnline.keys()], [...byEtcdctl.keys()], "same key set");
      for (const [key, value] of byEtcdctl) assert.equal(byOnline.get(key), value, `value of ${key}`);
      assert.equal(online.migrated.length, byEtcdctl.size);
      const report = await verifyMigration({
        v2Endpoint: endpoint,
        v3Endpoints: etcd.endpoints,
        mode: "online",
        result: online,
        v2Before: before,
      });
      assert.deepEqual(report.discrepancies, []);

      const undone = await rollbackOnline(online);
      assert.equal(undone.deleted.length, online.migrated.length);
      assert.equal((await v3Dump(endpoint)).size, 0, "v3 empty after online rollback");
      assert.equal(treeFingerprint((await readV2Tree(endpoint)).root), treeFingerprint(before.root));
    } finally {
      await removeDir(offline.backupRoot);
    }
  });
}

test("--no-ttl differential on shapes.yaml: online `drop` = etcdctl migrate --no-ttl (TTL-dir children kept)", async () => {
  const fixture = await loadFixture(join(FIXTURES, "shapes.yaml"));
  await using etcd = await startLocalEtcd({ enableV2: true, name: "v2v3-nottl" });
  const endpoint = etcd.endpoints[0] ?? "";
  await seedV2(endpoint, fixture);
  const offline = await migrateOffline(etcd, { noTtl: true });
  try {
    assert.deepEqual(offline.discrepancies, []);
    const byEtcdctl = await v3Dump(endpoint);
    assert.equal(byEtcdctl.has("/ttlkey"), false);
    assert.equal(byEtcdctl.has("/ttldir/sub/grandchild"), false);
    assert.equal(byEtcdctl.get("/ttldir/child"), "childval");
    await rollbackOffline(offline.backups, { cluster: etcd });
    await migrateOnline({ v2Endpoint: endpoint, v3Endpoints: etcd.endpoints, ttlPolicy: "drop" });
    assert.deepEqual(await v3Dump(endpoint), byEtcdctl);
  } finally {
    await removeDir(offline.backupRoot);
  }
});

test("collisions: refused before any write; `skip` keeps the v3 value; a re-run is idempotent", async () => {
  await using etcd = await startLocalEtcd({ enableV2: true, name: "v2v3-collide" });
  const endpoint = etcd.endpoints[0] ?? "";
  await seedV2(endpoint, await loadFixture(join(FIXTURES, "generated-small.yaml")));
  const tree = await readV2Tree(endpoint);
  const [victim = "", sameValue = ""] = leaves(tree.root).map((n) => n.key);
  await v3Put(endpoint, victim, "owned by a v3 client");
  // a key already holding the v2 value is no collision: it counts as already present
  const sameNode = leaves(tree.root).find((n) => n.key === sameValue);
  await v3Put(endpoint, sameValue, sameNode?.value ?? "");
  const before = await v3Dump(endpoint);
  const error = await migrateOnline({ v2Endpoint: endpoint, v3Endpoints: etcd.endpoints }).catch((e) => e);
  assert.ok(error instanceof CollisionError, String(error));
  assert.equal(
    error.message,
    `migrate etcd v2→v3 online: refused: 1 v3 key(s) already exist with other values: ${victim}; nothing written`,
  );
  assert.equal(error.exitCode, 1);
  assert.deepEqual(await v3Dump(endpoint), before, "nothing written");

  const first = await migrateOnline({
    v2Endpoint: endpoint,
    v3Endpoints: etcd.endpoints,
    onCollision: "skip",
  });
  const after1 = await v3Dump(endpoint);
  for (const c of first.collisions)
    assert.equal(after1.get(c.key), before.get(c.key), `${c.key} not clobbered`);
  assert.deepEqual(
    first.collisions.map((c) => c.key),
    [victim],
  );
  assert.deepEqual(
    first.alreadyPresent.map((c) => c.key),
    [sameValue],
  );
  assert.equal(first.migrated.length, 298);

  const again = await migrateOnline({
    v2Endpoint: endpoint,
    v3Endpoints: etcd.endpoints,
    onCollision: "skip",
  });
  assert.equal(again.migrated.length, 0, "re-run writes nothing");
  assert.equal(again.alreadyPresent.length, 299);
  assert.equal(again.txns, 0);
  assert.equal(again.v3RevisionAfter, first.v3RevisionAfter);
  assert.deepEqual(await v3Dump(endpoint), after1);

  const report = await verifyMigration({
    v2Endpoint: endpoint,
    v3Endpoints: etcd.endpoints,
    mode: "online",
    result: first,
  });
  assert.deepEqual(
    report.discrepancies.filter((d) => d.class !== "accounted"),
    [],
  );
  assert.equal(report.discrepancies.length, first.collisions.length);
});

test("online rollback deletes exactly the migrated keys, keeps the ones v3 clients changed since", async () => {
  await using etcd = await startLocalEtcd({ enableV2: true, name: "v2v3-rollback" });
  const endpoint = etcd.endpoints[0] ?? "";
  await seedV2(endpoint, await loadFixture(join(FIXTURES, "shapes.yaml")));
  await v3Put(endpoint, "/unrelated", "v3 data from before");
  const result = await migrateOnline({ v2Endpoint: endpoint, v3Endpoints: etcd.endpoints });
  await v3Put(endpoint, "/plain", "changed after migration");
  const undone = await rollbackOnline(result);
  assert.deepEqual(
    undone.kept.map((k) => k.key),
    ["/plain"],
  );
  assert.equal(undone.deleted.length, result.migrated.length - 1);
  assert.deepEqual(
    await v3Dump(endpoint),
    new Map([
      ["/plain", "changed after migration"],
      ["/unrelated", "v3 data from before"],
    ]),
  );
});

test("lease policy: TTL keys get leases with their (or their TTL dir's) earliest expiry; prefix and hidden keys", async () => {
  await using etcd = await startLocalEtcd({ enableV2: true, name: "v2v3-lease" });
  const endpoint = etcd.endpoints[0] ?? "";
  const fixture = await loadFixture(join(FIXTURES, "shapes.yaml"));
  await seedV2(endpoint, fixture);
  const result = await migrateOnline({
    v2Endpoint: endpoint,
    v3Endpoints: etcd.endpoints,
    ttlPolicy: "lease",
    prefix: "/migrated",
    includeHidden: fixture.includeHidden,
  });
  const byKey = new Map(result.migrated.map((m) => [m.key, m]));
  assert.equal(byKey.get("/migrated/plain")?.lease, "0");
  const own = byKey.get("/migrated/ttlkey")?.lease ?? "0";
  const viaDir = byKey.get("/migrated/ttldir/child")?.lease ?? "0";
  // grandchild's own TTL is 7200 s but its dir expires after 3600 s: the earlier one wins
  const grandchild = byKey.get("/migrated/ttldir/sub/grandchild")?.lease ?? "0";
  assert.notEqual(own, "0");
  assert.equal(viaDir, own);
  assert.equal(grandchild, own);
  assert.deepEqual(
    result.leases.map((l) => l.keys),
    [3],
  );
  const client = etcdClient(etcd.endpoints, { purpose: "test" });
  try {
    const ttl = await client.leaseClient.leaseTimeToLive({ ID: own, keys: true });
    assert.ok(Number(ttl.TTL) > 3500 && Number(ttl.TTL) <= 3600, `lease TTL ${ttl.TTL}`);
    assert.equal(ttl.keys?.length, 3);
  } finally {
    client.close();
  }
  for (const hidden of ["/migrated/_hidden", "/migrated/_hdir/inner", "/migrated/app/_secret"]) {
    assert.ok(byKey.has(hidden), `${hidden} included on request`);
  }
  const v3 = await v3Dump(endpoint);
  assert.ok([...v3.keys()].every((k) => k.startsWith("/migrated/")));
  const report = await verifyMigration({
    v2Endpoint: endpoint,
    v3Endpoints: etcd.endpoints,
    mode: "online",
    result,
  });
  assert.deepEqual(report.discrepancies, []);
  const undone = await rollbackOnline(result);
  assert.deepEqual(undone.leasesRevoked, [own]);
  assert.equal((await v3Dump(endpoint)).size, 0);
});

test("online on three members: one read, replicated writes, every member verified and hashkv equal", async () => {
  await using etcd = await startLocalEtcd({ enableV2: true, members: 3, name: "v2v3-online-three" });
  const endpoint = etcd.endpoints[2] ?? "";
  await seedV2(endpoint, await loadFixture(join(FIXTURES, "generated-small.yaml")));
  const before = await readV2Tree(endpoint);
  const result = await migrateOnline({ v2Endpoint: endpoint, v3Endpoints: etcd.endpoints, concurrency: 1 });
  assert.equal(result.migrated.length, 300);
  assert.equal(result.txns, 3);
  // one Txn at a time, sorted by v2 modifiedIndex: v3 revisions follow the v2 order
  const byIndex = [...result.migrated].sort((a, b) => a.modifiedIndex - b.modifiedIndex);
  for (let i = 1; i < byIndex.length; i++)
    assert.ok(
      (byIndex[i]?.revision ?? 0) >= (byIndex[i - 1]?.revision ?? 0),
      "revision order follows v2 order",
    );
  const report = await verifyMigration({
    v2Endpoint: endpoint,
    v3Endpoints: etcd.endpoints,
    mode: "online",
    result,
    v2Before: before,
  });
  assert.deepEqual(report.discrepancies, []);
  assert.equal(report.hashkv.length, 3);
  assert.equal(new Set(report.hashkv.map((h) => h.hash)).size, 1);
  assert.deepEqual(Object.values(report.actualKeys), [300, 300, 300]);
});

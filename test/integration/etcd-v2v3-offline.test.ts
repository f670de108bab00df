import assert from "node:assert/strict";
import { after, test } from "node:test";
import { stopAll } from "../../src/common/cleanup.js";
import { removeDir } from "../../src/common/temp.js";
import { migrateOffline, rollbackOffline } from "../../src/etcd-v2v3/offline.js";
import { v2Set } from "../../src/etcd-v2v3/v2-client.js";
import { connectV3, readV3Range } from "../../src/etcd-v2v3/v3.js";
import { startLocalEtcd } from "../../src/providers/etcd/local-etcd.js";
import { requireBinary } from "../helpers/binaries.js";

after(stopAll);

async function v3Get(endpoint: string, key: string) {
  const client = connectV3([endpoint]);
  try {
    const { kvs } = await readV3Range(client, key);
    return kvs.find((kv) => kv.key.toString() === key);
  } finally {
    client.close();
  }
}

test("seed's steps on one member: v2 `set foo bar` → stop → etcdctl migrate → restart → v3 get /foo is bar", async () => {
  await requireBinary("etcdctl-v2");
  await using etcd = await startLocalEtcd({ enableV2: true, name: "v2v3-one" });
  const written = await v2Set(etcd.endpoints[0] ?? "", "/foo", "bar");
  const result = await migrateOffline(etcd);
  try {
    assert.equal(result.members.length, 1);
    assert.equal(result.members[0]?.outcome, "finished transforming keys");
    assert.deepEqual(result.discrepancies, []);
    const kv = await v3Get(etcd.endpoints[0] ?? "", "/foo");
    assert.equal(kv?.value.toString(), "bar");
    assert.equal(kv?.createRevision, written.createdIndex);
    assert.equal(kv?.modRevision, written.modifiedIndex);
    assert.equal(kv?.version, 1);
  } finally {
    await removeDir(result.backupRoot);
  }
});

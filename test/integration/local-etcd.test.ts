import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Etcd3 } from "etcd3";
import { stopAll } from "../../src/common/cleanup.js";
import { isHealthy, startLocalEtcd } from "../../src/providers/etcd/local-etcd.js";
import { isAlive } from "../helpers/leaks.js";

after(stopAll);

test("etcd 3.4 with --enable-v2 serves the v2 API: a v2 write reads back, and v3 does not see it", async () => {
  await using etcd = await startLocalEtcd({ enableV2: true, name: "v2-test" });
  assert.match(etcd.version, /^3\.4\./);
  const url = `${etcd.endpoints[0]}/v2/keys/storeshift/foo`;
  const put = await fetch(url, { method: "PUT", body: new URLSearchParams({ value: "bar" }) });
  assert.equal(put.status, 201);
  const got = (await (await fetch(url)).json()) as {
    node: { key: string; value: string; createdIndex: number };
  };
  assert.equal(got.node.key, "/storeshift/foo");
  assert.equal(got.node.value, "bar");
  const v3 = new Etcd3({ hosts: etcd.endpoints });
  try {
    assert.equal(await v3.get("/storeshift/foo").string(), null, "v2 and v3 keyspaces are separate");
  } finally {
    v3.close();
  }
});

test("etcd 3.6 serves v3: put/get through the etcd3 client, and stop() removes its data dir", async () => {
  const etcd = await startLocalEtcd({ name: "v3-test" });
  assert.match(etcd.version, /^3\.6\./);
  const client = new Etcd3({ hosts: etcd.endpoints });
  try {
    await client.put("/a/b").value("c");
    assert.equal(await client.get("/a/b").string(), "c");
  } finally {
    client.close();
  }
  const { existsSync } = await import("node:fs");
  assert.ok(existsSync(etcd.rootDir));
  const pid = etcd.member(0).pid ?? -1;
  await etcd.stop();
  assert.equal(existsSync(etcd.rootDir), false);
  assert.equal(isAlive(pid), false);
});

test("3-member cluster: one member SIGKILLed, the other two keep quorum, the member restarts from its data dir", async () => {
  await using etcd = await startLocalEtcd({ members: 3, name: "cluster-test" });
  const client = new Etcd3({ hosts: etcd.endpoints });
  try {
    await client.put("before").value("1");
    const victim = etcd.member(2);
    const pid = victim.pid ?? -1;
    await victim.kill();
    assert.equal(isAlive(pid), false);
    await assert.rejects(isHealthy(victim.clientUrl));
    // quorum (2 of 3) still accepts writes
    const survivors = new Etcd3({ hosts: [etcd.member(0).clientUrl] });
    try {
      await survivors.put("during").value("2");
    } finally {
      survivors.close();
    }
    await victim.start();
    assert.equal(await isHealthy(victim.clientUrl), true);
    const direct = new Etcd3({ hosts: [victim.clientUrl] });
    try {
      assert.equal(await direct.get("before").string(), "1");
      assert.equal(await direct.get("during").string(), "2", "the restarted member caught up");
    } finally {
      direct.close();
    }
  } finally {
    client.close();
  }
});

test("pause (SIGSTOP) makes a member unresponsive; resume brings it back", async () => {
  await using etcd = await startLocalEtcd({ name: "pause-test" });
  const m = etcd.member(0);
  m.pause();
  await assert.rejects(isHealthy(m.clientUrl));
  m.resume();
  await m.waitHealthy();
});

test("--enable-v2 on etcd 3.6 is refused with a reason", async () => {
  await assert.rejects(startLocalEtcd({ enableV2: true, line: "current" }), /etcd 3\.6 has no v2 API/);
});

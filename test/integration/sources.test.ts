import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { after, before, test } from "node:test";
import { execa } from "execa";
import { loadFixture, seedCalicoEtcd } from "../../src/calico/fixture.js";
import { stopAll } from "../../src/common/cleanup.js";
import { etcdClient } from "../../src/common/etcd-client.js";
import { makeTempDir, removeDir } from "../../src/common/temp.js";
import { readV2Tree, v2Set } from "../../src/etcd-v2v3/v2-client.js";
import { type StartedLocalEtcd, startLocalEtcd } from "../../src/providers/etcd/local-etcd.js";
import { identifySource, openSource } from "../../src/sources/index.js";
import { requireBinary } from "../helpers/binaries.js";

/**
 * Every seed source on real stores: the copy holds what the original holds, and the original
 * (file, dir, or live endpoint) is byte-identical afterwards.
 */

let dir: string;
let live: StartedLocalEtcd;
let snapshotFile: string;
let dataDir: string;
let dumpFile: string;

/** SHA-256 over every file (path and bytes) under a path: equal before and after = untouched. */
async function treeHash(path: string): Promise<string> {
  const h = createHash("sha256");
  const visit = async (p: string): Promise<void> => {
    const s = await stat(p);
    if (s.isDirectory()) {
      for (const e of (await readdir(p)).sort()) await visit(join(p, e));
    } else {
      h.update(relative(path, p));
      h.update(await readFile(p));
    }
  };
  await visit(path);
  return h.digest("hex");
}

async function v3Keys(endpoints: string[]): Promise<Record<string, string>> {
  const c = etcdClient(endpoints, { purpose: "test" });
  try {
    return await c.getAll().prefix("").strings();
  } finally {
    c.close();
  }
}

before(async () => {
  dir = await makeTempDir("sources-test");
  // an etcd 3.4 member with Calico data in v3 and keys in v2, like a cluster storeshift did not seed
  live = await startLocalEtcd({ name: "sources-live", enableV2: true });
  await seedCalicoEtcd(live.endpoints, await loadFixture("fixtures/calico/dataset.yaml"));
  await v2Set(live.endpoints[0] ?? "", "/app/config", "v1");
  await v2Set(live.endpoints[0] ?? "", "/app/nested/deep", "x");
  snapshotFile = join(dir, "prod.db");
  const etcdctl = await requireBinary("etcdctl-v2");
  await execa(etcdctl, ["snapshot", "save", snapshotFile, `--endpoints=${live.endpoints[0]}`], {
    env: { ETCDCTL_API: "3" },
  });
  const res = await fetch(`${live.endpoints[0]}/v2/keys/?recursive=true`);
  dumpFile = join(dir, "v2.json");
  await writeFile(dumpFile, await res.text());
});

after(async () => {
  await stopAll();
  await removeDir(dir);
});

test("a snapshot is restored with etcdctl into a store holding every key; the file is unchanged", async () => {
  const before = await treeHash(snapshotFile);
  assert.equal((await identifySource(snapshotFile)).kind, "snapshot");
  const opened = await openSource({ kind: "snapshot", location: snapshotFile }, "calico");
  try {
    assert.deepEqual(await v3Keys(opened.etcd.endpoints), await v3Keys(live.endpoints));
  } finally {
    await opened.etcd.stop();
  }
  assert.equal(await treeHash(snapshotFile), before);
});

test("a data dir of a running member is refused; stopped, it is copied (v2 included) and left unchanged", async () => {
  const member = live.member(0);
  dataDir = member.info.dataDir;
  await assert.rejects(
    openSource({ kind: "data-dir", location: dataDir }, "etcd-v2v3"),
    (err: Error) => err.message.includes(dataDir) && /running etcd \(pid \d+/.test(err.message),
  );
  const v3 = await v3Keys(live.endpoints);
  const v2 = (await readV2Tree(live.endpoints[0] ?? "")).root;
  await member.stop();
  try {
    const before = await treeHash(dataDir);
    const opened = await openSource({ kind: "data-dir", location: dataDir }, "etcd-v2v3");
    try {
      assert.deepEqual(await v3Keys(opened.etcd.endpoints), v3);
      const copied = (await readV2Tree(opened.etcd.endpoints[0] ?? "")).root;
      assert.deepEqual(JSON.stringify(copied), JSON.stringify(v2));
    } finally {
      await opened.etcd.stop();
    }
    assert.equal(await treeHash(dataDir), before);
  } finally {
    await member.start();
  }
});

test("a v2 dump is seeded through the v2 API and a live endpoint is copied by reads only", async () => {
  const before = await treeHash(dumpFile);
  assert.equal((await identifySource(dumpFile)).kind, "v2-dump");
  const fromDump = await openSource({ kind: "v2-dump", location: dumpFile }, "etcd-v2v3");
  const leaves = async (endpoint: string) => {
    const out: Record<string, string> = {};
    const walk = (n: { key: string; value?: string; nodes?: unknown[] }) => {
      if (n.value !== undefined) out[n.key] = n.value;
      for (const c of n.nodes ?? []) walk(c as typeof n);
    };
    walk((await readV2Tree(endpoint)).root);
    return out;
  };
  try {
    assert.deepEqual(await leaves(fromDump.etcd.endpoints[0] ?? ""), {
      "/app/config": "v1",
      "/app/nested/deep": "x",
    });
  } finally {
    await fromDump.etcd.stop();
  }
  assert.equal(await treeHash(dumpFile), before);

  const url = live.endpoints[0] ?? "";
  const revision = async () => {
    const c = etcdClient(live.endpoints, { purpose: "test" });
    try {
      return (await c.getAll().prefix("").limit(1).exec()).header.revision;
    } finally {
      c.close();
    }
  };
  const revBefore = await revision();
  const copy = await openSource({ kind: "etcd-endpoint", location: url }, "calico");
  try {
    assert.deepEqual(await v3Keys(copy.etcd.endpoints), await v3Keys(live.endpoints));
  } finally {
    await copy.etcd.stop();
  }
  // a write of any kind would have moved the live store's revision
  assert.equal(await revision(), revBefore);
});

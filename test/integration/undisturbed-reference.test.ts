import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Etcd3 } from "etcd3";
import { exportFromEtcd, importToKube, lockEtcd, prepareKubeTarget, rollback } from "../../src/calico/api.js";
import { type CalicoFixture, loadFixture, seedCalicoEtcd } from "../../src/calico/fixture.js";
import { generateFixture } from "../../src/calico/generate.js";
import { stopAll } from "../../src/common/cleanup.js";
import { compareReferences, referenceKey } from "../../src/faults/undisturbed-reference.js";
import { type StartedLocalEtcd, startLocalEtcd } from "../../src/providers/etcd/local-etcd.js";
import {
  type StartedLocalControlPlane,
  startLocalControlPlane,
} from "../../src/providers/kube/local-control-plane.js";
import { saveSnapshot } from "../../src/snapshot/file.js";
import { openStore } from "../../src/store-uri/store-uri.js";
import { requireBinary } from "../helpers/binaries.js";
import { FIXTURE, resetKube } from "./calico-helpers.js";

/**
 * The fault suites compute the undisturbed reference once per fixture and worker and reuse it
 * (src/faults/undisturbed-reference.ts). That is sound only if the undisturbed migration is
 * deterministic: computed twice on fresh stores, its target must be the same Calico objects once the
 * diff's default rules set aside what the API server assigns (uids, resourceVersions, creation
 * timestamps, generations) — exactly what the scenarios' "unchanged since snapshot" check does.
 */
let cp: StartedLocalControlPlane;
let etcd: StartedLocalEtcd;
let dir: string;

before(async () => {
  await requireBinary("etcd");
  await requireBinary("kube-apiserver");
  cp = await startLocalControlPlane({ name: "undisturbed-reference" });
  etcd = await startLocalEtcd({ line: "current", name: "undisturbed-src" });
  dir = await mkdtemp(join(tmpdir(), "storeshift-reference-"));
});
after(async () => {
  await etcd?.stop();
  await cp?.stop();
  await stopAll();
  await rm(dir, { recursive: true, force: true });
});

/** Fresh stores, as the pool leaves them between scenarios, then the fixture seeded and Nodes prepared. */
async function freshStores(fixture: CalicoFixture): Promise<void> {
  const client = new Etcd3({ hosts: etcd.endpoints });
  try {
    await client.delete().all();
  } finally {
    client.close();
  }
  await resetKube(cp.kubeConfig());
  await seedCalicoEtcd(etcd.endpoints, fixture);
  await prepareKubeTarget(cp.kubeConfig(), fixture);
}

async function snapshot(uri: string, name: string): Promise<string> {
  const file = join(dir, `${name}.ndjson`);
  await saveSnapshot(await openStore(uri), file);
  return file;
}

const kubeView = () => `calico-kube://${cp.kubeconfigPath}`;
const etcdView = () => `calico-etcd://${etcd.endpoints.map((e) => new URL(e).host).join(",")}`;

/** The undisturbed run as the fault steps make it; returns the target's and the source's snapshots after it. */
async function undisturbed(
  fixture: CalicoFixture,
  name: string,
): Promise<{ target: string; source: string }> {
  await freshStores(fixture);
  await lockEtcd(etcd.endpoints);
  const text = (await exportFromEtcd(etcd.endpoints)).text;
  await importToKube(cp.kubeConfig(), text);
  const target = await snapshot(kubeView(), `${name}-target`);
  await rollback(cp.kubeConfig(), etcd.endpoints);
  return { target, source: await snapshot(etcdView(), `${name}-source`) };
}

/** What a scenario that reuses the reference does instead: lock and roll back the source only. */
async function reused(fixture: CalicoFixture, name: string): Promise<string> {
  await freshStores(fixture);
  await lockEtcd(etcd.endpoints);
  await rollback(cp.kubeConfig(), etcd.endpoints);
  return snapshot(etcdView(), `${name}-source`);
}

for (const [what, load] of [
  ["the bundled dataset", () => loadFixture(FIXTURE)],
  ["150 generated objects (seed 4242)", async () => generateFixture(150, 4242)],
] as const) {
  test(`the undisturbed migration of ${what} is deterministic, and reusing it leaves the source as the full run does`, async () => {
    const fixture = await load();
    const first = await undisturbed(fixture, "first");
    const second = await undisturbed(fixture, "second");
    // the raw snapshots differ (what the API server assigns), so the equality below is the rules' work
    assert.notEqual(await readFile(first.target, "utf8"), await readFile(second.target, "utf8"));
    const same = await compareReferences("reference twice", first.target, second.target);
    assert.equal(same.status, "passed", `${same.message}: ${JSON.stringify(same.differences?.slice(0, 3))}`);
    assert.ok((same.counts?.expected ?? 0) > 10, `only ${same.counts?.expected} records in the reference`);
    assert.equal(same.counts?.identical, same.counts?.expected);

    const source = await compareReferences("source after full run twice", first.source, second.source);
    assert.equal(source.status, "passed", source.message);
    const afterReuse = await reused(fixture, "reused");
    const reuse = await compareReferences("source: reused vs full run", first.source, afterReuse);
    assert.equal(
      reuse.status,
      "passed",
      `${reuse.message}: ${JSON.stringify(reuse.differences?.slice(0, 3))}`,
    );

    // and the comparison can fail: one changed field of one object is a counted difference
    const lines = (await readFile(second.target, "utf8")).trimEnd().split("\n");
    const at = lines.findIndex((l) => l.includes('"IPPool"'));
    assert.ok(at > 0, "the reference holds an IPPool");
    lines[at] = (lines[at] ?? "").replace(/"cidr":"[^"]+"/, '"cidr":"203.0.113.0/24"');
    const broken = join(dir, "broken.ndjson");
    await writeFile(broken, `${lines.join("\n")}\n`);
    const differs = await compareReferences("reference vs broken", first.target, broken);
    assert.equal(differs.status, "failed");
  });
}

test("the cache key follows every input of the reference", async () => {
  const fixture = await loadFixture(FIXTURE);
  const base = {
    fixture,
    crds: undefined,
    migrator: "builtin",
    backend: "local",
    sourceEtcd: "local current",
  };
  assert.equal(referenceKey(base), referenceKey({ ...base, fixture: await loadFixture(FIXTURE) }));
  const other = generateFixture(10, 1);
  for (const changed of [
    { ...base, fixture: other },
    { ...base, crds: [{ metadata: { name: "x" } }] },
    { ...base, migrator: "module=/m.js" },
    { ...base, backend: "docker" },
    { ...base, sourceEtcd: "local v2-capable" },
  ])
    assert.notEqual(referenceKey(changed), referenceKey(base));
});

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { exportFromEtcd, lockEtcd } from "../../src/calico/api.js";
import { CalicoEtcd } from "../../src/calico/etcd/store.js";
import { loadFixture, seedCalicoEtcd } from "../../src/calico/fixture.js";
import {
  attributeDrift,
  crossCheckDrift,
  driftBetween,
  type Fingerprint,
  lockHonoured,
  readFingerprint,
  type StartedWriter,
  startCalicoWriter,
} from "../../src/live-writers/index.js";
import { type StartedLocalEtcd, startLocalEtcd } from "../../src/providers/etcd/local-etcd.js";

/**
 * The Calico live writers on a real etcd 3.6, without Kubernetes: honouring writers write nothing
 * from the lock on and leave no drift after the export; lock-ignoring writers' late writes are all
 * named by the drift check, as their logs say.
 */

let etcd: StartedLocalEtcd;
before(async () => {
  etcd = await startLocalEtcd({ line: "current", name: "live-writers" });
});
after(async () => {
  await etcd?.stop();
});

async function scenario(lock: "honours" | "ignores") {
  const endpoints = etcd.endpoints;
  const store = new CalicoEtcd(endpoints);
  await store.client.delete().prefix("/calico/").exec();
  store.close();
  await seedCalicoEtcd(endpoints, await loadFixture("fixtures/calico/dataset.yaml"));
  const writers: StartedWriter[] = (["ipam-allocator", "felix-status", "policy-sync"] as const).map((name) =>
    startCalicoWriter(name, { endpoints, lock }),
  );
  let fp: Fingerprint;
  try {
    await Promise.all(writers.map((w) => w.writesAtLeast(2)));
    await lockEtcd(endpoints);
    fp = await readFingerprint(endpoints);
    await exportFromEtcd(endpoints);
    await Promise.all(writers.map((w) => w.moreTurns(3)));
  } finally {
    await Promise.all(writers.map((w) => w.stop()));
  }
  const logs = writers.map((w) => w.log);
  return { logs, fp, endpoints };
}

test("lock-honouring writers wait, write nothing from the lock on, and leave no drift", async () => {
  const { logs, fp, endpoints } = await scenario("honours");
  const lockRevision =
    fp.keys.get("/calico/resources/v3/projectcalico.org/clusterinformations/default")?.modRevision ?? 0;
  assert.deepEqual(lockHonoured(logs, lockRevision), []);
  for (const log of logs) assert.ok(log.waits >= 3, `${log.writer} waited ${log.waits} turns`);
  assert.deepEqual(driftBetween(fp, await readFingerprint(endpoints)), []);
});

test("lock-ignoring writers: the drift check names every write after the fingerprint, as the logs say", async () => {
  const { logs, fp, endpoints } = await scenario("ignores");
  const drift = attributeDrift(driftBetween(fp, await readFingerprint(endpoints)), logs);
  assert.ok(drift.length >= 3, `drift names ${drift.length} keys`);
  assert.deepEqual(crossCheckDrift(drift, logs, fp.revision), []);
  assert.ok(
    drift.every((d) => d.writer),
    "every drifted key is attributed to a writer",
  );
  // and the cross-check can fail: hide one late write from the drift
  assert.equal(crossCheckDrift(drift.slice(1), logs, fp.revision).length, 1);
});

import assert from "node:assert/strict";
import { after, test } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { Etcd3 } from "etcd3";
import { exportFromEtcd, importToKube, lockEtcd, prepareKubeTarget } from "../../src/calico/api.js";
import { seedCalicoEtcd } from "../../src/calico/fixture.js";
import { generateFixture } from "../../src/calico/generate.js";
import { type AttemptOutcome, attempt, DeadlineError } from "../../src/common/attempt.js";
import { stopAll } from "../../src/common/cleanup.js";
import { sleep } from "../../src/common/wait.js";
import { migrateOnline } from "../../src/etcd-v2v3/online.js";
import { startFaultProxy } from "../../src/faults/proxy/tcp-proxy.js";
import { startLocalEtcd } from "../../src/providers/etcd/local-etcd.js";
import { startLocalControlPlane } from "../../src/providers/kube/local-control-plane.js";
import { requireBinary } from "../helpers/binaries.js";
import { resetKube } from "./calico-helpers.js";

/**
 * A deadline that only stops waiting lets the migration write on while heal, recovery and diffs run.
 * These tests watch the TARGET store: after a cancelled attempt has returned, its key count must not
 * move during a settle period, and must be short of a complete migration's count. The same probe is
 * first pointed at a deadline that only races the work (no signal), where it must see writes landing
 * after the return — so a probe that could not see late writes would fail here, not pass.
 */

after(stopAll);

const SETTLE_MS = 3000;

async function countKeys(endpoint: string, prefix: string): Promise<number> {
  const client = new Etcd3({ hosts: [endpoint] });
  try {
    return await client.getAll().prefix(prefix).count();
  } finally {
    client.close();
  }
}

/** The old harness: a timer raced against work that never learns it was given up on. */
async function raceOnly(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("deadline")), ms);
  });
  work.catch(() => undefined);
  await Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

test("a cancelled Calico import writes nothing more to Kubernetes once the attempt has returned", async () => {
  await requireBinary("etcd");
  await requireBinary("kube-apiserver");
  const cp = await startLocalControlPlane({ name: "fault-cancel" });
  await using source = await startLocalEtcd({ line: "current", name: "fault-cancel-src" });
  try {
    const fixture = generateFixture(300, 4242);
    await seedCalicoEtcd(source.endpoints, fixture);
    await lockEtcd(source.endpoints);
    const text = (await exportFromEtcd(source.endpoints)).text;
    const kc = cp.kubeConfig();
    await prepareKubeTarget(kc, fixture);
    const storage = cp.etcd.endpoints[0] ?? "";
    const CALICO = "/registry/crd.projectcalico.org/";

    // every request to the API server held 15 ms each way: an import of 300 objects takes many seconds
    const url = new URL(cp.server);
    await using proxy = await startFaultProxy({ host: url.hostname, port: Number(url.port) });
    const slow = new KubeConfig();
    slow.loadFromOptions({
      clusters: kc.clusters.map((c) => ({ ...c, server: `https://${proxy.host}:${proxy.port}` })),
      users: kc.users,
      contexts: kc.contexts,
      currentContext: kc.currentContext,
    });
    proxy.setFault({ kind: "latency", ms: 15 });

    // the probe's power: a race-only deadline returns while the import goes on writing. The deadline
    // is set from when this import's first object landed, so a loaded machine (slow CRD set-up)
    // still cancels an import that has started writing and has not finished
    const startedAt = Date.now();
    const uncancelled = importToKube(slow, text, { concurrency: 2 });
    uncancelled.catch(() => undefined);
    const giveUp = startedAt + 120_000;
    while ((await countKeys(storage, CALICO)) === 0 && Date.now() < giveUp) await sleep(100);
    const deadlineMs = Date.now() - startedAt + 2000;
    await assert.rejects(raceOnly(uncancelled, deadlineMs - (Date.now() - startedAt)), /deadline/);
    const atReturn = await countKeys(storage, CALICO);
    await sleep(SETTLE_MS);
    const afterSettle = await countKeys(storage, CALICO);
    assert.ok(
      afterSettle > atReturn,
      `race-only: ${atReturn} → ${afterSettle}; the probe must see late writes`,
    );
    proxy.setFault({ kind: "none" });
    await uncancelled;
    const complete = await countKeys(storage, CALICO);
    assert.ok(complete > afterSettle, `a complete import stores ${complete} Calico objects`);

    await resetKube(kc);
    await prepareKubeTarget(kc, fixture);
    assert.equal(await countKeys(storage, CALICO), 0);

    proxy.setFault({ kind: "latency", ms: 15 });
    let atAbort = -1;
    const outcome: AttemptOutcome = {};
    await assert.rejects(
      attempt(
        { what: "import", deadlineMs },
        (signal) => {
          signal.addEventListener("abort", () => {
            void countKeys(storage, CALICO).then((n) => {
              atAbort = n;
            });
          });
          return importToKube(slow, text, { concurrency: 2, signal });
        },
        outcome,
      ),
      (err) => err instanceof DeadlineError,
    );
    assert.ok(outcome.stoppedAt, "the import stopped within the grace period");
    const stopped = await countKeys(storage, CALICO);
    await sleep(SETTLE_MS);
    const settled = await countKeys(storage, CALICO);
    assert.equal(
      settled,
      stopped,
      `cancelled: ${stopped} objects when the attempt returned, ${settled} later`,
    );
    assert.ok(stopped > 0, "the import had started writing before the deadline");
    assert.ok(stopped < complete, `cancelled at ${stopped} of ${complete}: the deadline bit`);
    // only requests already on the wire at the abort (at most the import's concurrency) may land after it
    assert.ok(atAbort >= 0 && settled - atAbort <= 2, `at the abort ${atAbort}, in the end ${settled}`);
  } finally {
    await cp.stop();
  }
});

test("a cancelled online v2→v3 migration puts no key into v3 once the attempt has returned", async () => {
  await requireBinary("etcd-v2");
  await using etcd = await startLocalEtcd({ enableV2: true, name: "fault-cancel-v2v3" });
  const endpoint = etcd.endpoints[0] ?? "";
  const KEYS = 400;
  for (let i = 0; i < KEYS; i += 40)
    await Promise.all(
      Array.from({ length: 40 }, (_, j) =>
        fetch(`${endpoint}/v2/keys/cancel/k${String(i + j).padStart(4, "0")}`, {
          method: "PUT",
          body: new URLSearchParams({ value: `v${i + j}` }),
        }).then((r) => assert.equal(r.status, 201)),
      ),
    );
  const url = new URL(endpoint);
  await using proxy = await startFaultProxy({ host: url.hostname, port: Number(url.port) });
  const v3Slow = [`http://${proxy.host}:${proxy.port}`];
  const run = (signal?: AbortSignal) =>
    migrateOnline({ v2Endpoint: endpoint, v3Endpoints: v3Slow, txnOps: 1, concurrency: 1, signal });
  const wipe = async () => {
    const client = new Etcd3({ hosts: [endpoint] });
    try {
      await client.delete().prefix("/cancel/");
    } finally {
      client.close();
    }
  };

  proxy.setFault({ kind: "latency", ms: 10 });
  const uncancelled = run();
  await assert.rejects(raceOnly(uncancelled, 1500), /deadline/);
  const atReturn = await countKeys(endpoint, "/cancel/");
  await sleep(SETTLE_MS);
  const afterSettle = await countKeys(endpoint, "/cancel/");
  assert.ok(afterSettle > atReturn, `race-only: ${atReturn} → ${afterSettle}; the probe must see late puts`);
  proxy.setFault({ kind: "none" });
  await uncancelled;
  assert.equal(await countKeys(endpoint, "/cancel/"), KEYS, "a complete run puts every v2 key");

  await wipe();
  proxy.setFault({ kind: "latency", ms: 10 });
  let atAbort = -1;
  const outcome: AttemptOutcome = {};
  await assert.rejects(
    attempt(
      { what: "online migration", deadlineMs: 1500 },
      (signal) => {
        signal.addEventListener("abort", () => {
          void countKeys(endpoint, "/cancel/").then((n) => {
            atAbort = n;
          });
        });
        return run(signal);
      },
      outcome,
    ),
    (err) => err instanceof DeadlineError,
  );
  assert.ok(outcome.stoppedAt, "the migration stopped within the grace period");
  const stopped = await countKeys(endpoint, "/cancel/");
  await sleep(SETTLE_MS);
  const settled = await countKeys(endpoint, "/cancel/");
  assert.equal(settled, stopped, `cancelled: ${stopped} keys when the attempt returned, ${settled} later`);
  assert.ok(stopped > 0 && stopped < KEYS, `cancelled at ${stopped} of ${KEYS}: the deadline bit`);
  // concurrency 1: at most the one Txn on the wire at the abort lands after it
  assert.ok(atAbort >= 0 && settled - atAbort <= 1, `at the abort ${atAbort}, in the end ${settled}`);
});

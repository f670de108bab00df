import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { DataTable } from "@cucumber/cucumber";
import { readCalicoFromKube } from "../src/calico/api.js";
import { etcdClient } from "../src/common/etcd-client.js";
import type { Difference } from "../src/diff/types.js";
import { readV2Tree } from "../src/etcd-v2v3/v2-client.js";
import { readV3Range } from "../src/etcd-v2v3/v3.js";
import {
  attributeDrift,
  CALICO_WRITERS,
  crossCheckDrift,
  describeDrift,
  driftBetween,
  driftDifferences,
  isCalicoWriter,
  type KubeObjectView,
  type LockMode,
  lockHonoured,
  readFingerprint,
  type StartedWriter,
  startCalicoWriter,
  startV2Writer,
  startV3Writer,
  v2DriftSinceScan,
  v2WritesAccounted,
  v2WritesMigratedOrRefused,
  v3WritesIntact,
  type WriterLog,
  writesInKube,
} from "../src/live-writers/index.js";
import { onlineMigration } from "./etcd-v2v3.steps.js";
import { step } from "./support/define.js";
import { v2v3MigratorFor } from "./support/migrators.js";
import type { StoreshiftWorld } from "./support/world.js";

const area = "Live writers: components writing during a migration";

const CLUSTER_INFO_KEY = "/calico/resources/v3/projectcalico.org/clusterinformations/default";

function track(world: StoreshiftWorld, writer: StartedWriter): void {
  world.live.writers.push(writer);
  // stopped before the pooled stores are reset, whatever the scenario did
  world.cleanups.push(async () => {
    await writer.stop();
  });
}

/** Stops every writer (idempotent) and saves their logs with the scenario: the oracle, for people too. */
async function stopAll(world: StoreshiftWorld): Promise<WriterLog[]> {
  const logs = await Promise.all(world.live.writers.map((w) => w.stop()));
  const file = join(await world.ensureArtifactDir(), "live-writers.json");
  await writeFile(file, `${JSON.stringify(logs, null, 2)}\n`);
  if (!world.record.artifacts.includes(file)) world.record.artifacts.push(file);
  return logs;
}

async function driftNow(world: StoreshiftWorld, name: string, logs: WriterLog[]) {
  const before = world.live.fingerprints.get(name);
  const after = await readFingerprint(world.endpoints(name), before.prefix);
  const drift = attributeDrift(driftBetween(before, after), logs);
  const file = join(await world.ensureArtifactDir(), `drift-${name}.json`);
  await writeFile(file, `${JSON.stringify({ from: before.revision, to: after.revision, drift }, null, 2)}\n`);
  world.record.artifacts.push(file);
  return { before, drift };
}

step(
  "When",
  "live Calico writers write to etcd {string}:",
  {
    area,
    example: 'When live Calico writers write to etcd "source":',
    doc: `Starts simulated Calico components on the etcd (table \`writer\` | \`lock\`): writer ${CALICO_WRITERS.join(", ")}; lock \`honours\` (waits while ClusterInformation default's datastoreReady is false) or \`ignores\`. Returns once each has had its writes acknowledged; they keep writing until "the live writers stop".`,
  },
  async function (name: string, table: DataTable) {
    const started: StartedWriter[] = [];
    for (const row of table.hashes() as { writer: string; lock: string }[]) {
      if (!isCalicoWriter(row.writer))
        throw new Error(`live writer "${row.writer}": known ones are ${CALICO_WRITERS.join(", ")}`);
      if (row.lock !== "honours" && row.lock !== "ignores")
        throw new Error(`live writer ${row.writer}: lock is "honours" or "ignores", not "${row.lock}"`);
      const writer = startCalicoWriter(row.writer, {
        endpoints: this.endpoints(name),
        lock: row.lock as LockMode,
      });
      track(this, writer);
      started.push(writer);
    }
    await this.record.phase("live writers: first writes", () =>
      Promise.all(started.map((w) => w.writesAtLeast(2))),
    );
  },
);

step(
  "When",
  "every live writer takes {int} more turns",
  {
    area,
    example: "When every live writer takes 3 more turns",
    doc: "Waits until every running writer has finished that many more turns (a turn is a write, a wait on the lock, or a refused write).",
  },
  async function (count: number) {
    await this.record.phase(`live writers: ${count} more turns`, () =>
      Promise.all(this.live.writers.map((w) => w.moreTurns(count))),
    );
  },
);

step(
  "When",
  "the live writers stop",
  {
    area,
    example: "When the live writers stop",
    doc: "Stops every writer after its turn in flight and saves their logs (every acknowledged write: key, value, revision) as live-writers.json with the scenario.",
  },
  async function () {
    await stopAll(this);
  },
);

step(
  "When",
  "I take a drift fingerprint of etcd {string}",
  {
    area,
    example: 'When I take a drift fingerprint of etcd "source"',
    doc: "Reads every /calico/ key's mod revision and version at one revision. Take it just before the export: the export reads at a later revision, so every write it can have missed comes after the fingerprint.",
  },
  async function (name: string) {
    const fp = await this.record.phase("drift fingerprint", () => readFingerprint(this.endpoints(name)));
    this.live.fingerprints.set(name, fp);
  },
);

step(
  "Then",
  "etcd {string} did not drift since the fingerprint",
  {
    area,
    example: 'Then etcd "source" did not drift since the fingerprint',
    doc: "The drift check: no key under /calico/ was created, modified or deleted since the fingerprint; otherwise it fails naming every such key (revision, write count, the writer when known).",
  },
  async function (name: string) {
    const logs = await stopAll(this);
    const { before, drift } = await driftNow(this, name, logs);
    this.record.expectCheck(
      `etcd ${name} did not drift since the fingerprint`,
      driftDifferences(drift),
      `fingerprint at revision ${before.revision}`,
    );
  },
);

step(
  "Then",
  "the drift check of etcd {string} names every write the live writers made after the fingerprint",
  {
    area,
    example:
      'Then the drift check of etcd "source" names every write the live writers made after the fingerprint',
    doc: "The expected failure, as a verdict: the drift check finds writes after the export, and names exactly the keys the writers' own logs hold after the fingerprint, at the revision of each key's last write and with its write count; none missed, none invented. Fails if nothing was written after the fingerprint (the scenario would prove nothing).",
  },
  async function (name: string) {
    const logs = await stopAll(this);
    const { before, drift } = await driftNow(this, name, logs);
    if (drift.length === 0)
      throw new Error(
        `the drift check of etcd ${name} found no write after the fingerprint at revision ${before.revision}: no writer ignored the lock, so nothing was tested`,
      );
    const named: Difference[] = drift.map((d) => ({
      class: "accounted",
      id: `etcd:${d.key}`,
      kind: d.writer ?? "unknown writer",
      path: "",
      rule: "live-writers/drift-named",
      note: describeDrift(d),
    }));
    this.log(`drift since revision ${before.revision}:\n${drift.map(describeDrift).join("\n")}`);
    this.record.expectCheck(
      `the drift check of etcd ${name} names every key the writers wrote after the fingerprint`,
      [...named, ...crossCheckDrift(drift, logs, before.revision)],
      `${drift.length} key(s) after the fingerprint at revision ${before.revision}`,
    );
  },
);

step(
  "Then",
  "every live writer that honours the lock waited while etcd {string} was locked",
  {
    area,
    example: 'Then every live writer that honours the lock waited while etcd "source" was locked',
    doc: "Each lock-honouring writer spent turns waiting, and none of its acknowledged writes has a revision at or after the lock (ClusterInformation default's revision in the fingerprint).",
  },
  async function (name: string) {
    const logs = await stopAll(this);
    const fp = this.live.fingerprints.get(name);
    const lock = fp.keys.get(CLUSTER_INFO_KEY);
    if (!lock)
      throw new Error(`etcd ${name}: no ClusterInformation default in the fingerprint; lock before it`);
    this.record.expectCheck(
      `lock-honouring writers waited while ${name} was locked`,
      lockHonoured(logs, lock.modRevision),
      `locked at revision ${lock.modRevision}`,
    );
  },
);

step(
  "Then",
  "every write the live writers made before the lock is in Kubernetes",
  {
    area,
    example: "Then every write the live writers made before the lock is in Kubernetes",
    doc: '"Loses nothing": the last acknowledged write of every key a writer wrote is in the Kubernetes datastore with the fields it wrote (policy order, block allocation and its handle, handle counts, affinities). Writes the migration does not carry by design (Felix status) are accounted by name.',
  },
  async function () {
    const logs = await stopAll(this);
    const data = await readCalicoFromKube(this.kube().kubeConfig());
    const differences = writesInKube(logs, data.resources as unknown as KubeObjectView[]);
    const carried = logs.flatMap((l) => l.writes).filter((w) => w.target && !("notMigrated" in w.target));
    if (carried.length === 0)
      throw new Error("no writer wrote anything the migration carries: nothing was tested");
    this.record.expectCheck(
      "every write of the live writers before the lock is in Kubernetes",
      differences,
      `${carried.length} write(s) before the lock`,
    );
  },
);

// ---- etcd v2store → v3store ----

async function v3Now(endpoints: string[]) {
  const client = etcdClient(endpoints, { purpose: "live-writers step" });
  try {
    return await readV3Range(client, "");
  } finally {
    client.close();
  }
}

step(
  "When",
  "I migrate etcd {string} online, one key per transaction, while a live v2 writer writes under {string}",
  {
    area,
    example:
      'When I migrate etcd "source" online, one key per transaction, while a live v2 writer writes under "/live"',
    doc: "A v2 application writes `<prefix>/k0…k5` round-robin (creates, then modifications) before, during and for six turns after the online migration (one put per Txn, one Txn at a time), then stops. Its log is kept.",
  },
  async function (name: string, prefix: string) {
    const writer = startV2Writer({ endpoint: this.endpoints(name)[0] ?? "", prefix });
    track(this, writer);
    await writer.writesAtLeast(2);
    try {
      await this.record.phase("migrate online with a live v2 writer", () =>
        onlineMigration(this, name, "permanent", { txnOps: 1, concurrency: 1 }),
      );
      // an application does not stop when a migration ends: each of its keys is written once more
      await writer.moreTurns(6);
    } finally {
      await stopAll(this);
    }
  },
);

step(
  "Then",
  "every v2 write during the online migration of etcd {string} is in v3 or named",
  {
    area,
    example: 'Then every v2 write during the online migration of etcd "source" is in v3 or named',
    doc: "Against the v2 writer's log, key by key: the value the key held at the migrator's scan (its last write with modifiedIndex ≤ the scan's index) is what v3 holds; a last write after the scan is named by the v2 drift check (leaves modified after the scan, migrated keys deleted since), with what v3 holds. Fails if no write came after the scan.",
  },
  async function (name: string) {
    const result = this.migrations.online.get(name);
    const [log] = await stopAll(this);
    if (!log) throw new Error("no live v2 writer ran in this scenario");
    const endpoint = this.endpoints(name)[0] ?? "";
    const tree = await readV2Tree(endpoint, { quorum: true });
    const v3 = new Map(
      (await v3Now(this.endpoints(name))).kvs.map((kv) => [
        kv.key.toString("utf8"),
        kv.value.toString("utf8"),
      ]),
    );
    const drift = v2DriftSinceScan(tree, result.v2Index, result.migrated, v3);
    const after = log.writes.filter((w) => w.revision > result.v2Index).length;
    if (after === 0)
      throw new Error(
        `the v2 writer wrote nothing after the scan at v2 index ${result.v2Index}: nothing was tested`,
      );
    this.record.expectCheck(
      "every v2 write is in v3 or named",
      v2WritesAccounted(log, result.v2Index, drift, v3),
      `${log.writes.length} write(s), ${after} after the scan at index ${result.v2Index}`,
    );
  },
);

step(
  "When",
  "I migrate etcd {string} online again, skipping collisions",
  {
    area,
    example: 'When I migrate etcd "source" online again, skipping collisions',
    doc: "A second pass of the online migrator with onCollision skip: keys new since the first pass are written; keys whose v3 value differs are refused by name, never overwritten.",
  },
  async function (name: string) {
    const m = await v2v3MigratorFor(this);
    const result = await this.record.phase("migrate online, second pass", () =>
      m.migrateOnline({
        v2Endpoint: this.endpoints(name)[0] ?? "",
        v3Endpoints: this.endpoints(name),
        ttlPolicy: "permanent",
        onCollision: "skip",
      }),
    );
    this.migrations.onlineSecondPass.set(name, result);
  },
);

step(
  "Then",
  "every write of the live v2 writer to etcd {string} is in v3 or was refused by name",
  {
    area,
    example: 'Then every write of the live v2 writer to etcd "source" is in v3 or was refused by name',
    doc: "After the second pass: the last v2 write of every key the writer wrote is in v3 with its value, or the second pass listed the key as a collision.",
  },
  async function (name: string) {
    const second = this.migrations.onlineSecondPass.get(name);
    const [log] = await stopAll(this);
    if (!log) throw new Error("no live v2 writer ran in this scenario");
    const v3 = new Map(
      (await v3Now(this.endpoints(name))).kvs.map((kv) => [
        kv.key.toString("utf8"),
        kv.value.toString("utf8"),
      ]),
    );
    this.record.expectCheck(
      "every key of the live v2 writer is in v3 or refused by the second pass",
      v2WritesMigratedOrRefused(log, v3, second),
      `${new Set(log.writes.map((w) => w.key)).size} key(s); ${second.collisions.length} refused, ${second.migrated.length} migrated`,
    );
  },
);

step(
  "When",
  "I migrate etcd {string} online, one key per transaction, while a live v3 writer writes to:",
  {
    area,
    example:
      'When I migrate etcd "source" online, one key per transaction, while a live v3 writer writes to:',
    doc: "From the migrator's first finished Txn (after its scan) until it ends, a v3 client puts the table's `key`s round-robin, racing the migrator's guarded puts. Its log is kept.",
  },
  async function (name: string, table: DataTable) {
    const keys = (table.hashes() as { key: string }[]).map((r) => r.key);
    let writer: StartedWriter | undefined;
    try {
      await this.record.phase("migrate online with a live v3 writer", () =>
        onlineMigration(this, name, "permanent", {
          txnOps: 1,
          concurrency: 1,
          onProgress: () => {
            if (writer) return;
            writer = startV3Writer({ endpoints: this.endpoints(name), keys });
            track(this, writer);
          },
        }),
      );
    } finally {
      await stopAll(this);
    }
  },
);

step(
  "Then",
  "the live v3 writer's writes to etcd {string} are intact",
  {
    area,
    example: `Then the live v3 writer's writes to etcd "source" are intact`,
    doc: "Against the v3 writer's log: each key's last write is still there with its value and revision, and the migrator wrote no key after the writer first wrote it; every collision the migrator reported is a key the writer wrote. Fails if the writer made no write before the migration's last.",
  },
  async function (name: string) {
    const result = this.migrations.online.get(name);
    const [log] = await stopAll(this);
    if (!log) throw new Error("the live v3 writer never started: the migration reported no progress");
    const raced = log.writes.filter((w) => w.revision < result.v3RevisionAfter).length;
    if (raced === 0)
      throw new Error(
        `the v3 writer wrote nothing before the migration's last write (revision ${result.v3RevisionAfter}): no race`,
      );
    const v3 = new Map(
      (await v3Now(this.endpoints(name))).kvs.map((kv) => [
        kv.key.toString("utf8"),
        { value: kv.value.toString("utf8"), modRevision: kv.modRevision },
      ]),
    );
    const written = new Set(log.writes.map((w) => w.key));
    const unexplained: Difference[] = result.collisions
      .filter((c) => !written.has(c.key))
      .map((c) => ({
        class: "unexpected",
        id: `etcd:${c.key}`,
        kind: "migrator",
        path: "",
        note: "reported as a collision, but the v3 writer never wrote it",
      }));
    const named: Difference[] = result.collisions.map((c) => ({
      class: "accounted",
      id: `etcd:${c.key}`,
      kind: "migrator",
      path: "",
      rule: "live-writers/v3-collision-named",
      note: `the migrator found the v3 writer's value (revision ${c.existingModRevision}) and left it`,
    }));
    // how many writes raced the migrator depends on timing: the counts go in the message, so the
    // check's name is the same in every run (runs and workers are compared by it)
    this.record.expectCheck(
      `the live v3 writer's writes to ${name} are intact`,
      [...named, ...unexplained, ...v3WritesIntact(log, v3, result)],
      `${log.writes.length} write(s), ${raced} during the migration`,
    );
  },
);

import type { TtlPolicy } from "../src/etcd-v2v3/expected.js";
import { loadFixture, seedV2 } from "../src/etcd-v2v3/fixture.js";
import type { V2V3Migrator } from "../src/etcd-v2v3/migrator.js";
import type { OnlineMigrationOptions } from "../src/etcd-v2v3/online.js";
import { readV2Tree, v2Set } from "../src/etcd-v2v3/v2-client.js";
import { verifyMigration } from "../src/etcd-v2v3/verify.js";
import { step } from "./support/define.js";
import { v2v3MigratorFor } from "./support/migrators.js";
import type { StoreshiftWorld } from "./support/world.js";

const area = "etcd: v2store → v3store";

function v2Endpoint(world: StoreshiftWorld, name: string): string {
  return world.endpoints(name)[0] ?? "";
}

function migrator(world: StoreshiftWorld): Promise<V2V3Migrator> {
  return v2v3MigratorFor(world);
}

/** `tuning`: transaction size and concurrency, and a progress hook a step can act on. */
export async function onlineMigration(
  world: StoreshiftWorld,
  name: string,
  ttlPolicy: TtlPolicy,
  tuning: Pick<OnlineMigrationOptions, "txnOps" | "concurrency" | "onProgress"> = {},
): Promise<void> {
  const result = await (await migrator(world)).migrateOnline({
    v2Endpoint: v2Endpoint(world, name),
    v3Endpoints: world.endpoints(name),
    ttlPolicy,
    txnOps: tuning.txnOps,
    concurrency: tuning.concurrency,
    onProgress: (done, total) => {
      world.record.progress("migrate online", done, total);
      tuning.onProgress?.(done, total);
    },
  });
  world.migrations.online.set(name, result);
}

step(
  "Given",
  "the v2 keys of {string} in etcd {string}",
  {
    area,
    example: 'Given the v2 keys of "etcd-v2/shapes.yaml" in etcd "source"',
    doc: "Replays a v2 fixture (path under the fixture root) through the v2 API; the v2 tree is read back and kept to prove it unchanged later.",
  },
  async function (file: string, name: string) {
    const fixture = await loadFixture(await this.fixturePath(file));
    const seeded = await this.record.phase("seed v2", () => seedV2(v2Endpoint(this, name), fixture));
    seeded.seeds.forEach((s, i) => {
      this.record.seeds[`v2-generator-${i}`] = s;
    });
    this.migrations.v2Before.set(name, await readV2Tree(v2Endpoint(this, name), { quorum: true }));
  },
);

step(
  "When",
  "I set {string} to {string} in the v2 API of etcd {string}",
  {
    area,
    example: 'When I set "/foo" to "bar" in the v2 API of etcd "source"',
    doc: "`ETCDCTL_API=2 etcdctl set KEY VALUE`, the seed's first step.",
  },
  async function (key: string, value: string, name: string) {
    await v2Set(v2Endpoint(this, name), key, value);
    this.migrations.v2Before.set(name, await readV2Tree(v2Endpoint(this, name), { quorum: true }));
  },
);

step(
  "When",
  "I migrate etcd {string} offline, one member at a time",
  {
    area,
    example: 'When I migrate etcd "source" offline, one member at a time',
    doc: "The guide's procedure with the real etcdctl 3.4: for each member, stop it, back up its data dir, `etcdctl migrate`, restart, wait for health; then verify every member and hashkv.",
  },
  async function (name: string) {
    const m = await migrator(this);
    const result = await this.record.phase("migrate offline", () => m.migrateOffline(this.etcd(name)));
    this.migrations.offline.set(name, result);
    this.leaveDir(`offline backups of etcd "${name}"`, result.backupRoot);
    // recorded only when it failed: the verify step records the check of a migration that went through
    if (result.discrepancies.length > 0)
      this.record.expectCheck(`offline migration of ${name} verifies`, result.discrepancies);
  },
);

step(
  "When",
  "I migrate etcd {string} online",
  {
    area,
    example: 'When I migrate etcd "source" online',
    doc: "storeshift's online migrator: one quorum read of v2, guarded v3 transactions of at most 128 puts; TTL keys become permanent.",
  },
  async function (name: string) {
    await this.record.phase("migrate online", () => onlineMigration(this, name, "permanent"));
  },
);

step(
  "When",
  "I migrate etcd {string} online with the {string} TTL policy",
  {
    area,
    example: 'When I migrate etcd "source" online with the "lease" TTL policy',
    doc: "The online migrator with TTL policy permanent (etcdctl's default), drop (= --no-ttl) or lease (expiry kept as leases).",
  },
  async function (name: string, policy: string) {
    await this.record.phase(`migrate online (ttl ${policy})`, () =>
      onlineMigration(this, name, policy as TtlPolicy),
    );
  },
);

step(
  "When",
  "I try to migrate etcd {string} online",
  {
    area,
    example: 'When I try to migrate etcd "source" online',
    doc: "Runs the online migrator, keeping a refusal (e.g. a collision with existing v3 data) for a Then step.",
  },
  async function (name: string) {
    this.lastError = undefined;
    try {
      await onlineMigration(this, name, "permanent");
    } catch (err) {
      this.lastError = err as Error;
    }
  },
);

step(
  "Then",
  "the {word} migration of etcd {string} verifies",
  {
    area,
    example: 'Then the online migration of etcd "source" verifies',
    doc: "Every member's v3 keys equal the mapping of the v2 leaves (values byte-equal, revisions as the mode defines), hashkv agrees on all members, v2 unchanged.",
  },
  async function (mode: string, name: string) {
    const report = await this.record.phase("verify", () =>
      verifyMigration({
        v2Endpoint: v2Endpoint(this, name),
        v3Endpoints: this.endpoints(name),
        mode: mode === "offline" ? "offline" : "online",
        result: mode === "online" ? this.migrations.online.get(name) : undefined,
        v2Before: this.migrations.v2Before.peek(name),
      }),
    );
    this.record.expectCheck(`${mode} migration of ${name} verifies`, report.discrepancies);
  },
);

step(
  "When",
  "I roll back the {word} migration of etcd {string}",
  {
    area,
    example: 'When I roll back the offline migration of etcd "source"',
    doc: "Online: deletes exactly the migrated keys still at their migrated revision. Offline: restores every member's pre-migration data-dir backup.",
  },
  async function (mode: string, name: string) {
    const m = await migrator(this);
    if (mode === "online") {
      const result = this.migrations.online.get(name);
      await this.record.phase("rollback online", () => m.rollbackOnline(result));
    } else {
      const result = this.migrations.offline.get(name);
      const cluster = this.etcd(name);
      await this.record.phase("rollback offline", () => m.rollbackOffline(result.backups, { cluster }));
    }
  },
);

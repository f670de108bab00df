import type { DataTable } from "@cucumber/cucumber";
import { onlineMigration } from "./etcd-v2v3.steps.js";
import { step } from "./support/define.js";
import {
  checkExpectedTree,
  checkHashKv,
  checkUnchangedWithRevisions,
  checkWritesIntact,
  compareWithEtcdctl,
  keepCopy,
  ttlPolicy,
  writerAfterFirstTransaction,
} from "./support/etcd-migration.js";

const area = "etcd: v2store → v3store, independent oracles";

function migrationMode(word: string): "offline" | "online" {
  if (word === "offline" || word === "online") return word;
  throw new Error(`"${word}" is not a migration mode (offline or online)`);
}

step(
  "Then",
  "every member of etcd {string} matches the expected v3 tree for {string} after the {word} migration",
  {
    area,
    example:
      'Then every member of etcd "source" matches the expected v3 tree for "etcd-v2/shapes.yaml" after the offline migration',
    doc: "Each member's whole v3 key space against the hand-written tree in fixtures/etcd-v2/expected/ (TTL keys permanent, as etcdctl migrate): value bytes, version 1, lease 0, no other key; offline also revisions = the v2 indexes in fixture order, online one put per key.",
  },
  async function (name: string, fixture: string, mode: string) {
    await this.record.phase("expected v3 tree", () =>
      checkExpectedTree(this, name, fixture, migrationMode(mode), "permanent"),
    );
  },
);

step(
  "Then",
  "every member of etcd {string} matches the expected v3 tree for {string} after the online migration with the {string} TTL policy",
  {
    area,
    example:
      'Then every member of etcd "source" matches the expected v3 tree for "etcd-v2/shapes.yaml" after the online migration with the "drop" TTL policy',
    doc: "As above under a TTL policy: `drop` leaves out keys with a TTL of their own; `lease` wants a lease no longer than the earliest TTL of the key and its directories.",
  },
  async function (name: string, fixture: string, policy: string) {
    await this.record.phase("expected v3 tree", () =>
      checkExpectedTree(this, name, fixture, "online", ttlPolicy(policy)),
    );
  },
);

step(
  "Then",
  "every member of etcd {string} has the same hashkv at one revision",
  {
    area,
    example: 'Then every member of etcd "source" has the same hashkv at one revision',
    doc: "`etcdctl endpoint hashkv --rev R` on every member, R the lowest current revision: all hashes equal.",
  },
  async function (name: string) {
    await this.record.phase("hashkv", () => checkHashKv(this, name));
  },
);

step(
  "Given",
  "a stopped copy of etcd {string} as {string}",
  {
    area,
    example: 'Given a stopped copy of etcd "source" as "pre-migration"',
    doc: "Stops one member for a moment, copies its data dir (the v2 data as it is now) and starts it again; the copy is removed after the scenario.",
  },
  async function (name: string, label: string) {
    await this.record.phase(`copy ${name}`, () => keepCopy(this, name, label));
  },
);

step(
  "Then",
  "etcd {string} holds what the real etcdctl migrate makes of copy {string}, apart from revisions",
  {
    area,
    example:
      'Then etcd "source" holds what the real etcdctl migrate makes of copy "pre-migration", apart from revisions',
    doc: "`etcdctl migrate` (3.4) on the copy, started as etcd <copy>: every key, value byte and version must equal; revisions differ by design (etcdctl keeps the v2 indexes).",
  },
  async function (name: string, label: string) {
    await this.record.phase("etcdctl migrate reference", () =>
      compareWithEtcdctl(this, name, label, "permanent"),
    );
  },
);

step(
  "Then",
  "etcd {string} holds what the real etcdctl migrate makes of copy {string} under the {string} TTL policy, apart from revisions",
  {
    area,
    example:
      'Then etcd "source" holds what the real etcdctl migrate makes of copy "pre-migration" under the "drop" TTL policy, apart from revisions',
    doc: "As above; `drop` runs `etcdctl migrate --no-ttl`; `lease` compares with the default run and accounts lease ids (etcdctl attaches none).",
  },
  async function (name: string, label: string, policy: string) {
    await this.record.phase("etcdctl migrate reference", () =>
      compareWithEtcdctl(this, name, label, ttlPolicy(policy)),
    );
  },
);

step(
  "When",
  "I migrate etcd {string} online, one key per transaction, while a v3 client writes after the first transaction:",
  {
    area,
    example:
      'When I migrate etcd "source" online, one key per transaction, while a v3 client writes after the first transaction:',
    doc: "The online migrator, one put per Txn and one Txn at a time; after its first Txn (so after its scan of v3) a separate etcdctl process puts the table's `key`/`value` rows.",
  },
  async function (name: string, table: DataTable) {
    const rows = table.hashes() as { key: string; value: string }[];
    const writer = await writerAfterFirstTransaction(this.endpoints(name)[0] ?? "", rows);
    this.etcdOracle.concurrentWrites.set(name, writer.writes);
    await this.record.phase("migrate online with a concurrent v3 writer", () =>
      onlineMigration(this, name, "permanent", { txnOps: 1, concurrency: 1, onProgress: writer.onProgress }),
    );
  },
);

step(
  "Then",
  "the v3 client's writes to etcd {string} are intact",
  {
    area,
    example: `Then the v3 client's writes to etcd "source" are intact`,
    doc: "Every key the concurrent v3 client wrote still has its value, the revision of that write and version 1 on every member: nothing wrote it again; and the store moved on after the client's writes (the migrator wrote after it, so its guard was tested).",
  },
  async function (name: string) {
    await checkWritesIntact(this, name, this.etcdOracle.concurrentWrites.get(name));
  },
);

step(
  "Then",
  "{store} is unchanged since snapshot {string}, revisions and indexes included",
  {
    area,
    example: 'Then etcd "source" is unchanged since snapshot "before", revisions and indexes included',
    doc: "Byte for byte: the identity diff with the etcd bookkeeping rules off (v3 create/mod revision and version, v2 created/modified index count); only the v2 TTL countdown is accounted, by name.",
  },
  async function (view: string, label: string) {
    await this.record.phase(`diff with snapshot ${label}`, () =>
      checkUnchangedWithRevisions(this, view, label),
    );
  },
);

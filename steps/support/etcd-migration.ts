import { execFileSync } from "node:child_process";
import { basename, dirname, join } from "node:path";
import { requireBinary } from "../../src/binaries/install.js";
import { makeTempDir } from "../../src/common/temp.js";
import { emptyDiffConfig } from "../../src/diff/config.js";
import { diffSnapshots } from "../../src/diff/engine.js";
import {
  compareHashes,
  compareMember,
  compareWithReference,
  copyStoppedMember,
  hashKvAtOneRevision,
  loadExpectedTree,
  readMember,
  readV2Indexes,
  resolveKeys,
  startEtcdctlReference,
  type TreeSemantics,
} from "../../src/etcd-v3-oracle/index.js";
import { diffCheck } from "../../src/report/from-diff.js";
import type { Difference } from "../../src/report/result.js";
import { loadSnapshot, saveSnapshot } from "../../src/snapshot/file.js";
import { openStore } from "../../src/store-uri/store-uri.js";
import { storeUri } from "./store-views.js";
import type { StoreshiftWorld } from "./world.js";

/**
 * Step glue for checking etcd v2→v3 migrations with the independent oracles of src/etcd-v3-oracle:
 * each function records one named check with every difference and throws when one counts.
 */

export type TtlPolicyName = TreeSemantics["ttlPolicy"];

export function ttlPolicy(name: string): TtlPolicyName {
  if (name === "permanent" || name === "drop" || name === "lease") return name;
  throw new Error(`unknown TTL policy "${name}" (permanent, drop or lease)`);
}

/** `etcd-v2/shapes.yaml` → `etcd-v2/expected/shapes.yaml`: the hand-written tree for a fixture. */
export function expectedTreeFile(fixture: string): string {
  return join(dirname(fixture), "expected", basename(fixture));
}

/**
 * Every member's whole v3 key space against the hand-written tree for `fixture`. `offline` means
 * etcdctl migrate's revisions (the v2 indexes, read from the v2 API key by key); `online` means
 * one fresh put per key.
 */
export async function checkExpectedTree(
  world: StoreshiftWorld,
  name: string,
  fixture: string,
  mode: "offline" | "online",
  policy: TtlPolicyName,
): Promise<void> {
  const tree = await loadExpectedTree(await world.fixturePath(expectedTreeFile(fixture)));
  const endpoints = world.endpoints(name);
  const differences: Difference[] = [];
  for (const endpoint of endpoints) {
    const member = await readMember(endpoint);
    const semantics: TreeSemantics = {
      ttlPolicy: policy,
      revisions: mode === "offline" ? "v2-indexes" : "fresh",
    };
    if (mode === "offline") {
      const keys = resolveKeys(
        tree,
        member.kvs.map((kv) => kv.key.toString("utf8")),
      ).keys.map((k) => k.key);
      semantics.v2Indexes = await readV2Indexes(endpoint, keys);
    }
    differences.push(...compareMember(tree, member, semantics));
  }
  world.record.expectCheck(
    `every member of ${name} (${endpoints.length}) holds the expected v3 tree of ${fixture} (${mode}, TTL ${policy})`,
    differences,
  );
}

/** hashkv of every member at one revision (the lowest current one): all equal. */
export async function checkHashKv(world: StoreshiftWorld, name: string): Promise<void> {
  const hashes = await hashKvAtOneRevision(world.endpoints(name));
  world.record.expectCheck(
    `hashkv of all ${hashes.length} members of ${name} at revision ${hashes[0]?.revision}`,
    compareHashes(hashes),
  );
}

/** Keeps a copy of a stopped member's data dir under `label`, removed after the scenario. */
export async function keepCopy(world: StoreshiftWorld, name: string, label: string): Promise<void> {
  const root = await makeTempDir(`${label}-copy`);
  world.leaveDir(`copy of etcd "${name}"'s stopped member data (${label})`, root);
  const copy = await copyStoppedMember(world.etcd(name), join(root, "data"));
  world.etcdOracle.copies.set(label, copy);
}

/**
 * Migrates the copy `label` with the real etcdctl migrate (`--no-ttl` under the drop policy), runs it
 * as etcd `label`, and compares `name`'s whole key space with it, apart from the documented
 * differences: revisions, and lease ids under the lease policy.
 */
export async function compareWithEtcdctl(
  world: StoreshiftWorld,
  name: string,
  label: string,
  policy: TtlPolicyName,
): Promise<void> {
  const copy = world.etcdOracle.copies.get(label);
  const reference = await startEtcdctlReference(copy, { name: label, noTtl: policy === "drop" });
  world.ownEtcds.add(reference.etcd);
  world.etcds.set(label, reference.etcd);
  world.cleanups.push(() => reference.etcd.stop());
  const theirs = await readMember(reference.etcd.endpoints[0] ?? "");
  const differences: Difference[] = [];
  for (const endpoint of world.endpoints(name))
    differences.push(
      ...compareWithReference(await readMember(endpoint), theirs, { leasesDiffer: policy === "lease" }),
    );
  world.record.expectCheck(
    `${name} holds what etcdctl migrate${policy === "drop" ? " --no-ttl" : ""} made of copy ${label} (${reference.outcome}; ${theirs.kvs.length} keys), apart from revisions`,
    differences,
  );
}

/** A v3 key a concurrent client wrote, with the revision etcd gave the write. */
export interface ConcurrentWrite {
  key: string;
  value: string;
  revision: number;
}

/**
 * A real v3 client (etcdctl, a separate process) that writes `rows` when the migrator reports its
 * first finished transaction: after the migrator's scan, before its writes of those keys. It runs
 * synchronously inside the progress callback, so the migrator's next transaction waits for it.
 */
export async function writerAfterFirstTransaction(
  endpoint: string,
  rows: { key: string; value: string }[],
): Promise<{ onProgress: () => void; writes: ConcurrentWrite[] }> {
  const etcdctl = (await requireBinary("etcdctl-v2")).path;
  const writes: ConcurrentWrite[] = [];
  const onProgress = () => {
    if (writes.length > 0) return;
    for (const { key, value } of rows) {
      const out = execFileSync(etcdctl, [`--endpoints=${endpoint}`, "-w", "json", "put", "--", key, value], {
        env: { ...process.env, ETCDCTL_API: "3" },
        timeout: 30_000,
      }).toString("utf8");
      const revision = Number((JSON.parse(out) as { header: { revision: number } }).header.revision);
      writes.push({ key, value, revision });
    }
  };
  return { onProgress, writes };
}

/** The concurrent client's writes are still there as written: value, mod revision and version 1. */
export async function checkWritesIntact(
  world: StoreshiftWorld,
  name: string,
  writes: ConcurrentWrite[],
): Promise<void> {
  if (writes.length === 0)
    throw new Error(
      `the v3 client never wrote: the migration of ${name} finished before its first progress report`,
    );
  const differences: Difference[] = [];
  const lastWrite = Math.max(...writes.map((w) => w.revision));
  for (const endpoint of world.endpoints(name)) {
    const member = await readMember(endpoint);
    // otherwise the client wrote after the migration's last write, and no guard was put to the test
    if (member.revision <= lastWrite)
      differences.push({
        class: "changed",
        id: `etcd-member:${endpoint}`,
        kind: "revision",
        path: "revision",
        expected: `> ${lastWrite} (the migrator writes after the client)`,
        actual: member.revision,
        note: "the migration wrote nothing after the v3 client",
      });
    const byKey = new Map(member.kvs.map((kv) => [kv.key.toString("utf8"), kv]));
    for (const w of writes) {
      const got = byKey.get(w.key);
      const id = `etcd:${w.key}`;
      if (!got) differences.push({ class: "missing", id, kind: endpoint, path: "", expected: w.value });
      else {
        if (got.value.toString("utf8") !== w.value)
          differences.push({
            class: "changed",
            id,
            kind: endpoint,
            path: "value",
            expected: w.value,
            actual: got.value.toString("utf8"),
          });
        if (got.modRevision !== w.revision || got.version !== 1)
          differences.push({
            class: "changed",
            id,
            kind: endpoint,
            path: "modRevision",
            expected: { modRevision: w.revision, version: 1 },
            actual: { modRevision: got.modRevision, version: got.version },
            note: "written again after the v3 client",
          });
      }
    }
  }
  world.record.expectCheck(
    `the v3 client's ${writes.length} write(s) to ${name} during the migration are intact`,
    differences,
  );
}

/**
 * "Byte for byte": the view again against snapshot `label` with the etcd bookkeeping rules off, so
 * v3 revisions, versions and v2 indexes count; only the v2 TTL countdown (seconds left) is named
 * and accounted for.
 */
export async function checkUnchangedWithRevisions(
  world: StoreshiftWorld,
  view: string,
  label: string,
): Promise<void> {
  const before = world.snapshots.get(label);
  const file = join(
    await world.ensureArtifactDir(),
    `snapshot-${label.replace(/[^A-Za-z0-9_.-]+/g, "_")}-strict.ndjson`,
  );
  await saveSnapshot(await openStore(storeUri(world, view)), file);
  world.record.artifacts.push(file);
  const config = {
    ...emptyDiffConfig(),
    disable: ["etcd-revisions", "etcd-v2-indexes"],
    rules: [
      {
        name: "etcd-v2-ttl-countdown",
        description: "seconds left on a v2 TTL count down between reads (the expiration time is compared)",
        paths: ["ttl"],
        source: "etcd byte-for-byte step",
      },
    ],
  };
  const diff = await diffSnapshots(await loadSnapshot(before), await loadSnapshot(file), {
    config,
  });
  world.record.expect(diffCheck(`${view} unchanged since "${label}", revisions and indexes included`, diff));
}

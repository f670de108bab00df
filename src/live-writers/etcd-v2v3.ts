import { etcdClient } from "../common/etcd-client.js";
import type { Difference } from "../diff/types.js";
import type { OnlineMigrationResult } from "../etcd-v2v3/online.js";
import { leaves, type V2Tree } from "../etcd-v2v3/tree.js";
import { v2Set } from "../etcd-v2v3/v2-client.js";
import { lastWrites, type StartedWriter, startWriter, type WriterLog } from "./writer.js";

/**
 * Live writers for the etcd v2store → v3store online migration: an application still writing v2
 * while the migrator copies, and a client already on v3. The writes the migrator's scan did not see
 * must be migrated by a later pass, refused by name, or named by the drift check — never lost
 * without a word; and a v3 write must never be overwritten.
 */

export interface V2WriterOptions {
  endpoint: string;
  /** Keys are `<prefix>/k0 … k<keys-1>`, written round-robin: first creates, then modifications. */
  prefix?: string;
  keys?: number;
  intervalMs?: number;
}

/** A v2 application: `set <prefix>/k<i mod keys> = v<i>` each turn; the log holds each modifiedIndex. */
export function startV2Writer(options: V2WriterOptions): StartedWriter {
  const prefix = options.prefix ?? "/live";
  const count = options.keys ?? 6;
  let i = 0;
  return startWriter(
    { name: "v2-writer", lock: "ignores", intervalMs: options.intervalMs ?? 15 },
    async () => {
      const key = `${prefix}/k${i % count}`;
      const value = `v${i}`;
      const res = await v2Set(options.endpoint, key, value);
      i++;
      return { writes: [{ key, value, revision: res.modifiedIndex }] };
    },
  );
}

export interface V3WriterOptions {
  endpoints: string[];
  /** Written round-robin; include keys the migrator will write, so the two race. */
  keys: string[];
  intervalMs?: number;
}

/** A client already on v3: a plain put each turn; the log holds each put's revision. */
export function startV3Writer(options: V3WriterOptions): StartedWriter {
  const client = etcdClient(options.endpoints, { purpose: "live writer (v3)" });
  let i = 0;
  return startWriter(
    { name: "v3-writer", lock: "ignores", intervalMs: options.intervalMs ?? 5, close: () => client.close() },
    async () => {
      const key = options.keys[i % options.keys.length] ?? "/live-v3";
      const value = `live-v3-${i}`;
      const res = await client.put(key).value(value).exec();
      i++;
      return { writes: [{ key, value, revision: Number(res.header.revision) }] };
    },
  );
}

/** A v2 key changed after the migrator's scan, and what v3 holds for it. */
export interface V2Drift {
  key: string;
  /** modified / deleted: the run had copied the key; created: it had not (new since the scan). */
  change: "created" | "modified" | "deleted";
  /** v2 modifiedIndex now (deleted: the index the run migrated). */
  modifiedIndex: number;
  /** v3 now: the same value as v2 (a later pass carried it), none, or an older value. */
  v3: "same" | "absent" | "stale";
}

/**
 * Every v2 leaf written after the scan at `scanIndex` (modifiedIndex greater), and every migrated key
 * v2 no longer holds (deleted after the scan), with what v3 holds for each. Pure; keys map to v3
 * unchanged (no prefix option), as the online migrator's default.
 */
export function v2DriftSinceScan(
  tree: V2Tree,
  scanIndex: number,
  migrated: OnlineMigrationResult["migrated"],
  v3: Map<string, string>,
): V2Drift[] {
  const out: V2Drift[] = [];
  const inV2 = new Set<string>();
  // v2's set replaces the node (a new createdIndex), so "existed at the scan" comes from the run
  const copied = new Set(migrated.map((m) => m.v2Key));
  for (const leaf of leaves(tree.root)) {
    inV2.add(leaf.key);
    if (leaf.modifiedIndex <= scanIndex) continue;
    const held = v3.get(leaf.key);
    out.push({
      key: leaf.key,
      change: copied.has(leaf.key) ? "modified" : "created",
      modifiedIndex: leaf.modifiedIndex,
      v3: held === undefined ? "absent" : held === leaf.value ? "same" : "stale",
    });
  }
  for (const m of migrated)
    if (!inV2.has(m.v2Key))
      out.push({
        key: m.v2Key,
        change: "deleted",
        modifiedIndex: m.modifiedIndex,
        v3: v3.has(m.key) ? "stale" : "absent",
      });
  return out.sort((a, b) => (a.key < b.key ? -1 : 1));
}

/**
 * The v2 writer's log against the migration, key by key: the value of the key's last write the scan
 * saw (modifiedIndex ≤ the scan index) must be what v3 holds — the copy is of the scan — and a last
 * write after the scan must be named by the drift, at its index. A named key no log holds is a false
 * alarm. Pure.
 */
export function v2WritesAccounted(
  log: WriterLog,
  scanIndex: number,
  drift: V2Drift[],
  v3: Map<string, string>,
): Difference[] {
  const named = new Map(drift.map((d) => [d.key, d]));
  const out: Difference[] = [];
  const seen = lastWrites([{ ...log, writes: log.writes.filter((w) => w.revision <= scanIndex) }]);
  const last = lastWrites([log]);
  for (const [key, w] of seen) {
    const held = v3.get(key);
    if (held !== w.value)
      out.push({
        class: held === undefined ? "missing" : "changed",
        id: `etcd-v2:${key}`,
        kind: w.writer,
        path: held === undefined ? "" : "value",
        expected: w.value,
        actual: held,
        note: `v2 held this at the scan (written at index ${w.revision} ≤ ${scanIndex}): the copy must hold it`,
      });
  }
  for (const [key, w] of last) {
    if (w.revision <= scanIndex) continue;
    const id = `etcd-v2:${key}`;
    const d = named.get(key);
    if (!d || d.modifiedIndex !== w.revision)
      out.push({
        class: "missing",
        id,
        kind: w.writer,
        path: "",
        expected: `named at v2 index ${w.revision}`,
        actual: d ? `named at ${d.modifiedIndex}` : undefined,
        note: `written after the scan at ${scanIndex} and not named: lost silently`,
      });
    else
      out.push({
        class: "accounted",
        id,
        kind: w.writer,
        path: "",
        rule: "live-writers/v2-written-after-scan",
        note: `${d.change} after the scan at v2 index ${d.modifiedIndex}; v3 ${d.v3}`,
      });
  }
  for (const d of drift)
    if (!last.has(d.key))
      out.push({
        class: "unexpected",
        id: `etcd-v2:${d.key}`,
        kind: "drift",
        path: "",
        actual: `${d.change} at ${d.modifiedIndex}`,
        note: "named as written after the scan, but the writer's log holds no such write",
      });
  return out;
}

/**
 * After a second pass (collisions skipped, not overwritten): each key's last v2 write is in v3 with
 * its value (migrated), or the pass refused it by name as a collision. Pure.
 */
export function v2WritesMigratedOrRefused(
  log: WriterLog,
  v3: Map<string, string>,
  secondPass: OnlineMigrationResult,
): Difference[] {
  const refused = new Set(secondPass.collisions.map((c) => c.v2Key));
  const out: Difference[] = [];
  for (const [key, w] of lastWrites([log])) {
    const id = `etcd-v2:${key}`;
    if (v3.get(key) === w.value) continue;
    if (refused.has(key))
      out.push({
        class: "accounted",
        id,
        kind: w.writer,
        path: "value",
        expected: w.value,
        actual: v3.get(key),
        rule: "live-writers/refused-as-collision",
        note: "v3 holds the value the first pass copied; the second pass refused to overwrite it, by name",
      });
    else
      out.push({
        class: v3.has(key) ? "changed" : "missing",
        id,
        kind: w.writer,
        path: v3.has(key) ? "value" : "",
        expected: w.value,
        actual: v3.get(key),
        note: "neither migrated nor refused by the second pass",
      });
  }
  return out;
}

/** v3 now: key → value, mod revision. */
export interface V3Held {
  value: string;
  modRevision: number;
}

/**
 * The v3 writer's last write of every key is still there (value and revision), and the migrator
 * never wrote a key after the writer first wrote it. Pure.
 */
export function v3WritesIntact(
  log: WriterLog,
  v3: Map<string, V3Held>,
  result: OnlineMigrationResult,
): Difference[] {
  const out: Difference[] = [];
  const first = new Map<string, number>();
  for (const w of log.writes) if (!first.has(w.key)) first.set(w.key, w.revision);
  for (const [key, w] of lastWrites([log])) {
    const held = v3.get(key);
    const id = `etcd:${key}`;
    if (!held) out.push({ class: "missing", id, kind: w.writer, path: "", expected: w.value });
    else if (held.value !== w.value || held.modRevision !== w.revision)
      out.push({
        class: "changed",
        id,
        kind: w.writer,
        path: held.value !== w.value ? "value" : "modRevision",
        expected: { value: w.value, modRevision: w.revision },
        actual: held,
        note: "written again after the v3 writer's last write",
      });
  }
  for (const m of result.migrated) {
    const firstWrite = first.get(m.key);
    if (firstWrite !== undefined && m.revision > firstWrite)
      out.push({
        class: "changed",
        id: `etcd:${m.key}`,
        kind: "migrator",
        path: "revision",
        expected: `< ${firstWrite} (the v3 writer's first write)`,
        actual: m.revision,
        note: "the migrator wrote a key a v3 client had already written",
      });
  }
  return out;
}

import type { Etcd3 } from "etcd3";
import { etcdClient } from "../common/etcd-client.js";
import type { Difference } from "../diff/types.js";
import { lastWrites, type WriterLog } from "./writer.js";

/**
 * The drift check: a fingerprint of the source (every key with its mod revision and version) taken
 * at the export, compared with the source at cut-over. Every key created, modified or deleted in
 * between is named; a migration that exported a moving datastore has lost exactly those writes.
 * Independent of the migrator: it reads etcd only, so it judges calicoctl and storeshift alike.
 */

export interface FingerprintEntry {
  modRevision: number;
  version: number;
}

export interface Fingerprint {
  prefix: string;
  /** The etcd revision the fingerprint was read at. */
  revision: number;
  keys: Map<string, FingerprintEntry>;
}

export interface DriftEntry {
  key: string;
  change: "created" | "modified" | "deleted";
  /** Mod revision at the fingerprint (absent for created keys). */
  before?: number;
  /** Mod revision now (for deleted keys: absent). */
  after?: number;
  /** Writes to the key since the fingerprint, from etcd's version counter (undefined when deleted or recreated). */
  writes?: number;
  /** The live writer whose log holds the key's latest write, when known. */
  writer?: string;
}

export async function readFingerprint(endpoints: string[], prefix = "/calico/"): Promise<Fingerprint> {
  const client = etcdClient(endpoints, { purpose: "drift fingerprint" });
  try {
    return await fingerprintWith(client, prefix);
  } catch (err) {
    throw new Error(
      `drift fingerprint of ${prefix} in etcd ${endpoints.join(",")}: ${(err as Error).message}`,
    );
  } finally {
    client.close();
  }
}

async function fingerprintWith(client: Etcd3, prefix: string): Promise<Fingerprint> {
  // pinned to the first page's revision: one consistent view
  const keys = new Map<string, FingerprintEntry>();
  const end = Buffer.from(prefix);
  end[end.length - 1] = (end[end.length - 1] ?? 0) + 1;
  let from = Buffer.from(prefix);
  let revision: string | undefined;
  for (;;) {
    let query = client.getAll().inRange({ start: from, end }).limit(2000);
    if (revision) query = query.revision(revision);
    const res = await query.exec();
    revision ??= String(res.header.revision);
    for (const kv of res.kvs)
      keys.set(kv.key.toString(), { modRevision: Number(kv.mod_revision), version: Number(kv.version) });
    const last = res.kvs.at(-1);
    if (!res.more || !last) break;
    from = Buffer.concat([last.key, Buffer.from([0])]);
  }
  return { prefix, revision: Number(revision), keys };
}

/** Every key that changed between two fingerprints, sorted by key. Pure. */
export function driftBetween(before: Fingerprint, after: Fingerprint): DriftEntry[] {
  const out: DriftEntry[] = [];
  for (const [key, now] of after.keys) {
    const then = before.keys.get(key);
    if (!then) out.push({ key, change: "created", after: now.modRevision, writes: now.version });
    else if (now.modRevision !== then.modRevision) {
      // a delete and re-create restarts the version at 1: the count is then unknown
      const recreated = now.version <= then.version;
      out.push({
        key,
        change: "modified",
        before: then.modRevision,
        after: now.modRevision,
        ...(recreated ? {} : { writes: now.version - then.version }),
      });
    }
  }
  for (const [key, then] of before.keys)
    if (!after.keys.has(key)) out.push({ key, change: "deleted", before: then.modRevision });
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Names the writer of each drifted key whose current revision a writer's log holds. Pure. */
export function attributeDrift(drift: DriftEntry[], logs: WriterLog[]): DriftEntry[] {
  const byKeyRevision = new Map<string, string>();
  for (const log of logs) for (const w of log.writes) byKeyRevision.set(`${w.key}@${w.revision}`, log.writer);
  return drift.map((d) => {
    const writer = d.after === undefined ? undefined : byKeyRevision.get(`${d.key}@${d.after}`);
    return writer ? { ...d, writer } : d;
  });
}

/** One line per drifted key, for error messages and reports. */
export function describeDrift(d: DriftEntry): string {
  const rev =
    d.change === "created"
      ? `at revision ${d.after}`
      : d.change === "modified"
        ? `revision ${d.before} → ${d.after}`
        : `was at revision ${d.before}`;
  const writes = d.writes === undefined ? "" : `, ${d.writes} write(s)`;
  return `${d.key} ${d.change} ${rev}${writes}${d.writer ? ` by ${d.writer}` : ""}`;
}

/** The drift as named differences: every one counts (class unexpected / changed / missing). */
export function driftDifferences(drift: DriftEntry[]): Difference[] {
  return drift.map((d) => ({
    class: d.change === "created" ? "unexpected" : d.change === "modified" ? "changed" : "missing",
    id: `etcd:${d.key}`,
    kind: d.writer ?? "unknown writer",
    path: d.change === "modified" ? "modRevision" : "",
    expected: d.before,
    actual: d.after,
    note: `written after the export: ${describeDrift(d)}`,
  }));
}

/**
 * The writers' own logs against the drift: every key a writer wrote after the fingerprint must be
 * named, at the revision of its last write and with as many writes as the log holds; and no key
 * may be named that no writer wrote (with only these writers running, that would be a false alarm).
 * Pure; returns the mismatches.
 */
export function crossCheckDrift(drift: DriftEntry[], logs: WriterLog[], since: number): Difference[] {
  const afterLogs: WriterLog[] = logs.map((l) => ({
    ...l,
    writes: l.writes.filter((w) => w.revision > since),
  }));
  const last = lastWrites(afterLogs);
  const counts = new Map<string, number>();
  for (const l of afterLogs) for (const w of l.writes) counts.set(w.key, (counts.get(w.key) ?? 0) + 1);
  const named = new Map(drift.map((d) => [d.key, d]));
  const out: Difference[] = [];
  for (const [key, w] of last) {
    const d = named.get(key);
    const id = `etcd:${key}`;
    if (!d) {
      out.push({
        class: "missing",
        id,
        kind: w.writer,
        path: "",
        expected: `named (written at revision ${w.revision})`,
        note: "a write after the export the drift check did not name",
      });
      continue;
    }
    if (d.after !== w.revision)
      out.push({
        class: "changed",
        id,
        kind: w.writer,
        path: "revision",
        expected: w.revision,
        actual: d.after,
      });
    if (d.writes !== undefined && d.change === "modified" && d.writes !== counts.get(key))
      out.push({
        class: "changed",
        id,
        kind: w.writer,
        path: "writes",
        expected: counts.get(key),
        actual: d.writes,
      });
  }
  for (const d of drift)
    if (!last.has(d.key))
      out.push({
        class: "unexpected",
        id: `etcd:${d.key}`,
        kind: "drift",
        path: "",
        actual: describeDrift(d),
        note: "named by the drift check, but no writer's log holds a write to it after the export",
      });
  return out;
}

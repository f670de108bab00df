import type { Difference } from "../diff/types.js";
import { type KubeExpectation, lastWrites, type WriterLog } from "./writer.js";

/** What the completeness check needs of an object read back from Kubernetes. */
export interface KubeObjectView {
  kind: string;
  metadata: { name: string; namespace?: string };
  [field: string]: unknown;
}

function at(obj: unknown, path: string[]): unknown {
  let cur: unknown = obj;
  for (const segment of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[segment];
  }
  return cur;
}

function ref(t: KubeExpectation): string {
  return `${t.kind}/${t.namespace ? `${t.namespace}/` : ""}${t.name}`;
}

/**
 * "Loses nothing": the last acknowledged write of every key the writers wrote is in Kubernetes,
 * with the fields the writer wrote (objects read back from the target, decoded). Writes the migration
 * does not carry by design are accounted, by name. Pure.
 */
export function writesInKube(logs: WriterLog[], objects: KubeObjectView[]): Difference[] {
  const byRef = new Map(
    objects.map((o) => [
      `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`,
      o,
    ]),
  );
  const out: Difference[] = [];
  for (const [key, w] of lastWrites(logs)) {
    const target = w.target;
    if (!target) continue;
    if ("notMigrated" in target) {
      out.push({
        class: "accounted",
        id: `etcd:${key}`,
        kind: w.writer,
        path: "",
        rule: "live-writers/not-migrated",
        note: target.notMigrated,
      });
      continue;
    }
    const id = `kube:${ref(target)}`;
    const found = byRef.get(ref(target));
    if (!found) {
      out.push({
        class: "missing",
        id,
        kind: w.writer,
        path: "",
        expected: `${key} at revision ${w.revision}`,
        note: "acknowledged by etcd before the lock, absent from Kubernetes",
      });
      continue;
    }
    for (const f of target.fields) {
      const actual = at(found, f.path);
      if (JSON.stringify(actual) !== JSON.stringify(f.value))
        out.push({
          class: "changed",
          id,
          kind: w.writer,
          path: f.path.join("."),
          expected: f.value,
          actual,
          note: `last write ${key} at revision ${w.revision}`,
        });
    }
  }
  return out;
}

/**
 * A writer that honours the lock waited while it was set and wrote nothing at or after the lock's
 * revision (ClusterInformation's mod revision when it was locked). Pure.
 */
export function lockHonoured(logs: WriterLog[], lockRevision: number): Difference[] {
  const out: Difference[] = [];
  for (const log of logs) {
    if (log.lock !== "honours") continue;
    if (log.waits === 0)
      out.push({
        class: "missing",
        id: `writer:${log.writer}`,
        kind: log.writer,
        path: "waits",
        expected: "> 0",
        actual: 0,
        note: "never saw the lock: it stopped before the lock or never read the flag",
      });
    for (const w of log.writes)
      if (w.revision >= lockRevision)
        out.push({
          class: "unexpected",
          id: `etcd:${w.key}`,
          kind: log.writer,
          path: "revision",
          expected: `< ${lockRevision} (the lock)`,
          actual: w.revision,
          note: "a lock-honouring writer wrote while the datastore was locked",
        });
  }
  return out;
}

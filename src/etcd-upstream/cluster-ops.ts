import { rm } from "node:fs/promises";
import { join } from "node:path";
import { StoreshiftError } from "../common/errors.js";
import { etcdClient } from "../common/etcd-client.js";
import { latestSnapIndex } from "../etcd-v2v3/offline.js";
import { memberStatus } from "../etcd-v2v3/v3.js";
import type { StartedLocalEtcd } from "../providers/etcd/local-etcd.js";
import { logTail } from "./cases.js";
import { startAll } from "./raw-tool.js";

/** Index of a member that is not the leader, as the members themselves report it. */
export async function followerIndex(cluster: StartedLocalEtcd): Promise<number> {
  for (const [i, m] of cluster.members.entries()) {
    const client = etcdClient([m.clientUrl], { purpose: "upstream etcd case" });
    try {
      const s = await client.maintenance.status();
      if (s.leader !== s.header.member_id) return i;
    } finally {
      client.close();
    }
  }
  throw new StoreshiftError(`find a follower of etcd ${cluster.name}: every member says it leads`);
}

export type Layout = "WAL only" | "WAL and snapshot" | "fresh snapshot";

/**
 * The storage layout of member 0 right now: no `.snap` (WAL only), a `.snap` with later WAL entries,
 * or a `.snap` at most 1 entry behind the applied index (fresh: `--snapshot-count 1`).
 */
export async function storageLayout(cluster: StartedLocalEtcd): Promise<{ layout: Layout; detail: string }> {
  const m = cluster.member(0);
  const snap = await latestSnapIndex(m.info.dataDir);
  const applied = (await memberStatus(m.clientUrl)).raftAppliedIndex;
  const detail = `newest .snap at raft index ${snap || "none"}, applied index ${applied}`;
  return { layout: classifyLayout(snap, applied), detail };
}

/** Pure: the layout from the newest `.snap`'s raft index (0 = none) and the applied index. */
export function classifyLayout(snapIndex: number, appliedIndex: number): Layout {
  if (snapIndex === 0) return "WAL only";
  return appliedIndex - snapIndex <= 1 ? "fresh snapshot" : "WAL and snapshot";
}

/**
 * The "rollback" upstream warns about (etcd-io/etcd#9480): stop, delete each member's
 * `member/snap/db`, start again. Returns whether the members came back, with the log when not.
 */
export async function rollbackByDeletingDb(
  cluster: StartedLocalEtcd,
): Promise<{ ok: boolean; error?: string; log?: string }> {
  for (const m of cluster.members) await m.stop();
  for (const m of cluster.members) await rm(join(m.info.dataDir, "member", "snap", "db"), { force: true });
  const failures = await startAll(cluster.members);
  if (failures.length === 0) return { ok: true };
  const logs = await Promise.all(cluster.members.map((m) => logTail(m.info.logFile)));
  return { ok: false, error: failures.join("; "), log: logs.join("\n") };
}

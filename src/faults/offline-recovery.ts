import { existsSync } from "node:fs";
import { join } from "node:path";
import { latestSnapIndex, type MemberBackup } from "../etcd-v2v3/offline.js";
import type { StartedLocalEtcd } from "../providers/etcd/local-etcd.js";

/**
 * The backups an interrupted offline migration left in `backupRoot` (it names the dir in its error;
 * a caller that chose the dir knows it). The migration throws instead of returning its result, so
 * this is how a rollback finds what to restore: one `<member>` dir per member it had reached.
 */
export async function backupsIn(cluster: StartedLocalEtcd, backupRoot: string): Promise<MemberBackup[]> {
  const out: MemberBackup[] = [];
  for (const m of cluster.members) {
    const backupDir = join(backupRoot, m.name);
    if (!existsSync(backupDir)) continue;
    out.push({
      member: m.name,
      dataDir: m.info.dataDir,
      walDir: m.info.walDir,
      backupDir,
      snapIndex: await latestSnapIndex(backupDir),
      takenAt: "",
    });
  }
  return out;
}

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { errorMessage, StoreshiftError } from "../common/errors.js";
import { etcdClient } from "../common/etcd-client.js";
import { readV2Tree, v2Delete } from "../etcd-v2v3/v2-client.js";
import type { StartedLocalEtcd } from "../providers/etcd/local-etcd.js";
import { withFlag } from "./flags.js";

export interface V2PurgeResult {
  /** Top-level v2 nodes deleted (recursively), and hidden names deleted because they were named. */
  deleted: string[];
  /** `.snap` files in each member's `member/snap` after the forced snapshot. */
  snapFiles: Record<string, number>;
}

function snapCount(dataDir: string): number {
  try {
    return readdirSync(join(dataDir, "member", "snap")).filter((f) => f.endsWith(".snap")).length;
  } catch {
    return 0;
  }
}

/**
 * The upgrade guide's clean-up before 3.6: delete every v2 key (listed top-level nodes, plus the
 * hidden ones named in `hidden`, which no listing shows), then, unless `forceSnapshot` is false,
 * restart each member once with `--snapshot-count=1` and once more with its own flags, so a v2
 * snapshot taken after the deletes covers every v2 WAL entry (3.6 refuses v2 WAL records after the
 * last snapshot, upstream case E-13). Needs the v2 API (`--enable-v2`), so it runs before 3.6.
 */
export async function purgeV2Store(
  cluster: StartedLocalEtcd,
  options: { hidden?: string[]; forceSnapshot?: boolean } = {},
): Promise<V2PurgeResult> {
  const endpoint = cluster.endpoints[0] ?? "";
  const what = `purge the v2 store of etcd ${cluster.name}`;
  const tree = await readV2Tree(endpoint, { quorum: true });
  const deleted: string[] = [];
  for (const node of tree.root.nodes ?? []) {
    await v2Delete(endpoint, node.key, { recursive: true });
    deleted.push(node.key);
  }
  for (const name of options.hidden ?? []) {
    try {
      await v2Delete(endpoint, name, { recursive: true });
      deleted.push(name);
    } catch (err) {
      // a hidden name the data never had is not an error; anything else is
      if (!/404|not found/i.test(errorMessage(err)))
        throw new StoreshiftError(`${what}: ${errorMessage(err)}`, { cause: err });
    }
  }
  // not a quorum read: a v2 QGET is a raft entry too, and 3.6 refuses one left after the last v2 snapshot
  const after = await readV2Tree(endpoint, { quorum: false });
  if ((after.root.nodes ?? []).length > 0)
    throw new StoreshiftError(
      `${what}: ${(after.root.nodes ?? []).map((n) => n.key).join(", ")} still listed after the deletes`,
    );
  if (options.forceSnapshot !== false) await forceV2Snapshot(cluster);
  return { deleted, snapFiles: snapFiles(cluster) };
}

function snapFiles(cluster: StartedLocalEtcd): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of cluster.members) out[m.name] = snapCount(m.info.dataDir);
  return out;
}

/**
 * Raft entries that are not v2 requests and change no key (a lease granted and revoked, twice): a
 * member snapshotting every other entry then has its last snapshot past every v2 entry before them,
 * whatever the log ended with (measured: a trailing v2 QGET made 3.6 panic `detected disallowed v2 WAL`).
 */
async function v3Entries(endpoint: string): Promise<void> {
  const client = etcdClient([endpoint], { purpose: "v2 purge" });
  try {
    for (let i = 0; i < 2; i++) {
      const lease = client.lease(60, { autoKeepAlive: false });
      await lease.grant();
      await lease.revoke();
    }
  } catch (err) {
    throw new StoreshiftError(
      `force a v2 snapshot: lease grant/revoke through ${endpoint}: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  } finally {
    client.close();
  }
}

/**
 * Restarts each member with `--snapshot-count=1`, then makes a few raft entries that are not v2
 * requests: every member then writes a snapshot (v2 store included) past every v2 entry. Returns
 * each member's `.snap` count, which must now be at least 1.
 */
export async function forceV2Snapshot(cluster: StartedLocalEtcd): Promise<Record<string, number>> {
  for (let i = 0; i < cluster.members.length; i++) {
    const member = cluster.member(i);
    const binary = {
      ...cluster.binary,
      path: member.command,
      version: member.version || cluster.binary.version,
    };
    await cluster.restartMemberWith(i, binary, (args) => withFlag(args, "--snapshot-count", "1"));
  }
  // last: waiting for /health on etcd <= 3.4 is itself a v2 QGET through raft, so the entries that
  // push every member's snapshot past those come after every restart; the members keep
  // --snapshot-count=1 until their next restart (the upgrade) gives them their own flags
  await v3Entries(cluster.endpoints[0] ?? "");
  const counts = snapFiles(cluster);
  const none = Object.entries(counts).filter(([, n]) => n === 0);
  if (none.length > 0)
    throw new StoreshiftError(
      `force a v2 snapshot on etcd ${cluster.name}: no .snap file on ${none.map(([m]) => m).join(", ")} after a restart with --snapshot-count=1`,
    );
  return counts;
}

import type { ICompare, IRequestOp } from "etcd3";
import { StoreshiftError } from "../common/errors.js";
import { etcdClient } from "../common/etcd-client.js";
import { MAX_TXN_OPS, type MigratedKey, type OnlineMigrationResult, v3Failure } from "./online.js";

export interface OnlineRollbackResult {
  /** Migrated keys deleted (unchanged since the migration). */
  deleted: string[];
  /** Keys v3 clients changed since the migration: kept. */
  kept: { key: string; migratedRevision: number; currentModRevision: number }[];
  /** Keys already gone. */
  gone: string[];
  /** Leases the migration granted that no key used any more, revoked. */
  leasesRevoked: string[];
  txns: number;
}

/**
 * Undoes an online migration: deletes exactly the keys the run wrote, each guarded by the mod_revision
 * recorded then, so a key a v3 client changed since is kept and listed. Keys the run only found
 * (already present) are never touched.
 */
export async function rollbackOnline(
  result: OnlineMigrationResult,
  options: { v3Endpoints?: string[] } = {},
): Promise<OnlineRollbackResult> {
  try {
    return await rollbackOnlineUnwrapped(result, options);
  } catch (err) {
    throw v3Failure("rollback online", options.v3Endpoints ?? result?.v3Endpoints ?? [], err);
  }
}

async function rollbackOnlineUnwrapped(
  result: OnlineMigrationResult,
  options: { v3Endpoints?: string[] } = {},
): Promise<OnlineRollbackResult> {
  if (result?.kind !== "online" || !Array.isArray(result.migrated)) {
    throw new StoreshiftError("rollback online: the given result is not an online migration result", {
      exitCode: 2,
    });
  }
  const client = etcdClient(options.v3Endpoints ?? result.v3Endpoints, { purpose: "v2→v3 rollback" });
  const out: OnlineRollbackResult = { deleted: [], kept: [], gone: [], leasesRevoked: [], txns: 0 };
  try {
    for (let i = 0; i < result.migrated.length; i += MAX_TXN_OPS) {
      let remaining: MigratedKey[] = result.migrated.slice(i, i + MAX_TXN_OPS);
      while (remaining.length > 0) {
        const keys = remaining.map((m) => Buffer.from(m.key, "utf8"));
        const compare: ICompare[] = remaining.map((m, j) => ({
          key: keys[j],
          target: "Mod",
          result: "Equal",
          mod_revision: m.revision,
        }));
        const success: IRequestOp[] = keys.map((key) => ({ request_delete_range: { key } }));
        const failure: IRequestOp[] = keys.map((key) => ({ request_range: { key, keys_only: true } }));
        const response = await client.kv.txn({ compare, success, failure });
        out.txns++;
        if (response.succeeded) {
          for (const m of remaining) out.deleted.push(m.key);
          break;
        }
        const retry: MigratedKey[] = [];
        remaining.forEach((m, j) => {
          const found = response.responses[j]?.response_range?.kvs?.[0];
          if (!found) out.gone.push(m.key);
          else if (Number(found.mod_revision) !== m.revision)
            out.kept.push({
              key: m.key,
              migratedRevision: m.revision,
              currentModRevision: Number(found.mod_revision),
            });
          else retry.push(m);
        });
        remaining = retry;
      }
    }
    for (const lease of result.leases) {
      try {
        const ttl = await client.leaseClient.leaseTimeToLive({ ID: lease.id, keys: true });
        if (Number(ttl.TTL) <= 0) continue; // expired: etcd already removed it
        if ((ttl.keys ?? []).length === 0) {
          await client.leaseClient.leaseRevoke({ ID: lease.id });
          out.leasesRevoked.push(lease.id);
        }
      } catch {
        // an expired or revoked lease is already gone
      }
    }
  } finally {
    client.close();
  }
  return out;
}

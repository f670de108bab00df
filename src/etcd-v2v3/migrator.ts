import type { StartedLocalEtcd } from "../providers/etcd/local-etcd.js";
import {
  type MemberBackup,
  migrateOffline,
  type OfflineMigrationOptions,
  type OfflineMigrationResult,
  type OfflineRollbackResult,
  rollbackOffline,
} from "./offline.js";
import { migrateOnline, type OnlineMigrationOptions, type OnlineMigrationResult } from "./online.js";
import { type OnlineRollbackResult, rollbackOnline } from "./rollback.js";

export interface OfflineRollbackOptions {
  cluster?: StartedLocalEtcd;
  mode?: "data-dir" | "db";
}

/**
 * The public interface a v2→v3 migrator implements: storeshift's own ("builtin"), or a user module
 * loaded with `--migrator module=PATH` (src/migrator-module), driven by the same scenarios and checks.
 */
export interface V2V3Migrator {
  /** "builtin", or what a module calls itself; shown in reports. */
  readonly name: string;
  /** Member by member: stop, back up, `etcdctl migrate`, restart; the result carries its own verification. */
  migrateOffline(
    cluster: StartedLocalEtcd,
    options?: OfflineMigrationOptions,
  ): Promise<OfflineMigrationResult>;
  /** While etcd runs: copy the v2 key space into v3 without overwriting anything there. */
  migrateOnline(options: OnlineMigrationOptions): Promise<OnlineMigrationResult>;
  /** Deletes exactly the keys an online run wrote (and that nobody changed since). */
  rollbackOnline(
    result: OnlineMigrationResult,
    options?: { v3Endpoints?: string[] },
  ): Promise<OnlineRollbackResult>;
  /** Puts every member back to its pre-migration backup. */
  rollbackOffline(backups: MemberBackup[], options?: OfflineRollbackOptions): Promise<OfflineRollbackResult>;
}

export const builtinV2V3Migrator: V2V3Migrator = {
  name: "builtin",
  migrateOffline,
  migrateOnline,
  rollbackOnline,
  rollbackOffline,
};

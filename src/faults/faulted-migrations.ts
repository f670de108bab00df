import type { KubeConfig } from "@kubernetes/client-node";
import { withKube } from "../calico/api.js";
import type { MigrationStores, Migrator } from "../calico/migrator.js";
import { makeTempDir } from "../common/temp.js";
import type { V2V3Migrator } from "../etcd-v2v3/migrator.js";
import type { OfflineMigrationResult } from "../etcd-v2v3/offline.js";
import type { OnlineMigrationResult } from "../etcd-v2v3/online.js";
import type { StartedLocalEtcd } from "../providers/etcd/local-etcd.js";
import type { PhaseRecorder } from "./attempts.js";
import { writeKubeconfigThrough } from "./kubeconfig.js";
import { backupsIn } from "./offline-recovery.js";
import type { FaultSession } from "./session.js";
import { parseCalicoStep } from "./words.js";

/**
 * The migrations a fault scenario drives, with explicit inputs: the session (proxies, faults to heal),
 * the migrator the run chose, the stores. Step definitions parse their words and call these.
 */

/** Keeps a dir the scenario made for as long as the scenario (or removes it with a kept one's leftovers). */
export type KeepDir = (what: string, dir: string) => void;

/** The Kubernetes side as a migrator reaches it. */
export interface KubeAccess {
  kubeconfigPath: string;
  kubeConfig(): KubeConfig;
}

/**
 * The stores a migrator is given: the source etcd and the kubeconfig, each through the fault proxy in
 * front of it if there is one. A proxied kubeconfig is a file (calicoctl and module migrators take a
 * path), written to a dir of its own that `keepDir` ties to the scenario.
 */
export async function storesThroughProxies(
  session: FaultSession,
  source: { name: string; endpoints: string[] },
  kube: KubeAccess,
  keepDir: KeepDir,
): Promise<Omit<MigrationStores, "signal">> {
  const etcdEndpoints = session.etcdEndpoints(source.name, source.endpoints);
  const proxy = session.proxies.get("the kube-apiserver");
  if (!proxy) return { etcdEndpoints, kubeconfigPath: kube.kubeconfigPath };
  const dir = await makeTempDir("proxied-kubeconfig");
  keepDir("the kubeconfig through the fault proxy", dir);
  return { etcdEndpoints, kubeconfigPath: await writeKubeconfigThrough(kube.kubeConfig(), proxy, dir) };
}

/** A migrator's import reports failure in its result (calicoctl's exit code); a step fails on it. */
export async function importOrThrow(migrator: Migrator, text: string): Promise<void> {
  const result = await migrator.import(text);
  if (result.exitCode !== 0)
    throw new Error(result.error ?? `${migrator.name} import exited ${result.exitCode}`);
}

/** Where an export's text comes from and goes: the scenario keeps it for a later import. */
export interface ExportText {
  get(): string;
  set(text: string): void;
}

/**
 * One step of the Calico guide: lock (etcd), export, import, unlock (Kubernetes) or rollback. A word
 * that is no step fails like the step would, so the try step records it.
 */
export async function runCalicoStep(migrator: Migrator, word: string, exported: ExportText): Promise<void> {
  switch (parseCalicoStep(word)) {
    case "lock":
      return migrator.lock("etcdv3");
    case "export":
      exported.set(await migrator.export());
      return;
    case "import":
      return importOrThrow(migrator, exported.get());
    case "unlock":
      return migrator.unlock("kubernetes");
    case "rollback":
      await migrator.rollback();
      return;
  }
}

/** The guide's lock, export and import with no fault; returns the export's text. */
export async function directCalicoRun(migrator: Migrator, record: PhaseRecorder): Promise<string> {
  await record.phase("lock etcdv3", () => migrator.lock("etcdv3"));
  const text = await record.phase("export", () => migrator.export());
  await record.phase("import", () => importOrThrow(migrator, text));
  return text;
}

/**
 * What an operator does after a failed Calico step: heal the faults, roll back if Kubernetes holds
 * Calico CRDs (the guide's rollback), then lock, export and import again with no fault. Returns the
 * export's text.
 */
export async function recoverCalico(options: {
  session: FaultSession;
  record: PhaseRecorder;
  kubeConfig: KubeConfig;
  migrator: () => Promise<Migrator>;
}): Promise<string> {
  const { session, record, migrator } = options;
  await record.phase("heal faults", () => session.heal());
  const crds = await withKube(options.kubeConfig, (k) => k.calicoCrdNames());
  if (crds.length > 0) await record.phase("rollback", async () => (await migrator()).rollback());
  return directCalicoRun(await migrator(), record);
}

/** The online migrator writing one Txn of `batch` puts at a time, so a fault lands between batches. */
export function migrateOnlineInBatches(
  migrator: V2V3Migrator,
  options: { v2Endpoint: string; v3Endpoints: string[]; batch: number; signal?: AbortSignal },
): Promise<OnlineMigrationResult> {
  return migrator.migrateOnline({
    signal: options.signal,
    v2Endpoint: options.v2Endpoint,
    v3Endpoints: options.v3Endpoints,
    ttlPolicy: "permanent",
    txnOps: options.batch,
    concurrency: 1,
  });
}

/** Batch size of a recovery whose interrupted online run is not known. */
export const DEFAULT_RECOVERY_BATCH = 128;

/**
 * Heals the faults and runs the online migrator again directly (no proxy): keys the interrupted run
 * wrote are found equal and left alone, the rest is written.
 */
export async function recoverOnline(options: {
  session: FaultSession;
  record: PhaseRecorder;
  name: string;
  cluster: StartedLocalEtcd;
  migrator: () => Promise<V2V3Migrator>;
  v2Endpoint: string;
  v3Endpoints: string[];
}): Promise<OnlineMigrationResult> {
  const { session, record, name, cluster } = options;
  await record.phase("heal faults", () => session.heal());
  await cluster.waitHealthy();
  const batch = session.onlineBatches.get(name) ?? DEFAULT_RECOVERY_BATCH;
  return record.phase("migrate online", async () =>
    migrateOnlineInBatches(await options.migrator(), {
      v2Endpoint: options.v2Endpoint,
      v3Endpoints: options.v3Endpoints,
      batch,
    }),
  );
}

/**
 * The rolling offline migration with its backups in `backupRoot`, a dir the scenario knows, so a
 * failed roll can be rolled back from them. The result is handed to `onResult` (and kept in the
 * session) before discrepancies fail the step.
 */
export async function migrateOfflineUnderFault(options: {
  session: FaultSession;
  name: string;
  cluster: StartedLocalEtcd;
  migrator: V2V3Migrator;
  backupRoot: string;
  signal: AbortSignal;
  log: (line: string) => void;
  onResult: (result: OfflineMigrationResult) => void;
}): Promise<void> {
  const { session, name, backupRoot } = options;
  session.offlineRolls.set(name, { backupRoot });
  const result = await options.migrator.migrateOffline(options.cluster, {
    backupRoot,
    signal: options.signal,
  });
  session.offlineRolls.set(name, { backupRoot, result });
  options.onResult(result);
  if (result.unverifiedMembers.length > 0)
    options.log(`offline migration: not serving at the final check: ${result.unverifiedMembers.join(", ")}`);
  if (result.discrepancies.length > 0)
    throw new Error(`offline migration of ${name}: ${result.discrepancies.length} discrepancies`);
}

/**
 * Heals the faults; when the tried roll failed, restores every member it reached from its backup
 * (rollback offline) and runs the whole offline migration again, its backups in a new kept dir.
 * Returns the second roll's result, or undefined when the first one had returned its own.
 */
export async function recoverOffline(options: {
  session: FaultSession;
  record: PhaseRecorder;
  name: string;
  cluster: StartedLocalEtcd;
  migrator: () => Promise<V2V3Migrator>;
  keepDir: KeepDir;
}): Promise<OfflineMigrationResult | undefined> {
  const { session, record, name, cluster, migrator } = options;
  await record.phase("heal faults", () => session.heal());
  // a member killed before the roll reached it has no backup; it must run before the others can form quorum
  await cluster.waitHealthy();
  const roll = session.offlineRolls.get(name);
  if (!roll) throw new Error(`no offline migration of etcd "${name}" was tried in this scenario`);
  if (roll.result) return undefined;
  const backups = await backupsIn(cluster, roll.backupRoot);
  if (backups.length > 0)
    await record.phase("rollback offline", async () =>
      (await migrator()).rollbackOffline(backups, { cluster }),
    );
  const again = await makeTempDir(`${name}-rerun-backup`);
  options.keepDir(`offline backups of etcd "${name}" (second roll)`, again);
  return record.phase("migrate offline", async () =>
    (await migrator()).migrateOffline(cluster, { backupRoot: again }),
  );
}

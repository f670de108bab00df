import type { QuirkMode } from "../../src/calico/export/build.js";
import type { CalicoFixture } from "../../src/calico/fixture.js";
import type { CrdManifest } from "../../src/calico/kube/crds.js";
import type { MigratorImportResult } from "../../src/calico/migrator.js";
import type { RollbackResult } from "../../src/calico/rollback.js";
import type { V2StoreCheck } from "../../src/etcd-lifecycle/index.js";
import type { UpstreamRun } from "../../src/etcd-upstream/cases.js";
import type { OfflineMigrationResult } from "../../src/etcd-v2v3/offline.js";
import type { OnlineMigrationResult } from "../../src/etcd-v2v3/online.js";
import type { V2Tree } from "../../src/etcd-v2v3/tree.js";
import type { V3Kv } from "../../src/etcd-v2v3/v3.js";
import type { MemberCopy, MemberKv } from "../../src/etcd-v3-oracle/index.js";
import type { FaultSession } from "../../src/faults/session.js";
import type { Fingerprint, StartedWriter } from "../../src/live-writers/index.js";
import type { RawEntry } from "../../src/oracles/calico/read.js";
import type { ReadinessReport } from "../../src/oracles/calico/readiness.js";
import type { ForwardAttempt, Tool } from "../../src/upstream/calico-judges.js";
import type { ConcurrentWrite } from "./etcd-migration.js";
import { Produced, ProducedByName } from "./produced.js";

/**
 * What a scenario's steps hand to later steps, one small typed object per concept (the World holds
 * one of each). A value a step must have goes in a `Produced` slot, whose reading names the step
 * that produces it; a value a step may do without is a plain optional field.
 */

/** The Calico migration of this scenario: where its data is, what each guide step returned. */
export class CalicoState {
  /** Name of the etcd holding the Calico data (the World's etcd or etcd container of that name). */
  readonly source = new Produced<string>(
    "Calico source etcd",
    'Given Calico data from "…" in etcd "…"' + " (or a Bring-your-own-data step)",
  );
  readonly fixture = new Produced<CalicoFixture>("Calico fixture", 'Given Calico data from "…" in etcd "…"');
  readonly exportText = new Produced<string>("Calico export", "When I export the etcd datastore");
  readonly imported = new Produced<MigratorImportResult>(
    "Calico import result",
    "When I import the export into Kubernetes",
  );
  readonly rolledBack = new Produced<RollbackResult>("Calico rollback result", "When I roll back to etcd");
  /** Calico's real CRD manifests, installed by import instead of the generated ones. */
  crds: CrdManifest[] | undefined;
  /** The migrator this scenario uses whatever `--migrator` says (`builtin`, `calicoctl=PATH`). */
  migrator: string | undefined;
  /** The builtin migrator's mode; unset is storeshift's own fixes. */
  mode: QuirkMode | undefined;
  /** The last calico-node start-up readiness check. */
  readiness: ReadinessReport | undefined;
}

/** etcd v2store → v3store runs, by etcd name. */
export class EtcdMigrationState {
  /** The v2 tree as seeded, read back before the migration. */
  readonly v2Before = new ProducedByName<V2Tree>(
    "v2 tree read before the migration of etcd",
    'Given the v2 keys of "…" in etcd "…"',
  );
  readonly offline = new ProducedByName<OfflineMigrationResult>(
    "offline migration of etcd",
    'When I migrate etcd "…" offline, one member at a time',
  );
  readonly online = new ProducedByName<OnlineMigrationResult>(
    "online migration of etcd",
    'When I migrate etcd "…" online',
  );
  readonly onlineSecondPass = new ProducedByName<OnlineMigrationResult>(
    "second online pass of etcd",
    'When I migrate etcd "…" online again, skipping collisions',
  );
}

/** What the independent etcd oracles keep between steps, by etcd name or copy label. */
export class EtcdOracleState {
  readonly concurrentWrites = new ProducedByName<ConcurrentWrite[]>(
    "concurrent v3 client writes to etcd",
    'When I migrate etcd "…" online, one key per transaction, while a v3 client writes after the first transaction:',
  );
  readonly copies = new ProducedByName<MemberCopy>(
    "stopped member copy",
    'Given a stopped copy of etcd "…" as "…"',
  );
}

/** A read every member of a cluster is compared with later. */
export interface MemberReference {
  label: string;
  revision: number;
  kvs: V3Kv[];
}

/** After the migration: restarts, member adds, v2 purge and upgrades, by etcd name. */
export class LifecycleState {
  readonly references = new ProducedByName<MemberReference>(
    "per-member read of etcd",
    'When I read what every member of etcd "…" holds',
  );
  readonly v2StoreChecks = new ProducedByName<{ version: string; checks: V2StoreCheck[] }>(
    "etcdutl v2 store check of etcd",
    'When I check the v2 store of every member of etcd "…" with etcdutl 3.5',
  );
}

/** Simulated components writing while a migration runs. */
export class LiveWritersState {
  /** Every writer started in this scenario, running or stopped. */
  readonly writers: StartedWriter[] = [];
  readonly fingerprints = new ProducedByName<Fingerprint>(
    "drift fingerprint of etcd",
    'When I take a drift fingerprint of etcd "…"',
  );
}

/** Faults applied in this scenario; attempts, batches and backups live in the session itself. */
export class FaultsState {
  /** Applied faults and fault proxies; created (and left for release) by the first fault step. */
  session: FaultSession | undefined;
}

/** Which tool an upstream Calico case row runs with. */
export interface CaseTool {
  tool: Tool;
  version?: string;
  /** The calicoctl binary, for a calicoctl row. */
  path?: string;
}

/** Upstream regression cases: the case, the migrator run, what the stores held before it. */
export class UpstreamState {
  /** The etcd case this scenario is about. */
  caseId: string | undefined;
  /** The etcd the last migrate step ran on. */
  store: string | undefined;
  readonly runs = new ProducedByName<UpstreamRun>(
    "upstream migrator run on etcd",
    'When I migrate etcd "…" with "…"',
  );
  readonly v3Before = new ProducedByName<MemberKv[]>(
    "v3 key space read before the migration of etcd",
    'When I migrate etcd "…" with "…"',
  );
  /** The member index a step paused, by etcd name. */
  readonly paused = new Map<string, number>();
  /** The v2 storage layout a step saw, described, by etcd name. */
  readonly layouts = new Map<string, string>();
  /** Hidden v2 keys a fixture names, by etcd name. */
  readonly includeHidden = new Map<string, string[]>();
  /** The tool a Calico case row runs with. */
  readonly tool = new Produced<CaseTool>("upstream case tool", 'Given upstream case "…" runs with "…"');
  /** Every key and value under /calico/ at the note step. */
  noted: RawEntry[] | undefined;
  /** The forward migration's stages, as far as they went. */
  attempt: ForwardAttempt | undefined;
}

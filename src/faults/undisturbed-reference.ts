import { createHash } from "node:crypto";
import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import type { Migrator } from "../calico/migrator.js";
import { envVar } from "../common/environment.js";
import { emptyDiffConfig } from "../diff/config.js";
import { diffSnapshots } from "../diff/engine.js";
import { diffCheck } from "../report/from-diff.js";
import type { Check } from "../report/result.js";
import { loadSnapshot, saveSnapshot } from "../snapshot/file.js";
import { openStore } from "../store-uri/store-uri.js";
import type { PhaseRecorder } from "./attempts.js";
import { directCalicoRun } from "./faulted-migrations.js";

/**
 * Undisturbed references, computed once per fixture and worker. A fault scenario's reference is the
 * target an undisturbed migration of its fixture reaches; that target is deterministic (same fixture,
 * same CRDs, same control plane: the same Calico objects once the diff's default rules have set aside
 * what the API server assigns — uids, resourceVersions, creation timestamps, generations), so a worker
 * computes it for the first scenario of each fixture and later scenarios reuse the snapshot file.
 *
 * STORESHIFT_UNDISTURBED_REFERENCE chooses:
 *   cache      (default) the first scenario computes; the second computes again and must equal it
 *              (a recorded check); every later one reuses it
 *   recompute  every scenario computes its own and compares it with the first (the debug mode)
 *   off        every scenario computes its own and nothing is compared (storeshift before the cache)
 */
export type ReferencePolicy = "cache" | "recompute" | "off";

export function referencePolicy(env = envVar("STORESHIFT_UNDISTURBED_REFERENCE")): ReferencePolicy {
  const value = env ?? "cache";
  if (value === "cache" || value === "recompute" || value === "off") return value;
  throw new Error(`STORESHIFT_UNDISTURBED_REFERENCE=${value}: expected cache, recompute or off`);
}

export interface CachedReference {
  /** The snapshot file (under the computing scenario's artifacts, kept for the whole run). */
  file: string;
  /** The scenario that computed it, named in the reusing scenarios' reports. */
  computedBy: string;
  /** A second computation equalled it. */
  verified: boolean;
}

/** What decides the reference: everything the undisturbed migration reads. */
export interface ReferenceInputs {
  /** The seeded fixture as loaded (generated fixtures included, so a seed is part of it). */
  fixture: unknown;
  /** CRD manifests the import installs, or undefined for storeshift's generated ones. */
  crds: unknown;
  migrator: string;
  backend: string;
  /** Which etcd line serves the source. */
  sourceEtcd: string;
}

export function referenceKey(inputs: ReferenceInputs): string {
  return createHash("sha256").update(JSON.stringify(inputs)).digest("hex");
}

const references = new Map<string, CachedReference>();

/** The worker's reference for these inputs, if one was computed. */
export function cachedReference(key: string): CachedReference | undefined {
  return references.get(key);
}

export function rememberReference(key: string, reference: CachedReference): void {
  references.set(key, reference);
}

/**
 * Compares two computations of one reference with the diff the fault scenarios' final check uses
 * (identity mapping, default ignore rules): an empty diff is what "deterministic" means here.
 */
export async function compareReferences(name: string, first: string, again: string): Promise<Check> {
  const diff = await diffSnapshots(await loadSnapshot(first), await loadSnapshot(again), {
    config: emptyDiffConfig(),
  });
  return diffCheck(name, diff);
}

/** The file a snapshot labelled `label` is saved as, in the scenario's artifacts. */
export function snapshotFileName(label: string): string {
  return `snapshot-${label.replace(/[^A-Za-z0-9_.-]+/g, "_")}.ndjson`;
}

/** What the reference procedure records: phases, checks and artifact files (ScenarioRecord has them). */
export interface ReferenceRecorder extends PhaseRecorder {
  readonly checks: Check[];
  readonly artifacts: string[];
}

export interface ReferenceScenario {
  label: string;
  inputs: ReferenceInputs;
  /** The scenario's slug, named by later scenarios that reuse its reference. */
  scenario: string;
  record: ReferenceRecorder;
  artifactDir(): Promise<string>;
  /** Where the undisturbed run's target is read: Calico in Kubernetes through this kubeconfig. */
  kubeconfigPath: string;
  /** The run's Calico migrator, with no fault proxy. */
  migrator(): Promise<Migrator>;
  policy?: ReferencePolicy;
}

/** The reference's snapshot file, and the export's text when this scenario ran the migration. */
export interface UndisturbedReference {
  file: string;
  exportText?: string;
}

/** Lock, export, import with no fault; snapshot Calico in Kubernetes; roll back. */
async function computeReference(s: ReferenceScenario): Promise<UndisturbedReference> {
  const migrator = await s.migrator();
  const exportText = await directCalicoRun(migrator, s.record);
  const file = join(await s.artifactDir(), snapshotFileName(s.label));
  await s.record.phase(`snapshot ${s.label}`, async () => {
    await saveSnapshot(await openStore(`calico-kube://${s.kubeconfigPath}`), file);
    s.record.artifacts.push(file);
  });
  await s.record.phase("rollback", async () => (await s.migrator()).rollback());
  return { file, exportText };
}

/**
 * The reference a recovered run must equal, computed once per fixture and worker (see
 * `ReferencePolicy`). The second scenario of a fixture computes it again and records whether both are
 * equal (throwing when not); later ones copy the snapshot and only lock and roll back the source, so
 * it is left as the full run leaves it.
 */
export async function undisturbedReference(s: ReferenceScenario): Promise<UndisturbedReference> {
  const policy = s.policy ?? referencePolicy();
  const key = referenceKey(s.inputs);
  const cached = cachedReference(key);
  if (policy === "off" || !cached) {
    const computed = await computeReference(s);
    if (policy !== "off")
      rememberReference(key, { file: computed.file, computedBy: s.scenario, verified: false });
    return computed;
  }
  if (policy === "recompute" || !cached.verified) {
    const computed = await computeReference(s);
    const check = await s.record.phase("compare undisturbed references", () =>
      compareReferences(
        `undisturbed reference equals the one ${cached.computedBy} computed`,
        cached.file,
        computed.file,
      ),
    );
    s.record.checks.push(check);
    if (check.status === "failed")
      throw new Error(`the undisturbed migration is not deterministic: ${check.name}: ${check.message}`);
    cached.verified = true;
    return computed;
  }
  const file = await s.record.phase(`snapshot ${s.label} (reused from ${cached.computedBy})`, async () => {
    const copy = join(await s.artifactDir(), snapshotFileName(s.label));
    await copyFile(cached.file, copy);
    s.record.artifacts.push(copy);
    return copy;
  });
  // what the full run does to the source: lock initialises an uninitialised datastore, rollback
  // unlocks it; export and import only read it. Kubernetes holds no Calico CRD, so rollback only unlocks
  const migrator = await s.migrator();
  await s.record.phase("lock etcdv3", () => migrator.lock("etcdv3"));
  await s.record.phase("rollback", () => migrator.rollback());
  return { file };
}

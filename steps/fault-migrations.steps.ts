import assert from "node:assert/strict";
import { makeTempDir } from "../src/common/temp.js";
import {
  attemptOf,
  expectFailureNaming,
  expectSuccess,
  expectSuccessOrFailureNaming,
  lockStateCheck,
  racingCheck,
  stepDeadlineMs,
} from "../src/faults/attempts.js";
import {
  migrateOfflineUnderFault,
  migrateOnlineInBatches,
  recoverCalico,
  recoverOffline,
  recoverOnline,
  runCalicoStep,
  storesThroughProxies,
} from "../src/faults/faulted-migrations.js";
import { undisturbedReference } from "../src/faults/undisturbed-reference.js";
import { etcdLockState, kubeLockState } from "../src/oracles/calico/read.js";
import { step } from "./support/define.js";
import { faultSession as faults } from "./support/fault-session.js";
import { calicoMigratorFor, v2v3MigratorFor } from "./support/migrators.js";
import type { StoreshiftWorld } from "./support/world.js";

/**
 * Migration steps under the faults of faults.steps.ts (which registers the parameter types): tried
 * under a deadline with their outcome kept, judged, and recovered from; the undisturbed reference a
 * recovery must reach.
 */
const area = "Faults";

/** Runs a migration step under the deadline; the outcome is the session's `lastAttempt`. */
async function tryStep(world: StoreshiftWorld, phase: string, work: (signal: AbortSignal) => Promise<void>) {
  const session = faults(world);
  try {
    await session.tryStep(phase, work, { deadlineMs: stepDeadlineMs(), record: world.record });
  } finally {
    if (session.lastAttempt?.cause) world.lastError = session.lastAttempt.cause;
  }
}

const keepDir = (world: StoreshiftWorld) => (what: string, dir: string) => world.leaveDir(what, dir);

// ---- migration steps that may fail ----

step(
  "When",
  "I try the Calico {word} step",
  {
    area,
    example: "When I try the Calico import step",
    doc: "Runs lock (etcd), export, import, unlock (Kubernetes) or rollback through any fault proxy, keeping a failure (and a hang past 90 s) for the Then steps; the phase and its message go into the report.",
  },
  async function (which: string) {
    await tryStep(this, which, async (signal) => {
      const name = this.calico.source.get();
      const source = { name, endpoints: this.endpoints(name) };
      const through = await storesThroughProxies(faults(this), source, this.kube(), keepDir(this));
      const migrator = await calicoMigratorFor(this, { ...through, signal });
      await runCalicoStep(migrator, which, {
        get: () => this.calico.exportText.get(),
        set: (text) => this.calico.exportText.set(text),
      });
    });
  },
);

step(
  "When",
  "I try the offline migration of etcd {string}",
  {
    area,
    example: 'When I try the offline migration of etcd "source"',
    doc: "The rolling offline migration with backups in a dir the scenario knows, so a failed roll can be rolled back from them.",
  },
  async function (name: string) {
    const backupRoot = await makeTempDir(`${name}-fault-backup`);
    this.leaveDir(`offline backups of etcd "${name}"`, backupRoot);
    this.migrations.offline.delete(name);
    await tryStep(this, "offline migration", async (signal) =>
      migrateOfflineUnderFault({
        session: faults(this),
        name,
        cluster: this.etcd(name),
        migrator: await v2v3MigratorFor(this),
        backupRoot,
        signal,
        log: (line) => this.log(line),
        onResult: (result) => this.migrations.offline.set(name, result),
      }),
    );
  },
);

step(
  "When",
  "I try the online migration of etcd {string} in batches of {int}",
  {
    area,
    example: 'When I try the online migration of etcd "source" in batches of 32',
    doc: "The online migrator writing one Txn of N puts at a time (through any fault proxy), so a fault lands between batches; a failure is kept for the Then steps.",
  },
  async function (name: string, batch: number) {
    const session = faults(this);
    session.onlineBatches.set(name, batch);
    await tryStep(this, "online migration", async (signal) => {
      const result = await migrateOnlineInBatches(await v2v3MigratorFor(this), {
        v2Endpoint: this.endpoints(name)[0] ?? "",
        v3Endpoints: session.etcdEndpoints(name, this.endpoints(name)),
        batch,
        signal,
      });
      this.migrations.online.set(name, result);
    });
  },
);

// ---- outcomes ----

step(
  "Then",
  "the {fault_phase} step failed naming {string}",
  {
    area,
    example: 'Then the import step failed naming "NetworkPolicy"',
    doc: "The last try step failed, with a one-line message that contains the text (the object or store it names).",
  },
  function (phase: string, text: string) {
    expectFailureNaming(attemptOf(faults(this).lastAttempt, phase), text);
  },
);

step(
  "Then",
  "the {fault_phase} step succeeded",
  {
    area,
    example: "Then the export step succeeded",
    doc: "The last try step finished without error (e.g. it waited out a paused store).",
  },
  function (phase: string) {
    expectSuccess(attemptOf(faults(this).lastAttempt, phase));
  },
);

step(
  "Then",
  "the {fault_phase} step either succeeded or failed naming {string}",
  {
    area,
    example: 'Then the online migration step either succeeded or failed naming "etcd v3 at"',
    doc: "For faults that race the step (a restart the client may ride out): either outcome is allowed, a failure must still be one line naming the text; the report records which it was.",
  },
  function (phase: string, text: string) {
    const attempt = attemptOf(faults(this).lastAttempt, phase);
    const check = racingCheck(attempt);
    this.record.check(check.name, [], check.message);
    expectSuccessOrFailureNaming(attempt, text);
  },
);

step(
  "Then",
  "the lock state is etcd {string} and Kubernetes {string}",
  {
    area,
    example: 'Then the lock state is etcd "locked" and Kubernetes "locked"',
    doc: 'Reads ClusterInformation default in both datastores, raw, with the oracles\' reader (locked, unlocked, unset, or absent; "locked or unlocked" accepts either) and records what it found as a check in the report.',
  },
  async function (etcd: string, kube: string) {
    // read by the independent oracle (raw etcd key, raw CR), not by the migrator's own lock code
    const found = {
      etcd: await etcdLockState(this.endpoints(this.calico.source.get())),
      kube: await kubeLockState(this.kube().kubeConfig()),
    };
    this.log(`lock state: etcd ${found.etcd}, Kubernetes ${found.kube}`);
    const check = lockStateCheck({ etcd, kube }, found);
    this.record.checks.push(check);
    assert.equal(check.status, "passed", check.message);
  },
);

// ---- recovery ----

step(
  "Given",
  "the target of an undisturbed Calico migration saved as snapshot {string}",
  {
    area,
    example: 'Given the target of an undisturbed Calico migration saved as snapshot "undisturbed"',
    doc: "The reference a recovered run must equal: lock, export and import with no fault, snapshot Calico in Kubernetes under that label, then roll back. Computed once per fixture and worker: the second scenario of a fixture computes it again and records that both are equal (the check fails otherwise); later ones reuse the snapshot and only lock and roll back the source, so it is left as the full run leaves it. STORESHIFT_UNDISTURBED_REFERENCE=recompute computes and compares in every scenario, =off computes in every scenario.",
  },
  async function (label: string) {
    const source = this.etcds.get(this.calico.source.get());
    const reference = await undisturbedReference({
      label,
      inputs: {
        fixture: this.calico.fixture.get(),
        crds: this.calico.crds,
        migrator: this.params.migrator,
        backend: this.params.backend,
        sourceEtcd: source ? `local ${source.options.line}` : "container",
      },
      scenario: this.scenarioSlug,
      record: this.record,
      artifactDir: () => this.ensureArtifactDir(),
      kubeconfigPath: this.kube().kubeconfigPath,
      migrator: () => calicoMigratorFor(this),
    });
    if (reference.exportText !== undefined) this.calico.exportText.set(reference.exportText);
    this.snapshots.set(label, reference.file);
  },
);

step(
  "When",
  "I recover the Calico migration",
  {
    area,
    example: "When I recover the Calico migration",
    doc: "What an operator does after a failed step: heal the faults, roll back if Kubernetes holds Calico CRDs (the guide's rollback), then lock, export and import again with no fault.",
    // healing a killed control plane's etcd, then a rollback whose CRD cleanup waits up to 180 s
    timeoutMs: 360_000,
  },
  async function () {
    const session = faults(this);
    const kubeConfig = this.kube().kubeConfig();
    const migrator = () => calicoMigratorFor(this);
    this.calico.exportText.set(await recoverCalico({ session, record: this.record, kubeConfig, migrator }));
  },
);

step(
  "When",
  "I recover the offline migration of etcd {string}",
  {
    area,
    example: 'When I recover the offline migration of etcd "source"',
    doc: "Heals the faults; when the roll failed, restores every member the roll reached from its backup (rollback offline) and runs the whole offline migration again.",
  },
  async function (name: string) {
    const result = await recoverOffline({
      session: faults(this),
      record: this.record,
      name,
      cluster: this.etcd(name),
      migrator: () => v2v3MigratorFor(this),
      keepDir: keepDir(this),
    });
    if (result) this.migrations.offline.set(name, result);
  },
);

step(
  "When",
  "I recover the online migration of etcd {string}",
  {
    area,
    example: 'When I recover the online migration of etcd "source"',
    doc: "Heals the faults and runs the online migrator again directly: keys the interrupted run wrote are found equal and left alone, the rest is written.",
  },
  async function (name: string) {
    const result = await recoverOnline({
      session: faults(this),
      record: this.record,
      name,
      cluster: this.etcd(name),
      migrator: () => v2v3MigratorFor(this),
      v2Endpoint: this.endpoints(name)[0] ?? "",
      v3Endpoints: this.endpoints(name),
    });
    this.migrations.online.set(name, result);
  },
);

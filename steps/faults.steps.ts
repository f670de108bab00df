import assert from "node:assert/strict";
import { defineParameterType } from "@cucumber/cucumber";
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
import { parseNetworkFault, startFaultProxy } from "../src/faults/proxy/tcp-proxy.js";
import { type AppliedFault, FaultSession } from "../src/faults/session.js";
import { type FaultStores, proxyUpstream, resolveFaultTarget, watchedMember } from "../src/faults/targets.js";
import { type ArmedTrigger, afterCalicoObjects, afterPuts, whenTrue } from "../src/faults/triggers.js";
import { undisturbedReference } from "../src/faults/undisturbed-reference.js";
import {
  FAULT_KIND_PATTERN,
  FAULT_PHASE_PATTERN,
  FAULT_TARGET_PATTERN,
  parseFaultKind,
  parseFaultTarget,
} from "../src/faults/words.js";
import { etcdLockState, kubeLockState } from "../src/oracles/calico/read.js";
import { docsOnly, step } from "./support/define.js";
import { calicoMigratorFor, v2v3MigratorFor } from "./support/migrators.js";
import type { StoreshiftWorld } from "./support/world.js";

const area = "Faults";

if (!docsOnly()) {
  for (const [name, regexp] of [
    ["fault_target", FAULT_TARGET_PATTERN],
    ["fault_phase", FAULT_PHASE_PATTERN],
    ["fault_kind", FAULT_KIND_PATTERN],
  ] as const)
    defineParameterType({ name, regexp, transformer: (s: string) => s, useForSnippets: false });
}

/** The scenario's fault session, created (and left to be healed and stopped) on first use. */
function faults(world: StoreshiftWorld): FaultSession {
  let session = world.vars.get("faults") as FaultSession | undefined;
  if (!session) {
    session = new FaultSession();
    world.vars.set("faults", session);
    const s = session;
    // before the pool resets the stores: every fault healed, every proxy closed; or, when the
    // scenario is kept, every fault left applied and nothing scheduled to change that
    world.leave({
      what: "the scenario's faults (healed) and fault proxies (stopped)",
      release: () => s.stop(),
      freeze: () => s.freeze(),
      reach: () => s.describeKept(),
    });
  }
  return session;
}

function stores(world: StoreshiftWorld): FaultStores {
  return {
    get plane() {
      return world.kube().local;
    },
    backend: world.params.backend,
    etcd: (name) => world.etcd(name),
  };
}

async function inject(world: StoreshiftWorld, target: string, kind: string): Promise<AppliedFault> {
  const spec = parseFaultKind(kind);
  const resolved = resolveFaultTarget(parseFaultTarget(target), stores(world));
  const applied = await faults(world).inject(resolved, spec.kind, spec.healAfterMs);
  world.log(`fault: ${applied.description} (${applied.evidence})`);
  return applied;
}

/** The target is resolved when the fault fires, so a process restarted meanwhile is the one hit. */
function armProcess(world: StoreshiftWorld, trigger: ArmedTrigger, target: string, kind: string): void {
  parseFaultKind(kind);
  faults(world).arm(trigger, `${target} ${kind} ${trigger.description}`, () => inject(world, target, kind));
}

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

// ---- injecting ----

step(
  "When",
  "{fault_target} is {fault_kind}",
  {
    area,
    example: 'When etcd "source" is paused for 2 seconds',
    doc: 'Injects a process fault now: killed (SIGKILL), paused (SIGSTOP; `for N seconds` resumes it by itself) or restarted (stop, start, wait). Targets: `etcd "x"`, `etcd "x" member N`, `the kube-apiserver`, `the control plane\'s etcd`.',
  },
  async function (target: string, kind: string) {
    await this.record.phase(`fault: ${target} ${kind}`, () => inject(this, target, kind));
  },
);

step(
  "When",
  "{fault_target} will be {fault_kind} after {int} Calico objects reach Kubernetes",
  {
    area,
    example: "When the kube-apiserver will be killed after 100 Calico objects reach Kubernetes",
    doc: "Arms a process fault that fires once the control plane's etcd has stored N Calico custom resources (counted by an etcd watch under /registry/crd.projectcalico.org/); writes already in flight may still land.",
  },
  async function (target: string, kind: string, count: number) {
    const trigger = await afterCalicoObjects({
      etcdEndpoint: this.kube().etcdEndpoint,
      count,
      ipamOnly: false,
    });
    armProcess(this, trigger, target, kind);
  },
);

step(
  "When",
  "{fault_target} will be {fault_kind} after {int} IPAM objects reach Kubernetes",
  {
    area,
    example: "When the control plane's etcd will be killed after 1 IPAM objects reach Kubernetes",
    doc: "As the Calico-objects trigger, counting only IPAM custom resources (blocks, affinities, handles, config): a fault in the import's IPAM phase.",
  },
  async function (target: string, kind: string, count: number) {
    const trigger = await afterCalicoObjects({
      etcdEndpoint: this.kube().etcdEndpoint,
      count,
      ipamOnly: true,
    });
    armProcess(this, trigger, target, kind);
  },
);

step(
  "When",
  "{fault_target} will be {fault_kind} after {int} keys reach etcd {string}",
  {
    area,
    example: 'When etcd "source" will be killed after 64 keys reach etcd "source"',
    doc: "Arms a process fault that fires once N v3 puts have landed in that etcd (an etcd watch on the whole key space): a fault between the online migrator's batches.",
  },
  async function (target: string, kind: string, count: number, name: string) {
    const endpoints = this.endpoints(name).slice(0, 1);
    const description = `after ${count} keys reached etcd "${name}"`;
    armProcess(this, await afterPuts({ endpoints, prefix: "/", count, description }), target, kind);
  },
);

step(
  "When",
  "{fault_target} will be {fault_kind} once member {int} is stopped for its migration",
  {
    area,
    example: 'When etcd "source" member 1 will be killed once member 0 is stopped for its migration',
    doc: "Member loss during the rolling offline migration: the fault fires as soon as the migration has stopped member N of the same cluster.",
  },
  async function (target: string, kind: string, member: number) {
    const ref = parseFaultTarget(target);
    const watched = watchedMember(ref, member, stores(this));
    const cluster = ref.kind === "etcd-member" ? ref.cluster : "";
    const trigger = whenTrue(`once member ${member} of ${cluster} stopped`, () => !watched.running);
    armProcess(this, trigger, target, kind);
  },
);

step(
  "Given",
  "the migrator reaches {fault_target} through a fault proxy",
  {
    area,
    example: "Given the migrator reaches the kube-apiserver through a fault proxy",
    doc: "Puts a TCP proxy of storeshift's own (src/faults/proxy) between the migrator's `try` steps and that store; `When the network to … has …` then sets latency, resets or a timeout on it.",
  },
  async function (target: string) {
    const session = faults(this);
    const proxy = await startFaultProxy(proxyUpstream(parseFaultTarget(target), stores(this)));
    session.proxies.set(target, proxy);
  },
);

step(
  "When",
  "the network to {fault_target} has {string}",
  {
    area,
    example: 'When the network to etcd "source" has "connection reset"',
    doc: 'Sets the proxy\'s fault: "latency of N ms", "connection reset", "timeout" (connections held, nothing passed on) or "none".',
  },
  async function (target: string, fault: string) {
    const applied = await faults(this).setNetwork(target, parseNetworkFault(fault));
    this.log(`fault: ${applied.description} (${applied.evidence})`);
  },
);

step(
  "When",
  "the network to {fault_target} will have {string} after {int} Calico objects reach Kubernetes",
  {
    area,
    example:
      'When the network to the kube-apiserver will have "connection reset" after 50 Calico objects reach Kubernetes',
    doc: "Arms a network fault on the proxy for the moment N Calico custom resources have been stored.",
  },
  async function (target: string, fault: string, count: number) {
    const session = faults(this);
    if (!session.proxies.has(target)) throw new Error(`no fault proxy in front of ${target}`);
    const parsed = parseNetworkFault(fault);
    const trigger = await afterCalicoObjects({
      etcdEndpoint: this.kube().etcdEndpoint,
      count,
      ipamOnly: false,
    });
    session.arm(trigger, `network to ${target}: "${fault}" ${trigger.description}`, () =>
      session.setNetwork(target, parsed),
    );
  },
);

step(
  "When",
  "the faults heal",
  {
    area,
    example: "When the faults heal",
    doc: "Cancels armed faults, starts killed processes again on their data, resumes paused ones, clears proxy faults, and waits until the stores serve.",
  },
  async function () {
    await this.record.phase("heal faults", () => faults(this).heal());
  },
);

step(
  "Then",
  "the fault fired",
  {
    area,
    example: "Then the fault fired",
    doc: "Every armed fault fired and took effect, as the kernel or the proxy shows it (a killed PID gone, a paused one in state T, a restarted one back under a new PID, a proxy resetting a new connection). A migration that finished before its fault, or a fault that could not be applied, fails the scenario naming the target and the reason.",
  },
  async function () {
    const evidence = await faults(this).assertFired();
    this.record.check("the fault fired", [], evidence.join("; "));
    for (const line of evidence) this.log(`fault fired: ${line}`);
  },
);

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
      const name = this.variable<string>("calico:source");
      const source = { name, endpoints: this.endpoints(name) };
      const through = await storesThroughProxies(faults(this), source, this.kube(), keepDir(this));
      const migrator = await calicoMigratorFor(this, { ...through, signal });
      await runCalicoStep(migrator, which, {
        get: () => this.variable<string>("calico:export"),
        set: (text) => this.vars.set("calico:export", text),
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
    this.vars.delete(`etcd:offline:${name}`);
    await tryStep(this, "offline migration", async (signal) =>
      migrateOfflineUnderFault({
        session: faults(this),
        name,
        cluster: this.etcd(name),
        migrator: await v2v3MigratorFor(this),
        backupRoot,
        signal,
        log: (line) => this.log(line),
        onResult: (result) => this.vars.set(`etcd:offline:${name}`, result),
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
      this.vars.set(`etcd:online:${name}`, result);
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
      etcd: await etcdLockState(this.endpoints(this.variable<string>("calico:source"))),
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
    const source = this.etcds.get(this.variable<string>("calico:source"));
    const reference = await undisturbedReference({
      label,
      inputs: {
        fixture: this.variable<unknown>("calico:fixture"),
        crds: this.vars.get("calico:crds"),
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
    if (reference.exportText !== undefined) this.vars.set("calico:export", reference.exportText);
    this.vars.set(`snapshot:${label}`, reference.file);
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
    this.vars.set(
      "calico:export",
      await recoverCalico({ session, record: this.record, kubeConfig, migrator }),
    );
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
    if (result) this.vars.set(`etcd:offline:${name}`, result);
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
    this.vars.set(`etcd:online:${name}`, result);
  },
);

import assert from "node:assert/strict";
import { copyFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { defineParameterType } from "@cucumber/cucumber";
import { KubeConfig } from "@kubernetes/client-node";
import { withKube } from "../src/calico/api.js";
import type { Migrator } from "../src/calico/migrator.js";
import { attempt } from "../src/common/attempt.js";
import { errorMessage } from "../src/common/errors.js";
import { makeTempDir } from "../src/common/temp.js";
import type { OfflineMigrationResult } from "../src/etcd-v2v3/offline.js";
import { backupsIn } from "../src/faults/offline-recovery.js";
import {
  apiserverTarget,
  controlPlaneEtcdTarget,
  etcdMemberTarget,
  type FaultTarget,
  type ProcessFaultKind,
} from "../src/faults/process-faults.js";
import { parseNetworkFault, startFaultProxy } from "../src/faults/proxy/tcp-proxy.js";
import { type AppliedFault, FaultSession } from "../src/faults/session.js";
import { type ArmedTrigger, afterPuts, whenTrue } from "../src/faults/triggers.js";
import { etcdLockState, kubeLockState, type LockWord } from "../src/oracles/calico/read.js";
import { saveSnapshot } from "../src/snapshot/file.js";
import { openStore } from "../src/store-uri/store-uri.js";
import { docsOnly, step } from "./support/define.js";
import { calicoMigratorFor, v2v3MigratorFor } from "./support/migrators.js";
import {
  cachedReference,
  compareReferences,
  type ReferenceInputs,
  referenceKey,
  referencePolicy,
  rememberReference,
} from "./support/reference-cache.js";
import { storeUri } from "./support/store-views.js";
import type { StoreshiftWorld } from "./support/world.js";

const area = "Faults";

interface FaultKindSpec {
  kind: ProcessFaultKind;
  /** A pause (or a kill) that heals itself after this long. */
  healAfterMs?: number;
}

if (!docsOnly()) {
  defineParameterType({
    name: "fault_target",
    regexp: /etcd "[^"]+" member \d+|etcd "[^"]+"|the kube-apiserver|the control plane's etcd/,
    transformer: (s: string) => s,
    useForSnippets: false,
  });
  defineParameterType({
    name: "fault_phase",
    regexp: /lock|export|import|unlock|rollback|online migration|offline migration/,
    transformer: (s: string) => s,
    useForSnippets: false,
  });
  defineParameterType({
    name: "fault_kind",
    regexp: /killed|restarted|paused for \d+ seconds?|paused/,
    transformer: (s: string) => s,
    useForSnippets: false,
  });
}

function parseKind(text: string): FaultKindSpec {
  const pausedFor = /^paused for (\d+) seconds?$/.exec(text);
  if (pausedFor) return { kind: "pause", healAfterMs: Number(pausedFor[1]) * 1000 };
  if (text === "paused") return { kind: "pause" };
  if (text === "restarted") return { kind: "restart" };
  return { kind: "kill" };
}

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

function localPlane(world: StoreshiftWorld) {
  const plane = world.kube().local;
  if (!plane)
    throw new Error(`process faults need the local control plane (backend ${world.params.backend})`);
  return plane;
}

function targetOf(world: StoreshiftWorld, text: string): FaultTarget {
  if (text === "the kube-apiserver") return apiserverTarget(localPlane(world));
  if (text === "the control plane's etcd") return controlPlaneEtcdTarget(localPlane(world));
  const m = /^etcd "([^"]+)"(?: member (\d+))?$/.exec(text);
  if (!m) throw new Error(`unknown fault target ${text}`);
  const etcd = world.etcd(m[1] ?? "");
  const index = Number(m[2] ?? 0);
  return etcdMemberTarget(etcd.member(index), `etcd "${m[1]}" member ${index}`);
}

async function inject(
  world: StoreshiftWorld,
  targetText: string,
  spec: FaultKindSpec,
): Promise<AppliedFault> {
  const applied = await faults(world).inject(targetOf(world, targetText), spec.kind, spec.healAfterMs);
  world.log(`fault: ${applied.description} (${applied.evidence})`);
  return applied;
}

/** The target is resolved when the fault fires, so a process restarted meanwhile is the one hit. */
function armProcess(world: StoreshiftWorld, trigger: ArmedTrigger, targetText: string, kind: string): void {
  const spec = parseKind(kind);
  faults(world).arm(trigger, `${targetText} ${kind} ${trigger.description}`, () =>
    inject(world, targetText, spec),
  );
}

const IPAM_PLURALS = ["/ipamblocks/", "/blockaffinities/", "/ipamhandles/", "/ipamconfigs/"];

async function kubeTrigger(world: StoreshiftWorld, count: number, ipamOnly: boolean): Promise<ArmedTrigger> {
  const endpoint = world.kube().etcdEndpoint;
  if (!endpoint) throw new Error("counting objects needs the local control plane's etcd");
  return afterPuts({
    endpoints: [endpoint],
    prefix: "/registry/crd.projectcalico.org/",
    count,
    keyFilter: ipamOnly ? (key) => IPAM_PLURALS.some((p) => key.includes(p)) : undefined,
    description: `after ${count} ${ipamOnly ? "IPAM" : "Calico"} objects reached Kubernetes`,
  });
}

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
    await this.record.phase(`fault: ${target} ${kind}`, () => inject(this, target, parseKind(kind)));
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
    armProcess(this, await kubeTrigger(this, count, false), target, kind);
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
    armProcess(this, await kubeTrigger(this, count, true), target, kind);
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
    const trigger = await afterPuts({
      endpoints: this.endpoints(name).slice(0, 1),
      prefix: "/",
      count,
      description: `after ${count} keys reached etcd "${name}"`,
    });
    armProcess(this, trigger, target, kind);
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
    const cluster = /^etcd "([^"]+)"/.exec(target)?.[1] ?? "";
    const watched = this.etcd(cluster).member(member);
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
    let host: URL;
    if (target === "the kube-apiserver") host = new URL(localPlane(this).server);
    else host = new URL(this.etcd(/^etcd "([^"]+)"/.exec(target)?.[1] ?? "").member(0).clientUrl);
    const proxy = await startFaultProxy({ host: host.hostname, port: Number(host.port) });
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
    const trigger = await kubeTrigger(this, count, false);
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

/** What the last `try` step did, for the Then steps. */
interface Attempt {
  phase: string;
  error?: string;
  ms: number;
}

/** STORESHIFT_FAULT_STEP_DEADLINE_MS overrides it (a test of the cancellation itself). */
const STEP_DEADLINE_MS = Number(process.env.STORESHIFT_FAULT_STEP_DEADLINE_MS ?? 90_000);

/**
 * Runs a migration step under the deadline, which cancels it (common/attempt.ts): once this returns,
 * the step writes nothing more while heal, recovery and diffs run. A failure is kept for the Then
 * steps; an armed fault that could not be applied fails the scenario here, naming target and reason.
 */
async function attemptPhase(
  world: StoreshiftWorld,
  phase: string,
  work: (signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const started = performance.now();
  const outcome: Attempt = { phase, ms: 0 };
  try {
    await world.record.phase(`${phase} (under fault)`, () =>
      attempt({ what: phase, deadlineMs: STEP_DEADLINE_MS }, work),
    );
  } catch (err) {
    outcome.error = errorMessage(err);
    world.lastError = err instanceof Error ? err : new Error(String(err));
  }
  outcome.ms = Math.round(performance.now() - started);
  world.vars.set("faults:attempt", outcome);
  const failed = faults(world).failures();
  if (failed.length > 0) throw new Error(`the fault did not happen: ${failed.join("; ")}`);
}

function proxiedEndpoints(world: StoreshiftWorld, name: string): string[] {
  const proxy = faults(world).proxies.get(`etcd "${name}"`);
  return proxy ? [`http://${proxy.host}:${proxy.port}`] : world.endpoints(name);
}

/**
 * The kubeconfig a migrator is given: the control plane's own, or a copy that points at the fault
 * proxy in front of the kube-apiserver (a file, since calicoctl and module migrators take a path).
 */
async function proxiedKubeconfigPath(world: StoreshiftWorld): Promise<string> {
  const kube = world.kube();
  const proxy = faults(world).proxies.get("the kube-apiserver");
  if (!proxy) return kube.kubeconfigPath;
  const kc = kube.kubeConfig();
  const current = kc.getCurrentCluster();
  const out = new KubeConfig();
  out.loadFromOptions({
    clusters: kc.clusters.map((c) =>
      c.name === current?.name ? { ...c, server: `https://${proxy.host}:${proxy.port}` } : c,
    ),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  const dir = await makeTempDir("proxied-kubeconfig");
  world.leaveDir("the kubeconfig through the fault proxy", dir);
  const path = join(dir, "kubeconfig");
  await writeFile(path, out.exportConfig(), { mode: 0o600 });
  return path;
}

/** The run's migrator (`--migrator`) through any fault proxy, cancelled by the step's deadline. */
async function faultedCalicoMigrator(world: StoreshiftWorld, signal: AbortSignal): Promise<Migrator> {
  const source = world.variable<string>("calico:source");
  return calicoMigratorFor(world, {
    etcdEndpoints: proxiedEndpoints(world, source),
    kubeconfigPath: await proxiedKubeconfigPath(world),
    signal,
  });
}

/** A migrator's import reports failure in its result (calicoctl's exit code); a step fails on it. */
async function importOrThrow(migrator: Migrator, text: string): Promise<void> {
  const result = await migrator.import(text);
  if (result.exitCode !== 0)
    throw new Error(result.error ?? `${migrator.name} import exited ${result.exitCode}`);
}

const CALICO_STEPS = ["lock", "export", "import", "unlock", "rollback"] as const;

async function calicoStep(world: StoreshiftWorld, which: string, signal: AbortSignal): Promise<void> {
  const migrator = await faultedCalicoMigrator(world, signal);
  switch (which) {
    case "lock":
      return migrator.lock("etcdv3");
    case "export":
      world.vars.set("calico:export", await migrator.export());
      return;
    case "import":
      return importOrThrow(migrator, world.variable<string>("calico:export"));
    case "unlock":
      return migrator.unlock("kubernetes");
    case "rollback":
      await migrator.rollback();
      return;
    default:
      throw new Error(`unknown Calico step "${which}": one of ${CALICO_STEPS.join(", ")}`);
  }
}

step(
  "When",
  "I try the Calico {word} step",
  {
    area,
    example: "When I try the Calico import step",
    doc: "Runs lock (etcd), export, import, unlock (Kubernetes) or rollback through any fault proxy, keeping a failure (and a hang past 90 s) for the Then steps; the phase and its message go into the report.",
  },
  async function (which: string) {
    await attemptPhase(this, which, (signal) => calicoStep(this, which, signal));
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
    this.vars.set(`faults:backups:${name}`, backupRoot);
    this.vars.delete(`etcd:offline:${name}`);
    await attemptPhase(this, "offline migration", async (signal) => {
      const migrator = await v2v3MigratorFor(this);
      const result = await migrator.migrateOffline(this.etcd(name), { backupRoot, signal });
      this.vars.set(`etcd:offline:${name}`, result);
      if (result.unverifiedMembers.length > 0)
        this.log(`offline migration: not serving at the final check: ${result.unverifiedMembers.join(", ")}`);
      if (result.discrepancies.length > 0)
        throw new Error(`offline migration of ${name}: ${result.discrepancies.length} discrepancies`);
    });
  },
);

async function online(
  world: StoreshiftWorld,
  name: string,
  batch: number,
  endpoints: string[],
  signal?: AbortSignal,
) {
  const result = await (await v2v3MigratorFor(world)).migrateOnline({
    signal,
    v2Endpoint: world.endpoints(name)[0] ?? "",
    v3Endpoints: endpoints,
    ttlPolicy: "permanent",
    txnOps: batch,
    concurrency: 1,
  });
  world.vars.set(`etcd:online:${name}`, result);
}

step(
  "When",
  "I try the online migration of etcd {string} in batches of {int}",
  {
    area,
    example: 'When I try the online migration of etcd "source" in batches of 32',
    doc: "The online migrator writing one Txn of N puts at a time (through any fault proxy), so a fault lands between batches; a failure is kept for the Then steps.",
  },
  async function (name: string, batch: number) {
    this.vars.set(`faults:batch:${name}`, batch);
    await attemptPhase(this, "online migration", (signal) =>
      online(this, name, batch, proxiedEndpoints(this, name), signal),
    );
  },
);

// ---- outcomes ----

function lastAttempt(world: StoreshiftWorld, phase: string): Attempt {
  const attempt = world.variable<Attempt>("faults:attempt");
  assert.equal(attempt.phase, phase, `the last try step was ${attempt.phase}, not ${phase}`);
  return attempt;
}

step(
  "Then",
  "the {fault_phase} step failed naming {string}",
  {
    area,
    example: 'Then the import step failed naming "NetworkPolicy"',
    doc: "The last try step failed, with a one-line message that contains the text (the object or store it names).",
  },
  function (phase: string, text: string) {
    const attempt = lastAttempt(this, phase);
    assert.ok(
      attempt.error !== undefined,
      `the ${phase} step succeeded (in ${attempt.ms} ms), a failure was expected`,
    );
    assert.ok(!attempt.error.includes("\n"), `the ${phase} failure is more than one line: ${attempt.error}`);
    assert.ok(
      attempt.error.includes(text),
      `the ${phase} failure "${attempt.error}" does not name "${text}"`,
    );
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
    const attempt = lastAttempt(this, phase);
    assert.equal(attempt.error, undefined, `the ${phase} step failed: ${attempt.error}`);
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
    const attempt = lastAttempt(this, phase);
    this.record.check(
      `${phase} under a racing fault`,
      [],
      attempt.error ? `failed: ${attempt.error}` : "succeeded",
    );
    if (attempt.error === undefined) return;
    assert.ok(!attempt.error.includes("\n"), `the ${phase} failure is more than one line: ${attempt.error}`);
    assert.ok(
      attempt.error.includes(text),
      `the ${phase} failure "${attempt.error}" does not name "${text}"`,
    );
  },
);

/** Read by the independent oracle (raw etcd key, raw CR), not by the migrator's own lock code. */
async function lockState(world: StoreshiftWorld): Promise<{ etcd: LockWord; kube: LockWord }> {
  const source = world.variable<string>("calico:source");
  return {
    etcd: await etcdLockState(world.endpoints(source)),
    kube: await kubeLockState(world.kube().kubeConfig()),
  };
}

step(
  "Then",
  "the lock state is etcd {string} and Kubernetes {string}",
  {
    area,
    example: 'Then the lock state is etcd "locked" and Kubernetes "locked"',
    doc: 'Reads ClusterInformation default in both datastores, raw, with the oracles\' reader (locked, unlocked, unset, or absent; "locked or unlocked" accepts either) and records what it found as a check in the report.',
  },
  async function (etcd: string, kube: string) {
    const state = await lockState(this);
    const text = `lock state: etcd ${state.etcd}, Kubernetes ${state.kube}`;
    this.log(text);
    // "locked or unlocked": a fault racing the import's own lock may land on either side of it
    const ok = etcd.split(" or ").includes(state.etcd) && kube.split(" or ").includes(state.kube);
    this.record.checks.push({
      name: "lock state",
      status: ok ? "passed" : "failed",
      message: ok ? text : `${text}; expected etcd ${etcd}, Kubernetes ${kube}`,
    });
    assert.ok(ok, `${text}; expected etcd ${etcd}, Kubernetes ${kube}`);
  },
);

// ---- recovery ----

async function snapshotView(world: StoreshiftWorld, view: string, label: string): Promise<void> {
  const dir = await world.ensureArtifactDir();
  const file = `${dir}/snapshot-${label.replace(/[^A-Za-z0-9_.-]+/g, "_")}.ndjson`;
  await saveSnapshot(await openStore(storeUri(world, view)), file);
  world.record.artifacts.push(file);
  world.vars.set(`snapshot:${label}`, file);
}

/** The guide's lock, export and import with the run's migrator and no fault. */
async function directCalicoRun(world: StoreshiftWorld): Promise<void> {
  const migrator = await calicoMigratorFor(world);
  await world.record.phase("lock etcdv3", () => migrator.lock("etcdv3"));
  const text = await world.record.phase("export", () => migrator.export());
  world.vars.set("calico:export", text);
  await world.record.phase("import", () => importOrThrow(migrator, text));
}

/** Lock, export, import with no fault; snapshot Calico in Kubernetes; roll back. Returns the snapshot file. */
async function computeReference(world: StoreshiftWorld, label: string): Promise<string> {
  await directCalicoRun(world);
  await world.record.phase(`snapshot ${label}`, () => snapshotView(world, "Calico in Kubernetes", label));
  await world.record.phase("rollback", async () => (await calicoMigratorFor(world)).rollback());
  return world.variable<string>(`snapshot:${label}`);
}

function referenceInputs(world: StoreshiftWorld): ReferenceInputs {
  const source = world.variable<string>("calico:source");
  const local = world.etcds.get(source);
  return {
    fixture: world.variable<unknown>("calico:fixture"),
    crds: world.vars.get("calico:crds"),
    migrator: world.params.migrator,
    backend: world.params.backend,
    sourceEtcd: local ? `local ${local.options.line}` : "container",
  };
}

step(
  "Given",
  "the target of an undisturbed Calico migration saved as snapshot {string}",
  {
    area,
    example: 'Given the target of an undisturbed Calico migration saved as snapshot "undisturbed"',
    doc: "The reference a recovered run must equal: lock, export and import with no fault, snapshot Calico in Kubernetes under that label, then roll back. Computed once per fixture and worker: the second scenario of a fixture computes it again and records that both are equal (the check fails otherwise); later ones reuse the snapshot and only lock and roll back the source, so it is left as the full run leaves it. STORESHIFT_UNDISTURBED_REFERENCE=recompute computes and compares in every scenario, =off computes in every scenario.",
  },
  async function (label: string) {
    const policy = referencePolicy();
    const key = referenceKey(referenceInputs(this));
    const cached = cachedReference(key);
    if (policy === "off" || !cached) {
      const file = await computeReference(this, label);
      if (policy !== "off") rememberReference(key, { file, computedBy: this.scenarioSlug, verified: false });
      return;
    }
    if (policy === "recompute" || !cached.verified) {
      const file = await computeReference(this, label);
      const check = await this.record.phase("compare undisturbed references", () =>
        compareReferences(
          `undisturbed reference equals the one ${cached.computedBy} computed`,
          cached.file,
          file,
        ),
      );
      this.record.checks.push(check);
      if (check.status === "failed")
        throw new Error(`the undisturbed migration is not deterministic: ${check.name}: ${check.message}`);
      cached.verified = true;
      return;
    }
    await this.record.phase(`snapshot ${label} (reused from ${cached.computedBy})`, async () => {
      const file = join(
        await this.ensureArtifactDir(),
        `snapshot-${label.replace(/[^A-Za-z0-9_.-]+/g, "_")}.ndjson`,
      );
      await copyFile(cached.file, file);
      this.record.artifacts.push(file);
      this.vars.set(`snapshot:${label}`, file);
    });
    // what the full run does to the source: lock initialises an uninitialised datastore, rollback
    // unlocks it; export and import only read it. Kubernetes holds no Calico CRD, so rollback only unlocks
    const migrator = await calicoMigratorFor(this);
    await this.record.phase("lock etcdv3", () => migrator.lock("etcdv3"));
    await this.record.phase("rollback", () => migrator.rollback());
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
    await this.record.phase("heal faults", () => faults(this).heal());
    const crds = await withKube(this.kube().kubeConfig(), (k) => k.calicoCrdNames());
    if (crds.length > 0)
      await this.record.phase("rollback", async () => (await calicoMigratorFor(this)).rollback());
    await directCalicoRun(this);
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
    await this.record.phase("heal faults", () => faults(this).heal());
    const cluster = this.etcd(name);
    // a member killed before the roll reached it has no backup; it must run before the others can form quorum
    await cluster.waitHealthy();
    if (this.vars.has(`etcd:offline:${name}`)) return;
    const backupRoot = this.variable<string>(`faults:backups:${name}`);
    const backups = await backupsIn(cluster, backupRoot);
    if (backups.length > 0)
      await this.record.phase("rollback offline", async () =>
        (await v2v3MigratorFor(this)).rollbackOffline(backups, { cluster }),
      );
    const again = await makeTempDir(`${name}-rerun-backup`);
    this.leaveDir(`offline backups of etcd "${name}" (second roll)`, again);
    const result: OfflineMigrationResult = await this.record.phase("migrate offline", async () =>
      (await v2v3MigratorFor(this)).migrateOffline(cluster, { backupRoot: again }),
    );
    this.vars.set(`etcd:offline:${name}`, result);
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
    await this.record.phase("heal faults", () => faults(this).heal());
    await this.etcd(name).waitHealthy();
    const batch = (this.vars.get(`faults:batch:${name}`) as number | undefined) ?? 128;
    await this.record.phase("migrate online", () => online(this, name, batch, this.endpoints(name)));
  },
);

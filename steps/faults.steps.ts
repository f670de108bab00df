import { defineParameterType } from "@cucumber/cucumber";
import { parseNetworkFault, startFaultProxy } from "../src/faults/proxy/tcp-proxy.js";
import type { AppliedFault } from "../src/faults/session.js";
import { proxyUpstream, resolveFaultTarget, watchedMember } from "../src/faults/targets.js";
import { type ArmedTrigger, afterCalicoObjects, afterPuts, whenTrue } from "../src/faults/triggers.js";
import {
  FAULT_KIND_PATTERN,
  FAULT_PHASE_PATTERN,
  FAULT_TARGET_PATTERN,
  parseFaultKind,
  parseFaultTarget,
} from "../src/faults/words.js";
import { docsOnly, step } from "./support/define.js";
import { faultStores, faultSession as faults } from "./support/fault-session.js";
import type { StoreshiftWorld } from "./support/world.js";

/**
 * Injecting faults: now, or armed on a trigger watched on the store the migration writes to. The
 * migration steps that run under them, and the recoveries, are in fault-migrations.steps.ts.
 */
const area = "Faults";

if (!docsOnly()) {
  for (const [name, regexp] of [
    ["fault_target", FAULT_TARGET_PATTERN],
    ["fault_phase", FAULT_PHASE_PATTERN],
    ["fault_kind", FAULT_KIND_PATTERN],
  ] as const)
    defineParameterType({ name, regexp, transformer: (s: string) => s, useForSnippets: false });
}

async function inject(world: StoreshiftWorld, target: string, kind: string): Promise<AppliedFault> {
  const spec = parseFaultKind(kind);
  const resolved = resolveFaultTarget(parseFaultTarget(target), faultStores(world));
  const applied = await faults(world).inject(resolved, spec.kind, spec.healAfterMs);
  world.log(`fault: ${applied.description} (${applied.evidence})`);
  return applied;
}

/** The target is resolved when the fault fires, so a process restarted meanwhile is the one hit. */
function armProcess(world: StoreshiftWorld, trigger: ArmedTrigger, target: string, kind: string): void {
  parseFaultKind(kind);
  faults(world).arm(trigger, `${target} ${kind} ${trigger.description}`, () => inject(world, target, kind));
}

const calicoObjects = (world: StoreshiftWorld, count: number, ipamOnly: boolean) =>
  afterCalicoObjects({ etcdEndpoint: world.kube().etcdEndpoint, count, ipamOnly });

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
    const trigger = await calicoObjects(this, count, false);
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
    const trigger = await calicoObjects(this, count, true);
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
    const watched = watchedMember(ref, member, faultStores(this));
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
    const proxy = await startFaultProxy(proxyUpstream(parseFaultTarget(target), faultStores(this)));
    faults(this).proxies.set(target, proxy);
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
    const trigger = await calicoObjects(this, count, false);
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

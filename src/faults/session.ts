import { connect } from "node:net";
import { errorMessage, StoreshiftError } from "../common/errors.js";
import type { OfflineMigrationResult } from "../etcd-v2v3/offline.js";
import { type Attempt, type PhaseRecorder, runAttempt } from "./attempts.js";
import {
  type FaultTarget,
  type InjectedFault,
  injectProcessFault,
  type ProcessFaultKind,
} from "./process-faults.js";
import type { NetworkFault, StartedFaultProxy } from "./proxy/tcp-proxy.js";
import type { ArmedTrigger } from "./triggers.js";

/** A fault placed for later: what fires it, and what happened when it did. */
interface ArmedFault {
  trigger: ArmedTrigger;
  /** e.g. "kill of the kube-apiserver after 100 Calico objects reached Kubernetes". */
  description: string;
  /** Settles once the injection was applied or failed; never rejects. */
  done: Promise<void>;
  evidence?: string;
  error?: string;
}

/** What a fault did, as the report shows it. */
export interface AppliedFault {
  description: string;
  evidence: string;
}

/**
 * A scenario's faults, failing closed. Every injection is checked for its effect (a killed PID gone,
 * a paused one in state T, a proxy that really resets); one that cannot be applied is an error naming
 * the target and the reason — never a log line the scenario carries on past. Armed faults remember
 * how their injection went, so `assertFired` can say whether the fault the scenario names happened.
 */
export class FaultSession {
  private readonly injected: InjectedFault[] = [];
  private readonly armed: ArmedFault[] = [];
  private readonly selfHeals: Promise<void>[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  readonly proxies = new Map<string, StartedFaultProxy>();
  /** Every fault applied so far, in order. */
  readonly applied: AppliedFault[] = [];
  /** The last migration step tried under the faults (`tryStep`), for the Then steps that judge it. */
  lastAttempt: Attempt | undefined;
  /** Per etcd name: the batch size its online migration was tried with, which a recovery reuses. */
  readonly onlineBatches = new Map<string, number>();
  /**
   * Per etcd name: where its tried offline migration keeps member backups, and its result if it
   * returned one; a recovery restores from the backups only when it did not.
   */
  readonly offlineRolls = new Map<string, { backupRoot: string; result?: OfflineMigrationResult }>();

  /** The endpoints a migrator is given for an etcd: the fault proxy's, if one is in front of it. */
  etcdEndpoints(name: string, direct: string[]): string[] {
    const proxy = this.proxies.get(`etcd "${name}"`);
    return proxy ? [`http://${proxy.host}:${proxy.port}`] : direct;
  }

  /**
   * Runs a migration step under the deadline, which cancels it (`runAttempt`); its outcome, failure
   * included, becomes `lastAttempt`. An armed fault that fired but could not be applied fails here,
   * naming the target and the reason: the step did not run under the fault the scenario names.
   */
  async tryStep(
    phase: string,
    work: (signal: AbortSignal) => Promise<void>,
    options: { deadlineMs: number; record?: PhaseRecorder; now?: () => number },
  ): Promise<Attempt> {
    this.lastAttempt = await runAttempt(phase, work, options);
    const failed = this.failures();
    if (failed.length > 0) throw new StoreshiftError(`the fault did not happen: ${failed.join("; ")}`);
    return this.lastAttempt;
  }

  /** Injects a process fault now; `healAfterMs` heals it by itself (a pause "for N seconds"). */
  async inject(target: FaultTarget, kind: ProcessFaultKind, healAfterMs?: number): Promise<AppliedFault> {
    const fault = await injectProcessFault(target, kind);
    this.injected.push(fault);
    if (healAfterMs !== undefined) {
      this.timers.push(
        setTimeout(() => {
          // a failed self-heal surfaces in heal(), which heals again and throws what it meets
          this.selfHeals.push(
            fault.heal().catch(() => {
              fault.healed = false;
            }),
          );
        }, healAfterMs),
      );
    }
    const applied = { description: `${kind} of ${target.name} at ${fault.at}`, evidence: fault.evidence };
    this.applied.push(applied);
    return applied;
  }

  /** Sets a network fault on a proxy and checks that the proxy now applies it. */
  async setNetwork(name: string, fault: NetworkFault): Promise<AppliedFault> {
    const proxy = this.proxies.get(name);
    if (!proxy)
      throw new StoreshiftError(
        `network fault on ${name}: no fault proxy in front of it; add "the migrator reaches … through a fault proxy"`,
      );
    proxy.setFault(fault);
    const evidence = await verifyProxy(proxy, fault, name);
    const applied = { description: `network to ${name}: ${describeNetwork(fault)}`, evidence };
    if (fault.kind !== "none") this.applied.push(applied);
    return applied;
  }

  /** Applies `apply` when the trigger fires; how it went is kept for `assertFired`. */
  arm(trigger: ArmedTrigger, description: string, apply: () => Promise<AppliedFault>): void {
    const entry: ArmedFault = { trigger, description, done: Promise.resolve() };
    entry.done = trigger.fired.then(async () => {
      try {
        entry.evidence = (await apply()).evidence;
      } catch (err) {
        entry.error = errorMessage(err);
      }
    });
    this.armed.push(entry);
  }

  /** Armed faults whose trigger fired but whose injection failed, one line each. */
  failures(): string[] {
    return this.armed
      .filter((a) => a.error !== undefined)
      .map((a) => `${a.description}: could not be applied: ${a.error}`);
  }

  /**
   * Every armed fault fired and took effect. Throws naming those that never fired (a migration that
   * beat its fault proves nothing) and those whose injection failed, with the reason.
   */
  async assertFired(): Promise<string[]> {
    const idle = this.armed.filter((a) => !a.trigger.hasFired).map((a) => `${a.description}: never fired`);
    await Promise.all(this.armed.filter((a) => a.trigger.hasFired).map((a) => a.done));
    const problems = [...idle, ...this.failures()];
    if (this.armed.length === 0) problems.push("no fault was armed");
    if (problems.length > 0) throw new StoreshiftError(`the fault did not happen: ${problems.join("; ")}`);
    return this.armed.map((a) => `${a.description}: ${a.evidence}`);
  }

  /**
   * Cancels what has not fired, lets an injection under way land, then heals everything, newest first
   * (a control plane's etcd comes back before its API server is waited for), and clears proxy faults.
   * Throws if anything could not be healed, after trying all of it.
   */
  async heal(): Promise<void> {
    for (const t of this.timers.splice(0)) clearTimeout(t);
    await Promise.all(this.selfHeals.splice(0));
    for (const a of this.armed) await a.trigger.cancel();
    await Promise.all(this.armed.map((a) => (a.trigger.hasFired ? a.done : Promise.resolve())));
    const errors: string[] = [];
    for (const f of [...this.injected].reverse()) {
      try {
        await f.heal();
      } catch (err) {
        errors.push(errorMessage(err));
      }
    }
    for (const p of this.proxies.values()) p.setFault({ kind: "none" });
    if (errors.length > 0) throw new StoreshiftError(`heal faults: ${errors.join("; ")}`);
  }

  /**
   * Leaves every fault applied, for a scenario kept for an engineer: cancels the self-healing timers
   * and what has not fired, and lets an injection under way land, so nothing changes after this.
   */
  async freeze(): Promise<void> {
    for (const t of this.timers.splice(0)) clearTimeout(t);
    await Promise.all(this.selfHeals.splice(0));
    for (const a of this.armed) await a.trigger.cancel();
    await Promise.all(this.armed.map((a) => (a.trigger.hasFired ? a.done : Promise.resolve())));
  }

  /** A kept scenario's reconnect lines: each fault still applied, each proxy and where it leads. */
  describeKept(): string[] {
    const lines = this.injected
      .filter((f) => !f.healed)
      .map(
        (f) =>
          `# fault still applied: ${f.kind} of ${f.target} since ${f.at} (${f.evidence})${f.kind === "pause" ? "; `kill -CONT <pid>` resumes it" : ""}`,
      );
    for (const [name, p] of this.proxies)
      lines.push(
        `# fault proxy for ${name} at ${p.host}:${p.port} → ${p.target} (${describeNetwork(p.fault())}) lives in this run's process and ends with it; the store answers directly at ${p.target}`,
      );
    return lines;
  }

  /** Heals and closes every proxy: the handle's end, before the stores are reset. */
  async stop(): Promise<void> {
    try {
      await this.heal();
    } finally {
      for (const p of this.proxies.values()) await p.stop();
      this.proxies.clear();
    }
  }
}

export function describeNetwork(fault: NetworkFault): string {
  if (fault.kind === "latency") return `latency of ${fault.ms} ms`;
  if (fault.kind === "reset") return "connection reset";
  return fault.kind;
}

/**
 * The proxy reports the fault in force, and for a reset a fresh connection is really cut: the
 * client side sees the connection closed or reset within 2 s, with nothing passed on.
 */
async function verifyProxy(proxy: StartedFaultProxy, fault: NetworkFault, name: string): Promise<string> {
  const now = proxy.fault();
  if (JSON.stringify(now) !== JSON.stringify(fault))
    throw new StoreshiftError(
      `network fault on ${name}: the proxy reports ${describeNetwork(now)}, not ${describeNetwork(fault)}`,
    );
  if (fault.kind !== "reset") return `proxy :${proxy.port} applies ${describeNetwork(fault)}`;
  const cut = await new Promise<boolean>((resolve) => {
    const socket = connect({ host: proxy.host, port: proxy.port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, 2000);
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(true);
    };
    socket.once("error", done);
    socket.once("close", done);
  });
  if (!cut)
    throw new StoreshiftError(
      `network fault on ${name}: a new connection to proxy :${proxy.port} stayed open for 2 s; the reset is not in force`,
    );
  return `proxy :${proxy.port} resets a new connection`;
}

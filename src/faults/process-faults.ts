import { readFile } from "node:fs/promises";
import { StoreshiftError, wrapError } from "../common/errors.js";
import { log } from "../common/log.js";
import { sleep } from "../common/wait.js";
import type { ManagedProcess } from "../process/managed-process.js";
import type { EtcdMember } from "../providers/etcd/local-etcd.js";
import type { StartedLocalControlPlane } from "../providers/kube/local-control-plane.js";

/**
 * Faults on a store's process, as an operator meets them:
 *   kill     SIGKILL, a crash: nothing is flushed, the data dir stays as it was at that instant
 *   pause    SIGSTOP: the process holds its sockets open and answers nothing (a hung or swapped-out node)
 *   restart  a graceful stop and start, as in a rolling upgrade; healed by itself
 * Every fault is healed by `heal()`: killed processes are started again on their data dir and waited
 * for, paused ones resumed. Healing twice is harmless.
 */
export type ProcessFaultKind = "kill" | "pause" | "restart";

export const PROCESS_FAULT_KINDS: readonly ProcessFaultKind[] = ["kill", "pause", "restart"];

/** A process storeshift started, with how to bring it back. */
export interface FaultTarget {
  /** e.g. `etcd member m1`, `kube-apiserver`, `control plane etcd`. */
  name: string;
  process: ManagedProcess;
  /** Starts the process again after a kill and waits until it serves. */
  start(): Promise<void>;
}

export interface InjectedFault {
  kind: ProcessFaultKind;
  target: string;
  at: string;
  /** What the kernel showed after the injection, e.g. "pid 4242 in state T". */
  evidence: string;
  healed: boolean;
  heal(): Promise<void>;
}

export function etcdMemberTarget(member: EtcdMember, label = `etcd member ${member.name}`): FaultTarget {
  return { name: label, process: member.process, start: () => member.start() };
}

export function apiserverTarget(plane: StartedLocalControlPlane): FaultTarget {
  return {
    name: "kube-apiserver",
    process: plane.apiserver,
    start: async () => {
      plane.apiserver.start();
      await plane.waitReady();
    },
  };
}

/** The control plane's own etcd: the API server loses its storage, but stays up. */
export function controlPlaneEtcdTarget(plane: StartedLocalControlPlane): FaultTarget {
  const member = plane.etcd.member(0);
  return {
    name: "the control plane's etcd",
    process: member.process,
    start: async () => {
      await member.start();
      await plane.waitReady();
    },
  };
}

export function parseProcessFault(word: string): ProcessFaultKind {
  const normal = word
    .replace(/ed$/, "")
    .replace(/^paus$/, "pause")
    .replace(/^restart$/, "restart");
  const kind = PROCESS_FAULT_KINDS.find((k) => k === normal || `${k}ed` === word || `${k}d` === word);
  if (!kind) throw new StoreshiftError(`process fault "${word}": expected one of killed, paused, restarted`);
  return kind;
}

/**
 * The scheduler state of a process from /proc/<pid>/stat ("R", "S", "T" stopped, "Z" zombie, ...),
 * or undefined when no such process exists any more.
 */
export async function processState(pid: number): Promise<string | undefined> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // the command name is in parentheses and may itself hold spaces or parentheses
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
}

/** Polls until the kernel shows the fault's effect on `pid`, or says what it saw instead. */
async function observe(
  what: string,
  pid: number,
  wanted: (state: string | undefined) => boolean,
): Promise<string | undefined> {
  const deadline = Date.now() + 3000;
  let state = await processState(pid);
  while (!wanted(state) && Date.now() < deadline) {
    await sleep(10);
    state = await processState(pid);
  }
  if (wanted(state)) return state;
  throw new StoreshiftError(
    `${what}: pid ${pid} is in state ${state ?? "gone"} 3 s after the signal; the fault did not take effect`,
  );
}

/**
 * Injects the fault and checks that it took effect, failing closed: a fault that could not be
 * applied, or whose effect the kernel does not show (a killed PID still there, a paused one not in
 * state T, a restart that left the same PID), throws naming the target and the reason. A scenario
 * that went on regardless would prove nothing about the fault it names.
 */
export async function injectProcessFault(
  target: FaultTarget,
  kind: ProcessFaultKind,
): Promise<InjectedFault> {
  const what = `inject ${kind} into ${target.name}`;
  const pid = target.process.pid;
  if (!target.process.running || pid === undefined)
    throw new StoreshiftError(
      `${what}: it is not running (${target.process.exitReason() ?? "never started"})`,
    );
  const fault: InjectedFault = {
    kind,
    target: target.name,
    at: new Date().toISOString(),
    evidence: "",
    healed: false,
    heal: async () => {
      if (fault.healed) return;
      fault.healed = true;
      try {
        if (kind === "pause" && target.process.running) target.process.resume();
        else if (!target.process.running) await target.start();
      } catch (err) {
        throw wrapError(`heal ${kind} of ${target.name}`, err);
      }
      log.debug(`fault healed: ${kind} of ${target.name}`);
    },
  };
  log.debug(`fault injected: ${kind} of ${target.name}`);
  try {
    if (kind === "kill") {
      await target.process.kill();
      await observe(what, pid, (state) => state === undefined);
      fault.evidence = `pid ${pid} gone`;
    } else if (kind === "pause") {
      target.process.pause();
      const state = await observe(what, pid, (state) => state === "T" || state === "t");
      fault.evidence = `pid ${pid} in state ${state}`;
    } else {
      await target.process.stop();
      await observe(what, pid, (state) => state === undefined);
      await target.start();
      fault.healed = true;
      const after = target.process.pid;
      if (after === undefined || after === pid || !target.process.running)
        throw new StoreshiftError(`${what}: it did not come back as a new process (pid ${after ?? "none"})`);
      fault.evidence = `pid ${pid} stopped, serving again as pid ${after}`;
    }
  } catch (err) {
    throw wrapError(what, err);
  }
  return fault;
}

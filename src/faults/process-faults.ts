import { StoreshiftError } from "../common/errors.js";
import { log } from "../common/log.js";
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

export async function injectProcessFault(
  target: FaultTarget,
  kind: ProcessFaultKind,
): Promise<InjectedFault> {
  if (!target.process.running)
    throw new StoreshiftError(`inject ${kind} into ${target.name}: it is not running`);
  const fault: InjectedFault = {
    kind,
    target: target.name,
    at: new Date().toISOString(),
    healed: false,
    heal: async () => {
      if (fault.healed) return;
      fault.healed = true;
      if (kind === "pause" && target.process.running) target.process.resume();
      else if (!target.process.running) await target.start();
      log.debug(`fault healed: ${kind} of ${target.name}`);
    },
  };
  log.debug(`fault injected: ${kind} of ${target.name}`);
  if (kind === "kill") await target.process.kill();
  else if (kind === "pause") target.process.pause();
  else {
    await target.process.stop();
    await target.start();
    fault.healed = true;
  }
  return fault;
}

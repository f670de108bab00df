import { StoreshiftError } from "../common/errors.js";
import type { ProcessFaultKind } from "./process-faults.js";

/**
 * The words fault scenarios use, parsed without touching a store: which process, which fault, which
 * migration phase. The step definitions register the patterns as Cucumber parameter types and hand
 * the matched text here, so what a phrase means is decided (and unit-tested) in one place.
 */

/** `etcd "x" member N`, `etcd "x"` (member 0), `the kube-apiserver`, `the control plane's etcd`. */
export const FAULT_TARGET_PATTERN =
  /etcd "[^"]+" member \d+|etcd "[^"]+"|the kube-apiserver|the control plane's etcd/;

/** A Calico step of the guide, or one of the etcd v2→v3 migrations. */
export const FAULT_PHASE_PATTERN = /lock|export|import|unlock|rollback|online migration|offline migration/;

export const FAULT_KIND_PATTERN = /killed|restarted|paused for \d+ seconds?|paused/;

export interface FaultKindSpec {
  kind: ProcessFaultKind;
  /** A pause that heals itself after this long ("paused for N seconds"). */
  healAfterMs?: number;
}

/** "killed", "restarted", "paused" or "paused for N second(s)". */
export function parseFaultKind(text: string): FaultKindSpec {
  const pausedFor = /^paused for (\d+) seconds?$/.exec(text);
  if (pausedFor) return { kind: "pause", healAfterMs: Number(pausedFor[1]) * 1000 };
  if (text === "paused") return { kind: "pause" };
  if (text === "restarted") return { kind: "restart" };
  if (text === "killed") return { kind: "kill" };
  throw new StoreshiftError(`unknown fault "${text}": killed, restarted, paused or paused for N seconds`);
}

/** Which process a fault phrase names, before any store is looked up. */
export type FaultTargetRef =
  | { kind: "kube-apiserver" }
  | { kind: "control-plane-etcd" }
  /** `etcd "x"` alone means member 0. `label` is how reports name it: `etcd "x" member N`. */
  | { kind: "etcd-member"; cluster: string; member: number; label: string };

export function parseFaultTarget(text: string): FaultTargetRef {
  if (text === "the kube-apiserver") return { kind: "kube-apiserver" };
  if (text === "the control plane's etcd") return { kind: "control-plane-etcd" };
  const m = /^etcd "([^"]+)"(?: member (\d+))?$/.exec(text);
  if (!m) throw new StoreshiftError(`unknown fault target ${text}`);
  const cluster = m[1] ?? "";
  const member = Number(m[2] ?? 0);
  return { kind: "etcd-member", cluster, member, label: `etcd "${cluster}" member ${member}` };
}

/** The steps of the Calico guide a `try` step runs. */
export const CALICO_STEPS = ["lock", "export", "import", "unlock", "rollback"] as const;
export type CalicoStep = (typeof CALICO_STEPS)[number];

/** Refuses a word that is not a step of the guide, naming the ones that are. */
export function parseCalicoStep(word: string): CalicoStep {
  const found = CALICO_STEPS.find((s) => s === word);
  if (!found) throw new Error(`unknown Calico step "${word}": one of ${CALICO_STEPS.join(", ")}`);
  return found;
}

/** "locked or unlocked" → ["locked", "unlocked"]: a fault racing a lock may land on either side. */
export function lockWords(expected: string): string[] {
  return expected.split(" or ");
}

import { attempt } from "../common/attempt.js";
import { envVar } from "../common/environment.js";
import { errorMessage, StoreshiftError } from "../common/errors.js";
import type { Check } from "../report/result.js";
import { lockWords } from "./words.js";

/**
 * A migration step tried under a fault: it may fail (that is the point), and what it did is kept for
 * the scenario's Then steps, which judge it with the pure functions below.
 */
export interface Attempt {
  phase: string;
  /** The failure, one line as the step reported it; undefined when the step succeeded. */
  error?: string;
  ms: number;
  /** The error itself, for steps that inspect more than its message. */
  cause?: Error;
}

/** Records the phase's timing in the report (ScenarioRecord.phase satisfies it). */
export interface PhaseRecorder {
  phase<T>(name: string, work: () => Promise<T>): Promise<T>;
}

export const DEFAULT_STEP_DEADLINE_MS = 90_000;

/**
 * How long a `try` step runs before its work is cancelled: 90 s, or STORESHIFT_FAULT_STEP_DEADLINE_MS
 * (a test of the cancellation itself).
 */
export function stepDeadlineMs(value = envVar("STORESHIFT_FAULT_STEP_DEADLINE_MS")): number {
  if (value === undefined) return DEFAULT_STEP_DEADLINE_MS;
  const ms = Number(value);
  if (value.trim() === "" || !Number.isFinite(ms) || ms <= 0)
    throw new StoreshiftError(`STORESHIFT_FAULT_STEP_DEADLINE_MS=${value}: expected a positive number of ms`);
  return ms;
}

/**
 * Runs `work` under the deadline, which cancels it (common/attempt.ts): once this returns, the work
 * writes nothing more while heal, recovery and diffs run. Never throws for the work's failure: that
 * is the attempt's outcome. `now` is the clock `ms` is measured with.
 */
export async function runAttempt(
  phase: string,
  work: (signal: AbortSignal) => Promise<void>,
  options: { deadlineMs: number; record?: PhaseRecorder; now?: () => number },
): Promise<Attempt> {
  const now = options.now ?? (() => performance.now());
  const run = () => attempt({ what: phase, deadlineMs: options.deadlineMs }, work);
  const started = now();
  const outcome: Attempt = { phase, ms: 0 };
  try {
    await (options.record ? options.record.phase(`${phase} (under fault)`, run) : run());
  } catch (err) {
    outcome.error = errorMessage(err);
    outcome.cause = err instanceof Error ? err : new Error(String(err));
  }
  outcome.ms = Math.round(now() - started);
  return outcome;
}

/** The last attempt, which must be of `phase`: a Then step judges the step the scenario just tried. */
export function attemptOf(last: Attempt | undefined, phase: string): Attempt {
  if (!last) throw new StoreshiftError(`no try step ran before this check of the ${phase} step`);
  if (last.phase !== phase) throw new Error(`the last try step was ${last.phase}, not ${phase}`);
  return last;
}

/** A failure is one line that names `text` (the object or store it was about). */
function failureNames(phase: string, error: string, text: string): void {
  if (error.includes("\n")) throw new Error(`the ${phase} failure is more than one line: ${error}`);
  if (!error.includes(text)) throw new Error(`the ${phase} failure "${error}" does not name "${text}"`);
}

export function expectFailureNaming(a: Attempt, text: string): void {
  if (a.error === undefined)
    throw new Error(`the ${a.phase} step succeeded (in ${a.ms} ms), a failure was expected`);
  failureNames(a.phase, a.error, text);
}

export function expectSuccess(a: Attempt): void {
  if (a.error !== undefined) throw new Error(`the ${a.phase} step failed: ${a.error}`);
}

/** A fault racing the step may be ridden out: the report records which outcome it was. */
export function racingCheck(a: Attempt): { name: string; message: string } {
  return {
    name: `${a.phase} under a racing fault`,
    message: a.error !== undefined ? `failed: ${a.error}` : "succeeded",
  };
}

/** Either outcome of a racing fault is allowed, but a failure must still be one line naming `text`. */
export function expectSuccessOrFailureNaming(a: Attempt, text: string): void {
  if (a.error !== undefined) failureNames(a.phase, a.error, text);
}

/**
 * The lock state found in both datastores against the scenario's words ("locked", or "locked or
 * unlocked" for a fault that may land on either side of the lock), as the report's "lock state" check.
 */
export function lockStateCheck(
  expected: { etcd: string; kube: string },
  found: { etcd: string; kube: string },
): Check {
  const text = `lock state: etcd ${found.etcd}, Kubernetes ${found.kube}`;
  const ok = lockWords(expected.etcd).includes(found.etcd) && lockWords(expected.kube).includes(found.kube);
  return {
    name: "lock state",
    status: ok ? "passed" : "failed",
    message: ok ? text : `${text}; expected etcd ${expected.etcd}, Kubernetes ${expected.kube}`,
  };
}

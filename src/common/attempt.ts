import { StoreshiftError } from "./errors.js";

/**
 * Work under a deadline that really stops it. Racing a promise against a timer only stops waiting:
 * the work goes on writing while whoever gave up heals faults, rolls back and diffs. Here the work
 * gets an AbortSignal; at the deadline the signal aborts and the attempt waits (up to `graceMs`) for
 * the work to wind down, so once `attempt` has returned nothing the work started is still running.
 * Clients that take the signal refuse new requests after the abort and cut those in flight; a request
 * already on the wire may still be applied by the server before the cut, never after `attempt` returns.
 */
export interface AttemptOptions {
  /** Names the work in the deadline error, e.g. "import". */
  what: string;
  deadlineMs: number;
  /** How long to wait for aborted work to stop before giving up on it (default 20 s). */
  graceMs?: number;
  /** An outer signal (e.g. the run's SIGINT) that aborts the attempt as well. */
  signal?: AbortSignal;
}

export interface AttemptOutcome {
  /** When the deadline aborted the work (ms since epoch), or undefined if it finished in time. */
  abortedAt?: number;
  /** When the work had stopped after the abort; undefined if it outlived the grace period. */
  stoppedAt?: number;
}

/** The reason a deadline gives its signal: callers can tell a cancellation from a store failure. */
export class DeadlineError extends StoreshiftError {
  constructor(what: string, deadlineMs: number) {
    super(`${what}: did not finish within ${deadlineMs / 1000} s; cancelled`);
    this.name = "DeadlineError";
  }
}

export async function attempt<T>(
  options: AttemptOptions,
  work: (signal: AbortSignal) => Promise<T>,
  outcome: AttemptOutcome = {},
): Promise<T> {
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onOuterAbort, { once: true });
  const deadline = new DeadlineError(options.what, options.deadlineMs);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"deadline">((resolve) => {
    timer = setTimeout(() => resolve("deadline"), options.deadlineMs);
  });
  const running = Promise.resolve().then(() => work(controller.signal));
  // settled either way: the race below must not leave an unhandled rejection behind
  const settled = running.then(
    () => "done" as const,
    () => "done" as const,
  );
  try {
    if ((await Promise.race([settled, timedOut])) === "done") return await running;
    outcome.abortedAt = Date.now();
    controller.abort(deadline);
    let graceTimer: NodeJS.Timeout | undefined;
    const grace = new Promise<"grace">((resolve) => {
      graceTimer = setTimeout(() => resolve("grace"), options.graceMs ?? 20_000);
    });
    const stopped = await Promise.race([settled, grace]);
    clearTimeout(graceTimer);
    if (stopped === "grace")
      throw new StoreshiftError(
        `${deadline.message}, but it had not stopped ${(options.graceMs ?? 20_000) / 1000} s after the abort`,
      );
    outcome.stoppedAt = Date.now();
    throw deadline;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onOuterAbort);
  }
}

/** Throws the signal's reason (a DeadlineError for an attempt) naming the operation that was refused. */
export function throwIfAborted(signal: AbortSignal | undefined, operation: string): void {
  if (!signal?.aborted) return;
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason);
  throw new StoreshiftError(`${operation}: cancelled (${reason})`);
}

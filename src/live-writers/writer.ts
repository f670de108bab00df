import { errorMessage } from "../common/errors.js";
import { sleep } from "../common/wait.js";

/**
 * A live writer: a loop of turns against a real store, each turn one write (or one wait, when the
 * writer honours the migration lock and finds it set). Its log of acknowledged writes is the oracle
 * the drift and completeness checks are compared against: it is what the store told the writer.
 */

/** What a migrated object should look like in Kubernetes, as the writer knows from what it wrote. */
export interface KubeExpectation {
  kind: string;
  name: string;
  namespace?: string;
  /** Field paths (segments, so CIDRs with dots stay one segment) and the value written there. */
  fields: { path: string[]; value: unknown }[];
}

/** One write the store acknowledged. */
export interface LoggedWrite {
  writer: string;
  key: string;
  value: string;
  /** etcd v3: the mod revision of the write; etcd v2: its modifiedIndex. */
  revision: number;
  at: string;
  /** The Kubernetes object this write becomes after the migration, or why it becomes none. */
  target?: KubeExpectation | { notMigrated: string };
}

export type LockMode = "honours" | "ignores";

export interface WriterLog {
  writer: string;
  lock: LockMode;
  writes: LoggedWrite[];
  /** Turns spent waiting because the lock was set (honouring writers only). */
  waits: number;
  /** Turns whose write the store refused (a guard failed: the lock landed between read and write). */
  refused: number;
  /** Turns that failed for another reason: the message, at most the last 20. */
  errors: string[];
}

/** One turn's outcome: writes acknowledged (in order), or a wait / refusal. */
export type Turn = { writes: Omit<LoggedWrite, "writer" | "at">[] } | "waited" | "refused";

export interface StartedWriter {
  readonly name: string;
  readonly log: WriterLog;
  /** Turns finished so far (writes, waits, refusals and failures all count). */
  readonly turns: number;
  /** Resolves once `count` more turns than now have finished; rejects after `timeoutMs`. */
  moreTurns(count: number, timeoutMs?: number): Promise<void>;
  /** Resolves once at least `count` writes were acknowledged; rejects after `timeoutMs`. */
  writesAtLeast(count: number, timeoutMs?: number): Promise<void>;
  /** Stops after the turn in flight; idempotent. */
  stop(): Promise<WriterLog>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface WriterOptions {
  name: string;
  lock: LockMode;
  /** Pause between turns; 0 runs turns back to back. */
  intervalMs?: number;
  /** Cleans up the writer's clients after the last turn. */
  close?: () => void;
}

/** Starts the turn loop at once; the first turn runs before this returns control to the event loop. */
export function startWriter(options: WriterOptions, turn: () => Promise<Turn>): StartedWriter {
  const log: WriterLog = {
    writer: options.name,
    lock: options.lock,
    writes: [],
    waits: 0,
    refused: 0,
    errors: [],
  };
  let turns = 0;
  let stopping = false;
  const loop = (async () => {
    while (!stopping) {
      try {
        const outcome = await turn();
        if (outcome === "waited") log.waits++;
        else if (outcome === "refused") log.refused++;
        else
          for (const w of outcome.writes)
            log.writes.push({ ...w, writer: options.name, at: new Date().toISOString() });
      } catch (err) {
        log.errors.push(errorMessage(err));
        if (log.errors.length > 20) log.errors.shift();
      }
      turns++;
      if (options.intervalMs) await sleep(options.intervalMs);
    }
  })();
  const waitFor = async (what: string, done: () => boolean, timeoutMs: number) => {
    const started = Date.now();
    while (!done()) {
      if (stopping) throw new Error(`live writer ${options.name}: stopped before ${what}`);
      if (Date.now() - started > timeoutMs)
        throw new Error(
          `live writer ${options.name}: ${what} not reached in ${timeoutMs} ms (turns ${turns}, writes ${log.writes.length}, last error: ${log.errors.at(-1) ?? "none"})`,
        );
      await sleep(5);
    }
  };
  let stopped: Promise<WriterLog> | undefined;
  const handle: StartedWriter = {
    name: options.name,
    log,
    get turns() {
      return turns;
    },
    moreTurns(count, timeoutMs = 15_000) {
      const target = turns + count;
      return waitFor(`${count} more turns`, () => turns >= target, timeoutMs);
    },
    writesAtLeast(count, timeoutMs = 15_000) {
      return waitFor(`${count} acknowledged writes`, () => log.writes.length >= count, timeoutMs);
    },
    stop() {
      stopping = true;
      stopped ??= loop.then(() => {
        options.close?.();
        return log;
      });
      return stopped;
    },
    async [Symbol.asyncDispose]() {
      await handle.stop();
    },
  };
  return handle;
}

/** The last acknowledged write of every key, over several writers' logs. */
export function lastWrites(logs: WriterLog[]): Map<string, LoggedWrite> {
  const last = new Map<string, LoggedWrite>();
  for (const log of logs)
    for (const w of log.writes) {
      const seen = last.get(w.key);
      if (!seen || w.revision > seen.revision) last.set(w.key, w);
    }
  return last;
}

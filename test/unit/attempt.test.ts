import assert from "node:assert/strict";
import { test } from "node:test";
import { type AttemptOutcome, attempt, DeadlineError, throwIfAborted } from "../../src/common/attempt.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

test("work that finishes in time returns its value; its own failure passes through unchanged", async () => {
  assert.equal(await attempt({ what: "quick", deadlineMs: 1000 }, async () => 42), 42);
  await assert.rejects(
    attempt({ what: "quick", deadlineMs: 1000 }, async () => {
      throw new Error("store said no");
    }),
    /^Error: store said no$/,
  );
});

test("at the deadline the signal aborts, and attempt returns only once the work has stopped", async () => {
  const writes: number[] = [];
  const outcome: AttemptOutcome = {};
  let stoppedWriting = 0;
  await assert.rejects(
    attempt(
      { what: "import", deadlineMs: 100 },
      async (signal) => {
        for (let i = 0; ; i++) {
          throwIfAborted(signal, `write ${i}`);
          writes.push(Date.now());
          await sleep(20);
          stoppedWriting = Date.now();
        }
      },
      outcome,
    ),
    (err) =>
      err instanceof DeadlineError && /^import: did not finish within 0.1 s; cancelled$/.test(err.message),
  );
  assert.ok(outcome.abortedAt && outcome.stoppedAt && outcome.stoppedAt >= outcome.abortedAt);
  const count = writes.length;
  await sleep(100);
  assert.equal(writes.length, count, "no write after attempt returned");
  assert.ok(stoppedWriting <= (outcome.stoppedAt ?? 0));
  assert.ok(
    writes.every((t) => t <= (outcome.abortedAt ?? 0)),
    "no write started after the abort",
  );
});

test("work that ignores the signal is reported as not stopped after the grace period", async () => {
  let running = true;
  await assert.rejects(
    attempt({ what: "deaf", deadlineMs: 50, graceMs: 100 }, async () => {
      while (running) await sleep(10);
    }),
    /deaf: did not finish within 0.05 s; cancelled, but it had not stopped 0.1 s after the abort/,
  );
  running = false;
});

test("an outer signal aborts the attempt too; throwIfAborted names the refused operation", async () => {
  const outer = new AbortController();
  const p = attempt({ what: "outer", deadlineMs: 10_000, signal: outer.signal }, async (signal) => {
    while (!signal.aborted) await sleep(5);
    throwIfAborted(signal, "PUT /x");
  });
  outer.abort(new Error("SIGINT"));
  await assert.rejects(p, /^StoreshiftError: PUT \/x: cancelled \(SIGINT\)$/);
});

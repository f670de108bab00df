import assert from "node:assert/strict";
import { test } from "node:test";
import { throwIfAborted } from "../../src/common/attempt.js";
import {
  type Attempt,
  attemptOf,
  expectFailureNaming,
  expectSuccess,
  expectSuccessOrFailureNaming,
  lockStateCheck,
  racingCheck,
  runAttempt,
  stepDeadlineMs,
} from "../../src/faults/attempts.js";
import { FaultSession } from "../../src/faults/session.js";
import { whenTrue } from "../../src/faults/triggers.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

test("the step deadline: 90 s by default, the variable's ms when set, refused when not a positive number", () => {
  assert.equal(stepDeadlineMs(undefined), 90_000);
  assert.equal(stepDeadlineMs("4000"), 4000);
  for (const bad of ["", "soon", "0", "-5"])
    assert.throws(() => stepDeadlineMs(bad), /STORESHIFT_FAULT_STEP_DEADLINE_MS=.*positive number/, bad);
});

test("an attempt keeps the work's failure as its outcome, timed by the clock it is given", async () => {
  const ticks = [1000, 1250.4];
  const a = await runAttempt(
    "import",
    async () => {
      throw new Error("import: kubernetes POST …/tiers: read ECONNRESET");
    },
    { deadlineMs: 1000, now: () => ticks.shift() ?? 0 },
  );
  assert.equal(a.phase, "import");
  assert.equal(a.error, "import: kubernetes POST …/tiers: read ECONNRESET");
  assert.equal(a.ms, 250);
  assert.ok(a.cause instanceof Error);
});

test("an attempt past its deadline is cancelled and says so; one that finishes has no error", async () => {
  let writesAfterReturn = 0;
  let returned = false;
  const slow = await runAttempt(
    "export",
    async (signal) => {
      for (;;) {
        throwIfAborted(signal, "export");
        if (returned) writesAfterReturn++;
        await sleep(5);
      }
    },
    { deadlineMs: 50 },
  );
  returned = true;
  assert.match(slow.error ?? "", /did not finish within 0.05 s; cancelled/);
  await sleep(30);
  assert.equal(writesAfterReturn, 0, "the work stopped before the attempt returned");
  const quick = await runAttempt("lock", async () => {}, { deadlineMs: 1000 });
  assert.equal(quick.error, undefined);
});

test("an attempt goes through the recorder as `<phase> (under fault)`, failure included", async () => {
  const phases: string[] = [];
  const record = {
    async phase<T>(name: string, work: () => Promise<T>): Promise<T> {
      phases.push(name);
      return work();
    },
  };
  const a = await runAttempt(
    "unlock",
    async () => {
      throw new Error("unlock kubernetes: refused");
    },
    { deadlineMs: 1000, record },
  );
  assert.deepEqual(phases, ["unlock (under fault)"]);
  assert.equal(a.error, "unlock kubernetes: refused");
});

const failed: Attempt = { phase: "import", error: "import: NetworkPolicy default/deny: ECONNRESET", ms: 12 };
const succeeded: Attempt = { phase: "export", ms: 30 };

test("a Then step judges the last try step only, and only if it was of its phase", () => {
  assert.equal(attemptOf(failed, "import"), failed);
  assert.throws(() => attemptOf(failed, "export"), /^Error: the last try step was import, not export$/);
  assert.throws(() => attemptOf(undefined, "lock"), /no try step ran/);
});

test("failed naming: one line containing the text; a success or another text fails the check", () => {
  expectFailureNaming(failed, "NetworkPolicy");
  assert.throws(() => expectFailureNaming(failed, "IPPool"), /does not name "IPPool"/);
  assert.throws(
    () => expectFailureNaming(succeeded, "x"),
    /^Error: the export step succeeded \(in 30 ms\), a failure was expected$/,
  );
  assert.throws(
    () => expectFailureNaming({ phase: "import", error: "import: a\nstack", ms: 1 }, "import"),
    /more than one line/,
  );
});

test("succeeded: no error; a failure is reported with its message", () => {
  expectSuccess(succeeded);
  assert.throws(() => expectSuccess(failed), /^Error: the import step failed: import: NetworkPolicy/);
});

test("a racing fault: either outcome passes and is recorded, a failure must still name the text", () => {
  assert.deepEqual(racingCheck(succeeded), { name: "export under a racing fault", message: "succeeded" });
  assert.deepEqual(racingCheck(failed), {
    name: "import under a racing fault",
    message: `failed: ${failed.error}`,
  });
  expectSuccessOrFailureNaming(succeeded, "anything");
  expectSuccessOrFailureNaming(failed, "ECONNRESET");
  assert.throws(() => expectSuccessOrFailureNaming(failed, "etcd v3 at"), /does not name "etcd v3 at"/);
});

test("lock state: a check named `lock state` that passes when each side is one of the words", () => {
  assert.deepEqual(lockStateCheck({ etcd: "locked", kube: "absent" }, { etcd: "locked", kube: "absent" }), {
    name: "lock state",
    status: "passed",
    message: "lock state: etcd locked, Kubernetes absent",
  });
  assert.equal(
    lockStateCheck({ etcd: "locked", kube: "locked or unlocked" }, { etcd: "locked", kube: "unlocked" })
      .status,
    "passed",
  );
  assert.deepEqual(lockStateCheck({ etcd: "locked", kube: "locked" }, { etcd: "unlocked", kube: "locked" }), {
    name: "lock state",
    status: "failed",
    message: "lock state: etcd unlocked, Kubernetes locked; expected etcd locked, Kubernetes locked",
  });
});

test("a step tried under an armed fault that fired but could not be applied fails, its outcome kept", async () => {
  const session = new FaultSession();
  session.arm(
    whenTrue("at once", () => true),
    "kube-apiserver killed at once",
    async () => {
      throw new Error("inject kill into the kube-apiserver: it is not running");
    },
  );
  await sleep(20);
  await assert.rejects(
    session.tryStep("import", async () => {}, { deadlineMs: 1000 }),
    /^StoreshiftError: the fault did not happen: kube-apiserver killed at once: could not be applied: inject kill into the kube-apiserver: it is not running$/,
  );
  assert.equal(session.lastAttempt?.phase, "import");
  assert.equal(session.lastAttempt?.error, undefined);
  await session.stop();
});

test("a step tried with no armed fault keeps its failure as the session's last attempt, not as an error", async () => {
  const session = new FaultSession();
  const a = await session.tryStep(
    "lock",
    async () => {
      throw new Error("lock etcd: etcd at http://127.0.0.1:1: ECONNREFUSED");
    },
    { deadlineMs: 1000 },
  );
  assert.equal(session.lastAttempt, a);
  assert.equal(a.error, "lock etcd: etcd at http://127.0.0.1:1: ECONNREFUSED");
  assert.deepEqual(session.etcdEndpoints("source", ["http://127.0.0.1:2379"]), ["http://127.0.0.1:2379"]);
});

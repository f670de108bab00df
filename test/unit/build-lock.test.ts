import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { withBuildLock } from "../../src/binaries/build-lock.js";

test("two builds of one tool never run at once; the lock is gone afterwards", async () => {
  const lock = join(await mkdtemp(join(tmpdir(), "lock-")), "etcd.lock");
  let inside = 0;
  let most = 0;
  const order: string[] = [];
  const build = (name: string) =>
    withBuildLock(
      lock,
      `build ${name}`,
      async () => {
        inside++;
        most = Math.max(most, inside);
        order.push(`${name}:start`);
        await sleep(80);
        order.push(`${name}:end`);
        inside--;
      },
      { pollMs: 10 },
    );
  await Promise.all([build("a"), build("b"), build("c")]);
  assert.equal(most, 1, `overlapping builds: ${order.join(" ")}`);
  assert.equal(order.length, 6);
  assert.equal(existsSync(lock), false);
});

test("a lock left by a process that died is taken over", async () => {
  const lock = join(await mkdtemp(join(tmpdir(), "lock-")), "kube.lock");
  // a real PID that is certainly gone: a child that has already exited
  const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
  await writeFile(lock, `${dead}\n`);
  let ran = false;
  await withBuildLock(
    lock,
    "build kube",
    async () => {
      ran = true;
    },
    { pollMs: 10, timeoutMs: 2000 },
  );
  assert.equal(ran, true);
});

test("a lock held by a live process is waited for, then the wait gives up naming the holder", async () => {
  const lock = join(await mkdtemp(join(tmpdir(), "lock-")), "calicoctl.lock");
  await writeFile(lock, `${process.pid}\n`);
  await assert.rejects(
    withBuildLock(lock, "install calicoctl", async () => {}, { pollMs: 10, timeoutMs: 100 }),
    new RegExp(`install calicoctl: waited too long for the build lock .*held by pid ${process.pid}`),
  );
  assert.equal(existsSync(lock), true, "another process's lock must not be removed");
});

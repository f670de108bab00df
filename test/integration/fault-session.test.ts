import assert from "node:assert/strict";
import { type AddressInfo, createServer } from "node:net";
import { after, test } from "node:test";
import { stopAll } from "../../src/common/cleanup.js";
import { makeTempDir, removeDir } from "../../src/common/temp.js";
import { type FaultTarget, processState } from "../../src/faults/process-faults.js";
import { startFaultProxy } from "../../src/faults/proxy/tcp-proxy.js";
import { FaultSession } from "../../src/faults/session.js";
import { whenTrue } from "../../src/faults/triggers.js";
import { ManagedProcess } from "../../src/process/managed-process.js";

const sleeperDirs: string[] = [];
after(async () => {
  await stopAll();
  await Promise.all(sleeperDirs.map((dir) => removeDir(dir)));
});

/** A real process as a fault target: `sleep`, which stays up until a fault or the test ends it. */
async function sleeper(name: string): Promise<FaultTarget & { process: ManagedProcess }> {
  const dir = await makeTempDir("fault-session");
  sleeperDirs.push(dir);
  const process = new ManagedProcess({ name, command: "sleep", args: ["60"], logFile: `${dir}/${name}.log` });
  process.start();
  return { name, process, start: async () => process.start() };
}

test("a kill is applied and verified: the PID is gone, and heal starts it again", async () => {
  const target = await sleeper("sleeper-kill");
  const pid = target.process.pid ?? 0;
  const session = new FaultSession();
  const applied = await session.inject(target, "kill");
  assert.equal(applied.evidence, `pid ${pid} gone`);
  assert.equal(await processState(pid), undefined);
  await session.heal();
  assert.ok(target.process.running);
  await target.process.kill();
});

test("a pause is verified in /proc: state T, and running again after heal", async () => {
  const target = await sleeper("sleeper-pause");
  const pid = target.process.pid ?? 0;
  const session = new FaultSession();
  const applied = await session.inject(target, "pause");
  assert.match(applied.evidence, /in state T$/);
  assert.equal(await processState(pid), "T");
  await session.heal();
  assert.notEqual(await processState(pid), "T");
  await target.process.kill();
});

test("injecting into a process that already exited fails, naming the target and the reason", async () => {
  const target = await sleeper("sleeper-gone");
  await target.process.kill();
  const session = new FaultSession();
  await assert.rejects(session.inject(target, "pause"), /inject pause into sleeper-gone: it is not running/);
  await assert.rejects(session.inject(target, "kill"), /inject kill into sleeper-gone: it is not running/);
});

test("an armed fault whose target exited before it fired fails assertFired with target and reason", async () => {
  const target = await sleeper("sleeper-armed");
  const session = new FaultSession();
  let go = false;
  const trigger = whenTrue("when told", () => go);
  session.arm(trigger, "kill of sleeper-armed when told", () => session.inject(target, "kill"));
  await target.process.kill();
  go = true;
  await trigger.fired;
  await assert.rejects(
    session.assertFired(),
    /the fault did not happen: kill of sleeper-armed when told: could not be applied: inject kill into sleeper-armed: it is not running/,
  );
  assert.equal(session.failures().length, 1);
});

test("an armed fault that never fired fails assertFired; one that fired reports its evidence", async () => {
  const target = await sleeper("sleeper-idle");
  const idle = new FaultSession();
  idle.arm(
    whenTrue("never", () => false),
    "kill of sleeper-idle never",
    () => idle.inject(target, "kill"),
  );
  await assert.rejects(idle.assertFired(), /kill of sleeper-idle never: never fired/);
  await idle.heal();
  assert.ok(target.process.running, "a cancelled trigger injects nothing");

  const fired = new FaultSession();
  const trigger = whenTrue("at once", () => true);
  fired.arm(trigger, "pause of sleeper-idle at once", () => fired.inject(target, "pause"));
  await trigger.fired;
  const evidence = await fired.assertFired();
  assert.match(evidence[0] ?? "", /^pause of sleeper-idle at once: pid \d+ in state T$/);
  await fired.heal();
  await target.process.kill();
});

test("a pause that heals by itself is resumed; a session with nothing armed does not pass as fired", async () => {
  const target = await sleeper("sleeper-self-heal");
  const pid = target.process.pid ?? 0;
  const session = new FaultSession();
  await session.inject(target, "pause", 100);
  await new Promise((r) => setTimeout(r, 400));
  assert.notEqual(await processState(pid), "T");
  await assert.rejects(session.assertFired(), /no fault was armed/);
  await session.heal();
  await target.process.kill();
});

test("a network reset is verified by a new connection being cut; an unknown proxy is refused", async () => {
  const session = new FaultSession();
  // a server that holds every connection open: only the proxy's reset can cut one
  const server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const proxy = await startFaultProxy({ host: "127.0.0.1", port });
  session.proxies.set("the sink", proxy);
  const applied = await session.setNetwork("the sink", { kind: "reset" });
  assert.match(applied.evidence, /resets a new connection/);
  await assert.rejects(session.setNetwork("elsewhere", { kind: "timeout" }), /no fault proxy in front of it/);
  await session.stop();
  server.close();
});

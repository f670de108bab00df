import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, test } from "node:test";
import type { SessionRecord } from "../../src/session/up-session.js";
import { isAlive, listeningPorts, storeshiftTempDirs } from "../helpers/leaks.js";

const cli = new URL("../../bin/storeshift.js", import.meta.url).pathname;
const scratch = await mkdtemp(join(tmpdir(), "signal-test-"));
after(() => rm(scratch, { recursive: true, force: true }));

/** Starts `storeshift up` with its own temp root and cache-session dir, and waits for its JSON line. */
async function up(args: string[]) {
  const env = { ...process.env, STORESHIFT_TMPDIR: scratch, STORESHIFT_QUIET: "1" };
  const child = spawn(process.execPath, [cli, "up", "--json", ...args], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const lines = createInterface({ input: child.stdout });
  const record = await new Promise<SessionRecord>((resolve, reject) => {
    lines.once("line", (l) => resolve(JSON.parse(l) as SessionRecord));
    child.once("exit", (code) => reject(new Error(`storeshift up exited ${code}: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, record, exited };
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  test(`${signal} to storeshift while etcd x3 and a control plane run leaves no process, port or temp dir`, async () => {
    const { child, record, exited } = await up(["--name", `sig-${signal.toLowerCase()}`, "--members", "3"]);
    const pids = record.stores.flatMap((s) => s.pids);
    const ports = record.stores
      .flatMap((s) => [...s.endpoints, ...(s.etcdEndpoint ? [s.etcdEndpoint] : [])])
      .map(portOf);
    assert.equal(pids.length, 5, "3 etcd members + kube-apiserver + its etcd");
    assert.ok(pids.every(isAlive));
    assert.ok(storeshiftTempDirs(scratch).length >= 2);
    child.kill(signal);
    const code = await exited;
    assert.equal(code, signal === "SIGINT" ? 130 : 143);
    assert.deepEqual(pids.filter(isAlive), [], "no store process survives");
    const listening = listeningPorts();
    assert.deepEqual(
      ports.filter((p) => listening.has(p)),
      [],
      "no store port still listens",
    );
    assert.deepEqual(storeshiftTempDirs(scratch), [], "no temp dir is left");
  });
}

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { exportFromEtcd, lockEtcd, prepareKubeTarget } from "../../src/calico/api.js";
import { seedCalicoEtcd } from "../../src/calico/fixture.js";
import { generateFixture } from "../../src/calico/generate.js";
import { stopAll } from "../../src/common/cleanup.js";
import { sleep } from "../../src/common/wait.js";
import { seedV2 } from "../../src/etcd-v2v3/fixture.js";
import { probeDocker } from "../../src/providers/containers/docker-probe.js";
import { OWNER_LABEL, testcontainers } from "../../src/providers/containers/runtime.js";
import { startLocalEtcd } from "../../src/providers/etcd/local-etcd.js";
import { startLocalControlPlane } from "../../src/providers/kube/local-control-plane.js";
import { requireBinary } from "../helpers/binaries.js";
import { isAlive, listeningPorts, storeshiftTempDirs } from "../helpers/leaks.js";

/**
 * SIGINT/SIGTERM to `storeshift run`, `storeshift calico import` and `storeshift etcd migrate` at
 * several phases. Afterwards no process that storeshift started (found by its temp root in the
 * command line), no port those processes listened on, and no temp dir may be left.
 */

const cliPath = new URL("../../bin/storeshift.js", import.meta.url).pathname;
const repo = new URL("../..", import.meta.url).pathname;
const scratch = await mkdtemp(join(tmpdir(), "signals-cli-"));
const docker = await probeDocker();
after(async () => {
  await stopAll();
  await rm(scratch, { recursive: true, force: true });
});

/** PIDs whose command line mentions `needle` (a temp root or data dir), with the ports they name. */
function processesMentioning(needle: string): { pids: number[]; ports: number[] } {
  const pids: number[] = [];
  const ports: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (!cmd.includes(needle) || !isAlive(Number(entry))) continue;
      pids.push(Number(entry));
      for (const m of cmd.matchAll(/127\.0\.0\.1:(\d+)|--secure-port=(\d+)/g))
        ports.push(Number(m[1] ?? m[2]));
    } catch {
      // ended while we looked
    }
  }
  return { pids, ports };
}

function start(args: string[], tempRoot: string): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [cliPath, ...args], {
    cwd: repo,
    env: { ...process.env, STORESHIFT_TMPDIR: tempRoot, STORESHIFT_QUIET: "1" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr?.resume();
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, exited };
}

async function waitFor(what: string, ok: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Signals, then proves nothing started under `tempRoot` outlived the process. */
async function signalAndCheck(
  run: { child: ChildProcess; exited: Promise<number | null> },
  signal: "SIGINT" | "SIGTERM",
  tempRoot: string,
  seenPorts: number[],
  what: string,
): Promise<void> {
  run.child.kill(signal);
  const code = await run.exited;
  // null: the signal ended the process before storeshift installed its handlers (nothing started yet)
  assert.ok(
    code === null || code === (signal === "SIGINT" ? 130 : 143) || code === 0 || code === 1,
    `${what}: exit code ${code} after ${signal}`,
  );
  const left = processesMentioning(tempRoot);
  const named = left.pids.map((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").slice(0, 3).join(" ");
    } catch {
      return String(p);
    }
  });
  // leave nothing running for the next test, then fail naming what survived
  for (const p of left.pids) process.kill(p, "SIGKILL");
  assert.deepEqual(named, [], `${what}: no process left`);
  const listening = listeningPorts();
  assert.deepEqual(
    seenPorts.filter((p) => listening.has(p)),
    [],
    `${what}: no port left listening`,
  );
  assert.deepEqual(storeshiftTempDirs(tempRoot), [], `${what}: no temp dir left`);
}

const phases: { name: string; ready: (root: string) => boolean; extraMs: number }[] = [
  { name: "while the first store starts", ready: () => true, extraMs: 800 },
  {
    name: "once etcd runs",
    ready: (root) => processesMentioning(root).pids.length >= 1,
    extraMs: 0,
  },
  {
    // the control plane's etcd runs, its PKI is written, kube-apiserver is not up yet
    name: "while the control plane starts",
    ready: (root) => {
      const cmds = processesMentioning(root).pids.map((p) => readFileSync(`/proc/${p}/cmdline`, "utf8"));
      return (
        cmds.filter((c) => c.includes("etcd")).length >= 2 && !cmds.some((c) => c.includes("kube-apiserver"))
      );
    },
    // this phase found a race: the failed scenario's reset restarted the pool etcd the signal had
    // just stopped; nothing may start once a signal arrived (src/common/cleanup.ts shuttingDown)
    extraMs: 0,
  },
  {
    name: "once the control plane runs (scenario under way)",
    ready: (root) => processesMentioning(root).pids.length >= 3,
    extraMs: 1500,
  },
];

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  for (const phase of phases) {
    test(`storeshift run: ${signal} ${phase.name} leaves no process, port or temp dir`, async () => {
      await requireBinary("kube-apiserver");
      const root = await mkdtemp(join(scratch, "run-"));
      const run = start(
        [
          "run",
          "features/calico/rollback.feature",
          "--backend",
          "local",
          "--tags",
          "@smoke",
          "--report-dir",
          join(root, "reports"),
        ],
        root,
      );
      const ports: number[] = [];
      await waitFor(`${phase.name}`, () => {
        ports.push(...processesMentioning(root).ports);
        return phase.ready(root);
      });
      await sleep(phase.extraMs);
      ports.push(...processesMentioning(root).ports);
      await signalAndCheck(run, signal, root, ports, `run ${phase.name}`);
    });
  }
}

test("storeshift calico import: SIGINT and SIGTERM mid-import leave no process, port or temp dir", async () => {
  await requireBinary("kube-apiserver");
  await using etcd = await startLocalEtcd({ line: "current", name: "signals-source" });
  await using plane = await startLocalControlPlane({ name: "signals" });
  const fixture = generateFixture(300, 7);
  await seedCalicoEtcd(etcd.endpoints, fixture);
  await prepareKubeTarget(plane.kubeConfig(), fixture);
  await lockEtcd(etcd.endpoints);
  const file = join(scratch, "export.yaml");
  const { writeFile } = await import("node:fs/promises");
  await writeFile(file, (await exportFromEtcd(etcd.endpoints)).text);
  for (const [signal, afterMs] of [
    ["SIGINT", 300],
    ["SIGTERM", 1200],
  ] as const) {
    const root = await mkdtemp(join(scratch, "import-"));
    const run = start(
      [
        "calico",
        "import",
        "--datastore-type",
        "kubernetes",
        "--kubeconfig",
        plane.kubeconfigPath,
        "-f",
        file,
      ],
      root,
    );
    await sleep(afterMs);
    await signalAndCheck(run, signal, root, [], `calico import ${signal} after ${afterMs} ms`);
    // the interrupted import is rolled back like any failed one, so the next round starts empty
    const { rollback } = await import("../../src/calico/api.js");
    await rollback(plane.kubeConfig(), etcd.endpoints);
    await lockEtcd(etcd.endpoints);
  }
});

test("storeshift etcd migrate: SIGINT/SIGTERM online and offline leave no etcdctl, port or temp dir", async () => {
  await requireBinary("etcd-v2");
  await using etcd = await startLocalEtcd({ enableV2: true, name: "signals-v2" });
  await seedV2(etcd.endpoints[0] ?? "", {
    name: "signals",
    description: "",
    includeHidden: [],
    steps: [{ op: "generate", keys: 3000, dirs: 30, seed: 9, valueBytes: 64, prefix: "/gen" }],
  });
  for (const [signal, afterMs] of [
    ["SIGINT", 400],
    ["SIGTERM", 900],
  ] as const) {
    const root = await mkdtemp(join(scratch, "online-"));
    const run = start(
      ["etcd", "migrate", "--online", "--endpoints", etcd.endpoints.join(","), "--concurrency", "1"],
      root,
    );
    await sleep(afterMs);
    await signalAndCheck(run, signal, root, [], `etcd migrate --online ${signal}`);
  }
  // offline needs a stopped member; the backup dir is what an operator restores from, so it is given
  // explicitly (outside the temp root) and only the temp root must end up empty
  await etcd.member(0).stop();
  for (const [signal, afterMs] of [
    ["SIGINT", 150],
    ["SIGTERM", 600],
  ] as const) {
    const root = await mkdtemp(join(scratch, "offline-"));
    const backupDir = await mkdtemp(join(scratch, "backup-"));
    const run = start(
      [
        "etcd",
        "migrate",
        "--offline",
        "--data-dir",
        etcd.member(0).info.dataDir,
        "--backup-dir",
        join(backupDir, "b"),
      ],
      root,
    );
    await sleep(afterMs);
    run.child.kill(signal);
    await run.exited;
    await waitFor(
      "etcdctl to be gone",
      () => processesMentioning(etcd.member(0).info.dataDir).pids.length === 0,
      5000,
    );
    assert.deepEqual(storeshiftTempDirs(root), [], `etcd migrate --offline ${signal}: no temp dir`);
  }
});

/** Containers labelled as started by process `pid` (see src/providers/containers/runtime.ts). */
async function containersOf(pid: number | undefined): Promise<string[]> {
  const { getContainerRuntimeClient } = await testcontainers();
  const client = await getContainerRuntimeClient();
  const found = await client.container.dockerode.listContainers({
    all: true,
    filters: { label: [`${OWNER_LABEL}=${pid}`] },
  });
  return found.map((c) => c.Names[0] ?? c.Id);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  test(`storeshift run --backend docker: ${signal} while a 3-member container cluster runs leaves no container, port or temp dir`, {
    skip: docker.available ? false : `not run: ${docker.detail}`,
  }, async () => {
    const root = await mkdtemp(join(scratch, "run-docker-"));
    const run = start(
      [
        "run",
        "features/stores/containers.feature",
        "--backend",
        "docker",
        "--name",
        "3-member cluster",
        "--report-dir",
        join(root, "reports"),
      ],
      root,
    );
    let names: string[] = [];
    const deadline = Date.now() + 90_000;
    while (names.length < 3) {
      if (Date.now() > deadline) throw new Error("timed out waiting for 3 member containers");
      await sleep(200);
      names = await containersOf(run.child.pid);
    }
    await signalAndCheck(run, signal, root, [], `run --backend docker (${names.join(", ")})`);
    assert.deepEqual(await containersOf(run.child.pid), [], "no container of the run is left");
  });
}

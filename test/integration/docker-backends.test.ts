import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { after, test } from "node:test";
import { Etcd3 } from "etcd3";
import { stopAll } from "../../src/common/cleanup.js";
import { probeDocker } from "../../src/providers/containers/docker-probe.js";
import { startEtcdContainer } from "../../src/providers/containers/etcd-container.js";
import {
  OWNER_LABEL,
  removeOrphanedContainers,
  testcontainers,
} from "../../src/providers/containers/runtime.js";
import { startKindCluster } from "../../src/providers/kind/kind-cli.js";
import { probeKind } from "../../src/providers/kind/kind-usable.js";
import { listeningPorts } from "../helpers/leaks.js";

// These need a Docker engine. Where none answers they are reported as skipped with the reason,
// never as passed.
const docker = await probeDocker();
const kind = docker.available ? await probeKind() : undefined;
const noDocker = docker.available ? false : `not run: ${docker.detail}`;
const noKind = noDocker || (kind?.usable ? false : `not run: ${kind?.reason}`);

after(stopAll);

async function containerExists(id: string): Promise<boolean> {
  const { getContainerRuntimeClient } = await testcontainers();
  const client = await getContainerRuntimeClient();
  try {
    await client.container.dockerode.getContainer(id).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

test("etcd 3.6 container: serves v3 put/get on 127.0.0.1 and stop() removes the container", {
  skip: noDocker,
}, async () => {
  const etcd = await startEtcdContainer();
  const [member] = etcd.members;
  assert.ok(member);
  assert.match(etcd.endpoints[0] ?? "", /^http:\/\/127\.0\.0\.1:\d+$/);
  const client = new Etcd3({ hosts: etcd.endpoints });
  try {
    await client.put("k").value("v");
    assert.equal(await client.get("k").string(), "v");
    const status = await client.maintenance.status();
    assert.match(status.version, /^3\.6\./);
  } finally {
    client.close();
    await etcd.stop();
  }
  assert.equal(await containerExists(member.containerId), false, "the container is removed");
  assert.equal(listeningPorts().has(portOf(member.clientUrl)), false, "nothing listens on its port");
});

test("etcd 3.4 container: serves the v2 API (and v3) from Debian's etcd", { skip: noDocker }, async () => {
  const etcd = await startEtcdContainer({ line: "3.4" });
  try {
    const url = `${etcd.endpoints[0]}/v2/keys/storeshift/a`;
    const put = await fetch(url, {
      method: "PUT",
      body: "value=one",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(put.status, 201);
    const got = (await (await fetch(url)).json()) as { node: { value: string } };
    assert.equal(got.node.value, "one");
    const version = (await (await fetch(`${etcd.endpoints[0]}/version`)).json()) as { etcdserver: string };
    assert.equal(version.etcdserver, "3.4.23");
  } finally {
    await etcd.stop();
  }
});

test("3 etcd 3.6 containers: a killed member loses no acknowledged write, a paused one catches up", {
  skip: noDocker,
  timeout: 180_000,
}, async () => {
  const etcd = await startEtcdContainer({ members: 3, name: "faults" });
  const [a, b, c] = etcd.members;
  assert.ok(a && b && c);
  const client = new Etcd3({ hosts: [b.clientUrl, c.clientUrl] });
  try {
    await client.put("before").value("1");
    await a.kill();
    assert.equal(await a.state(), "exited");
    await client.put("while-killed").value("2");
    await a.start();
    await b.pause();
    assert.equal(await b.state(), "paused");
    const viaA = new Etcd3({ hosts: [a.clientUrl] });
    try {
      await viaA.put("while-paused").value("3");
      await b.unpause();
      // a linearizable read through the member that was paused: it has caught up with the cluster
      const viaB = new Etcd3({ hosts: [b.clientUrl] });
      try {
        assert.deepEqual(await viaB.getAll().prefix("").strings(), {
          before: "1",
          "while-killed": "2",
          "while-paused": "3",
        });
      } finally {
        viaB.close();
      }
      assert.equal(
        await viaA.get("while-killed").string(),
        "2",
        "the restarted member has the write it missed",
      );
    } finally {
      viaA.close();
    }
  } finally {
    client.close();
    await etcd.stop();
  }
});

function holder(members: number) {
  const script = new URL("../helpers/etcd-container-holder.ts", import.meta.url).pathname;
  const child = spawn(process.execPath, ["--import", "tsx", script, String(members)], {
    env: { ...process.env, STORESHIFT_QUIET: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const ready = new Promise<{ ids: string[]; endpoints: string[] }>((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", (l) => resolve(JSON.parse(l)));
    child.once("exit", (code) => reject(new Error(`holder exited ${code}: ${stderr}`)));
  });
  return { child, ready, exited };
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  test(`${signal} to a process with etcd containers removes every one of them`, {
    skip: noDocker,
    timeout: 120_000,
  }, async () => {
    const { child, ready, exited } = holder(3);
    const { ids, endpoints } = await ready;
    assert.equal(ids.length, 3);
    for (const id of ids) assert.equal(await containerExists(id), true);
    child.kill(signal);
    assert.equal(await exited, signal === "SIGINT" ? 130 : 143);
    for (const id of ids)
      assert.equal(await containerExists(id), false, `container ${id.slice(0, 12)} is gone`);
    const listening = listeningPorts();
    assert.deepEqual(
      endpoints.map(portOf).filter((p) => listening.has(p)),
      [],
      "no member port still listens",
    );
  });
}

test("SIGKILL: the containers of a process that is gone are removed by label on the next start", {
  skip: noDocker,
  timeout: 120_000,
}, async () => {
  const { child, ready, exited } = holder(1);
  const { ids } = await ready;
  child.kill("SIGKILL");
  await exited;
  const [id] = ids;
  assert.ok(id);
  assert.equal(await containerExists(id), true, "a killed process cannot clean up after itself");
  const { getContainerRuntimeClient } = await testcontainers();
  const client = await getContainerRuntimeClient();
  const info = await client.container.dockerode.getContainer(id).inspect();
  assert.equal(info.Config.Labels[OWNER_LABEL], String(child.pid));
  const removed = await removeOrphanedContainers();
  assert.equal(removed.length >= 1, true);
  assert.equal(await containerExists(id), false);
});

test("kind: creates a real cluster through the CLI and deletes it", {
  skip: noKind,
  timeout: 600_000,
}, async () => {
  const cluster = await startKindCluster({ name: `storeshift-test-${process.pid}` });
  try {
    const { KubeConfig, CoreV1Api } = await import("@kubernetes/client-node");
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfigPath);
    const nodes = await kc.makeApiClient(CoreV1Api).listNode();
    assert.ok(nodes.items.length >= 1);
  } finally {
    await cluster.stop();
  }
});

import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Etcd3 } from "etcd3";
import { which } from "../../src/binaries/run-tool.js";
import { stopAll } from "../../src/common/cleanup.js";
import { probeDocker } from "../../src/providers/containers/docker-probe.js";
import { startEtcdContainer } from "../../src/providers/containers/etcd-container.js";
import { startKindCluster } from "../../src/providers/kind/kind-cli.js";

// These need a Docker engine. Where none answers they are reported as skipped with the reason,
// never as passed.
const docker = await probeDocker();
const kind = await which(process.env.KIND ?? "kind");
const noDocker = docker.available ? false : `not run: ${docker.detail}`;
const noKind = noDocker || (kind ? false : "not run: no kind executable on PATH");

after(stopAll);

test("testcontainers etcd: starts, serves v3 put/get, stops", { skip: noDocker }, async () => {
  const etcd = await startEtcdContainer();
  const client = new Etcd3({ hosts: etcd.endpoints });
  try {
    await client.put("k").value("v");
    assert.equal(await client.get("k").string(), "v");
  } finally {
    client.close();
    await etcd.stop();
  }
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

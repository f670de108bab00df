import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { kubeconfigThrough, writeKubeconfigThrough } from "../../src/faults/kubeconfig.js";

function twoClusters(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name: "local", server: "https://127.0.0.1:6443", caData: "Q0E=", skipTLSVerify: false },
      { name: "other", server: "https://10.0.0.1:6443", skipTLSVerify: false },
    ],
    users: [{ name: "admin", certData: "Q0VSVA==", keyData: "S0VZ" }],
    contexts: [
      { name: "ctx-local", cluster: "local", user: "admin" },
      { name: "ctx-other", cluster: "other", user: "admin" },
    ],
    currentContext: "ctx-local",
  });
  return kc;
}

test("only the current cluster's server moves to the proxy; its CA, users and contexts stay", () => {
  const out = kubeconfigThrough(twoClusters(), { host: "127.0.0.1", port: 41234 });
  assert.equal(out.getCurrentCluster()?.server, "https://127.0.0.1:41234");
  assert.equal(out.getCurrentCluster()?.caData, "Q0E=");
  assert.equal(out.getCluster("other")?.server, "https://10.0.0.1:6443");
  assert.equal(out.currentContext, "ctx-local");
  assert.equal(out.getCurrentUser()?.keyData, "S0VZ");
  assert.deepEqual(
    out.contexts.map((c) => c.name),
    ["ctx-local", "ctx-other"],
  );
});

test("the original kubeconfig is left untouched", () => {
  const kc = twoClusters();
  kubeconfigThrough(kc, { host: "127.0.0.1", port: 1 });
  assert.equal(kc.getCurrentCluster()?.server, "https://127.0.0.1:6443");
});

test("the proxied kubeconfig is written private (0600) and loads back pointing at the proxy", async () => {
  const dir = await mkdtemp(join(tmpdir(), "storeshift-test-kubeconfig-"));
  try {
    const path = await writeKubeconfigThrough(twoClusters(), { host: "127.0.0.1", port: 5555 }, dir);
    assert.equal(path, join(dir, "kubeconfig"));
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const back = new KubeConfig();
    back.loadFromString(await readFile(path, "utf8"));
    assert.equal(back.getCurrentCluster()?.server, "https://127.0.0.1:5555");
    assert.equal(back.getCurrentUser()?.certData, "Q0VSVA==");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

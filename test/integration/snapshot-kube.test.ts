import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { Etcd3 } from "etcd3";
import { stopAll } from "../../src/common/cleanup.js";
import { makeTempDir, removeDir } from "../../src/common/temp.js";
import { waitUntil } from "../../src/common/wait.js";
import { emptyDiffConfig, resolveRules } from "../../src/diff/config.js";
import { diffSnapshots } from "../../src/diff/engine.js";
import { type StartedLocalEtcd, startLocalEtcd } from "../../src/providers/etcd/local-etcd.js";
import {
  type StartedLocalControlPlane,
  startLocalControlPlane,
} from "../../src/providers/kube/local-control-plane.js";
import { diffRunResult } from "../../src/report/from-diff.js";
import { writeReports } from "../../src/report/write.js";
import { collectRecords, loadSnapshot, saveSnapshot } from "../../src/snapshot/file.js";
import { isBase64Bytes } from "../../src/snapshot/record.js";
import { openStore } from "../../src/store-uri/store-uri.js";
import { requireBinary } from "../helpers/binaries.js";

after(stopAll);

const GROUP = "crd.projectcalico.org";

function crd(kind: string, plural: string, scope: "Cluster" | "Namespaced") {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      scope,
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          // the typed client maps field names, so the camelCase spelling is what reaches the server
          schema: { openAPIV3Schema: { type: "object", x_kubernetes_preserve_unknown_fields: true } },
        },
      ],
    },
  };
}

/** The v3 IPPool both stores hold; the Kubernetes copy keeps its v3 metadata in the annotation. */
const POOL_V3 = {
  kind: "IPPool",
  apiVersion: "projectcalico.org/v3",
  metadata: {
    name: "pool-a",
    uid: "11111111-2222-3333-4444-555555555555",
    creationTimestamp: "2026-01-01T00:00:00Z",
    labels: { team: "net" },
  },
  spec: { cidr: "10.10.0.0/16", blockSize: 26, ipipMode: "Always", natOutgoing: true },
};

describe("Calico and /registry/ snapshots on a real kube-apiserver and etcd", () => {
  let cp: StartedLocalControlPlane;
  let etcd: StartedLocalEtcd;
  let dir: string;
  let etcdHost: string;

  before(async () => {
    await requireBinary("kube-apiserver");
    await requireBinary("etcd");
    [cp, etcd] = await Promise.all([
      startLocalControlPlane({ name: "snap-kube" }),
      startLocalEtcd({ line: "current", name: "snap-calico" }),
    ]);
    dir = await makeTempDir("snapshot-kube-test");
    etcdHost = (etcd.endpoints[0] ?? "").replace("http://", "");
    const kc = cp.kubeConfig();
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    for (const body of [
      crd("IPPool", "ippools", "Cluster"),
      crd("GlobalNetworkSet", "globalnetworksets", "Cluster"),
    ]) {
      await ext.createCustomResourceDefinition({ body });
    }
    const custom = kc.makeApiClient(CustomObjectsApi);
    await waitUntil(
      "Calico CRDs served",
      async () => {
        await custom.listClusterCustomObject({ group: GROUP, version: "v1", plural: "globalnetworksets" });
        await custom.listClusterCustomObject({ group: GROUP, version: "v1", plural: "ippools" });
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const { name: _n, ...savedMeta } = POOL_V3.metadata;
    await custom.createClusterCustomObject({
      group: GROUP,
      version: "v1",
      plural: "ippools",
      body: {
        apiVersion: `${GROUP}/v1`,
        kind: "IPPool",
        metadata: {
          name: "pool-a",
          annotations: { "projectcalico.org/metadata": JSON.stringify(savedMeta) },
        },
        // blockSize differs from the etcd copy on purpose: a changed field the diff must show
        spec: { ...POOL_V3.spec, blockSize: 24 },
      },
    });
    await custom.createClusterCustomObject({
      group: GROUP,
      version: "v1",
      plural: "globalnetworksets",
      body: {
        apiVersion: `${GROUP}/v1`,
        kind: "GlobalNetworkSet",
        metadata: { name: "only-in-kube" },
        spec: { nets: ["1.2.3.4/32"] },
      },
    });
    await kc.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace: "default",
      body: { metadata: { name: "db-credentials" }, stringData: { password: "hunter2-very-secret" } },
    });
    // The same pool in a Calico etcd datastore, plus an IPAM block that Kubernetes does not have.
    const client = new Etcd3({ hosts: etcd.endpoints });
    try {
      await client
        .put("/calico/resources/v3/projectcalico.org/ippools/pool-a")
        .value(JSON.stringify(POOL_V3));
      await client
        .put("/calico/ipam/v2/assignment/ipv4/block/10.10.0.0-26")
        .value(JSON.stringify({ cidr: "10.10.0.0/26", affinity: "host:node-1", allocations: [0, null] }));
      await client.put("/calico/ipam/v2/host/node-1/ipv4/block/10.10.0.0-26").value('{"state":"confirmed"}');
      await client.put("/calico/felix/v1/ignored").value("outside resources and IPAM");
    } finally {
      client.close();
    }
  });

  after(async () => {
    await cp?.stop();
    await etcd?.stop();
    if (dir) await removeDir(dir);
  });

  it("decodes Calico resources and IPAM keys from etcd into v3 records", async () => {
    const records = await collectRecords((await openStore(`calico-etcd://${etcdHost}`)).records);
    assert.deepEqual(
      records.map((r) => [r.id, r.kind]),
      [
        ["ipam/BlockAffinity/node-1/10.10.0.0-26", "BlockAffinity"],
        ["ipam/IPAMBlock/10.10.0.0-26", "IPAMBlock"],
        ["projectcalico.org/v3/IPPool/pool-a", "IPPool"],
      ],
    );
    assert.deepEqual(records[2]?.spec, POOL_V3.spec);
  });

  it("reads Calico CRDs from Kubernetes and restores the v3 metadata from the annotation", async () => {
    const snapshot = await openStore(`calico-kube://${cp.kubeconfigPath}`);
    const records = await collectRecords(snapshot.records);
    assert.deepEqual(
      records.map((r) => r.id),
      ["projectcalico.org/v3/GlobalNetworkSet/only-in-kube", "projectcalico.org/v3/IPPool/pool-a"],
    );
    const pool = records[1] as unknown as { metadata: Record<string, unknown>; apiVersion: string };
    assert.equal(pool.apiVersion, "projectcalico.org/v3");
    assert.deepEqual(pool.metadata.labels, { team: "net" });
    assert.equal(pool.metadata.creationTimestamp, POOL_V3.metadata.creationTimestamp);
    assert.equal(pool.metadata.annotations, undefined, "the metadata annotation itself is removed");
    assert.deepEqual((records[1] as unknown as { spec: unknown }).spec, { ...POOL_V3.spec, blockSize: 24 });
  });

  it("Calico etcd vs Kubernetes: every difference class appears, each explained", async () => {
    const result = await diffSnapshots(
      await openStore(`calico-etcd://${etcdHost}`),
      await openStore(`calico-kube://${cp.kubeconfigPath}`),
      { rules: resolveRules(emptyDiffConfig()) },
    );
    const lines = result.differences.map((d) => `${d.class} ${d.id} ${d.path} ${d.rule ?? ""}`.trim());
    assert.deepEqual(lines, [
      "missing ipam/BlockAffinity/node-1/10.10.0.0-26",
      "missing ipam/IPAMBlock/10.10.0.0-26",
      "unexpected projectcalico.org/v3/GlobalNetworkSet/only-in-kube",
      "accounted projectcalico.org/v3/IPPool/pool-a metadata.resourceVersion kube-server-managed-metadata",
      "changed projectcalico.org/v3/IPPool/pool-a spec.blockSize",
    ]);
    const changed = result.differences.find((d) => d.class === "changed");
    assert.equal(changed?.expected, 26);
    assert.equal(changed?.actual, 24);
    // the report writer keeps them all, with the rule's description for the accounted one
    const run = diffRunResult(result, { runId: "calico-kube-test", startedAt: new Date(), durationMs: 5 });
    // kept for people to look at, next to the Chromium test's output (reports/ is git-ignored)
    const kept = resolve("reports/test-artifacts/calico-etcd-vs-kube");
    await writeReports(run, kept);
    const json = JSON.parse(await readFile(join(kept, "result.json"), "utf8"));
    assert.equal(json.scenarios[0].checks[0].counts.missing, 2);
    assert.ok(json.rules.some((r: { name: string }) => r.name === "kube-server-managed-metadata"));
  });

  it("/registry/ keys: JSON custom resources parsed, protobuf kept as exact base64, Secrets redacted in reports", async () => {
    const uri = `kube-registry://${cp.etcdEndpoint.replace("http://", "")}`;
    const before = join(dir, "registry-before.ndjson");
    await saveSnapshot(await openStore(uri), before);
    const records = await collectRecords((await loadSnapshot(before)).records);
    const pool = records.find((r) => r.id === "/registry/crd.projectcalico.org/ippools/pool-a");
    assert.equal(pool?.kind, "crd.projectcalico.org/ippools");
    assert.equal((pool?.object as { spec?: { blockSize: number } } | undefined)?.spec?.blockSize, 24);
    const secret = records.find((r) => r.id === "/registry/secrets/default/db-credentials");
    assert.ok(secret && isBase64Bytes(secret.value), "protobuf values are not UTF-8 and stay base64");
    assert.ok(
      Buffer.from((secret.value as { $base64: string }).$base64, "base64")
        .subarray(0, 4)
        .equals(Buffer.from("k8s\0")),
    );

    const core = cp.kubeConfig().makeApiClient(CoreV1Api);
    const current = await core.readNamespacedSecret({ name: "db-credentials", namespace: "default" });
    await core.replaceNamespacedSecret({
      name: "db-credentials",
      namespace: "default",
      body: { ...current, data: undefined, stringData: { password: "changed-secret-value" } },
    });
    const afterSnap = join(dir, "registry-after.ndjson");
    await saveSnapshot(await openStore(uri), afterSnap);
    const result = await diffSnapshots(await loadSnapshot(before), await loadSnapshot(afterSnap), {
      rules: resolveRules(emptyDiffConfig()),
    });
    const secretDiff = result.differences.find(
      (d) => d.id === "/registry/secrets/default/db-credentials" && d.class === "changed",
    );
    assert.ok(secretDiff, "the Secret change is found");
    assert.equal(secretDiff.path, "value.$base64");
    // the stored protobuf (base64) holds the password; no report may carry any of it
    const storedBefore = String(secretDiff.expected);
    const storedAfter = String(secretDiff.actual);
    const reportDir = join(dir, "registry-report");
    await writeReports(
      diffRunResult(result, { runId: "registry", startedAt: new Date(), durationMs: 1 }),
      reportDir,
    );
    for (const file of ["result.json", "junit.xml", "report.html", "summary.md"]) {
      const text = await readFile(join(reportDir, file), "utf8");
      assert.ok(!text.includes("hunter2"), `${file} must not hold the old secret`);
      assert.ok(!text.includes("changed-secret-value"), `${file} must not hold the new secret`);
      assert.ok(!text.includes(storedBefore.slice(-40)), `${file} must not hold the stored bytes`);
      assert.ok(!text.includes(storedAfter.slice(-40)), `${file} must not hold the stored bytes`);
    }
    const json = await readFile(join(reportDir, "result.json"), "utf8");
    assert.match(json, /"\*\*\* \(before\)"/);
    assert.match(json, /"\*\*\* \(after\)"/);
    assert.match(json, /db-credentials/, "the record is still named");
  });
});

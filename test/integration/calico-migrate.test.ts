import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, test } from "node:test";
import {
  exportFromEtcd,
  importToKube,
  lockEtcd,
  prepareKubeTarget,
  readCalicoFromEtcd,
  readCalicoFromKube,
  rollback,
  unlockKube,
  withEtcd,
  withKube,
} from "../../src/calico/api.js";
import type { CalicoEtcd } from "../../src/calico/etcd/store.js";
import { type CalicoFixture, loadFixture, seedCalicoEtcd } from "../../src/calico/fixture.js";
import { EXPORTED_KINDS } from "../../src/calico/kinds.js";
import { loadCrdManifests } from "../../src/calico/kube/crds.js";
import { affinityName, cidrToName } from "../../src/calico/kube/encoding.js";
import { stopAll } from "../../src/common/cleanup.js";
import { type StartedLocalEtcd, startLocalEtcd } from "../../src/providers/etcd/local-etcd.js";
import {
  type StartedLocalControlPlane,
  startLocalControlPlane,
} from "../../src/providers/kube/local-control-plane.js";
import { requireBinary } from "../helpers/binaries.js";
import { realCalicoCrds } from "../helpers/calico-crds.js";
import { cli, FIXTURE, resetKube } from "./calico-helpers.js";

let cp: StartedLocalControlPlane;
let etcd: StartedLocalEtcd;
let fixture: CalicoFixture;
let workDir: string;

before(async () => {
  await requireBinary("etcd");
  await requireBinary("kube-apiserver");
  cp = await startLocalControlPlane({ name: "calico-migrate" });
  fixture = await loadFixture(FIXTURE);
  workDir = await mkdtemp(join(tmpdir(), "storeshift-calico-"));
});
after(async () => {
  await etcd?.stop();
  await cp?.stop();
  await stopAll();
  await rm(workDir, { recursive: true, force: true });
});
beforeEach(async () => {
  await etcd?.stop();
  etcd = await startLocalEtcd({ line: "current", name: "calico-src" });
  await resetKube(cp.kubeConfig());
});

async function seedAndExport(): Promise<string> {
  await seedCalicoEtcd(etcd.endpoints, fixture);
  await lockEtcd(etcd.endpoints);
  return (await exportFromEtcd(etcd.endpoints)).text;
}

function specOf(kube: { raw: Map<string, { spec?: unknown }> }, id: string): unknown {
  const cr = kube.raw.get(id);
  assert.ok(cr, `${id} is in Kubernetes`);
  return cr.spec;
}

/** etcd node name → Kubernetes name, from the fixture's k8s orchRefs (last one wins). */
function nodeMap(): Record<string, string> {
  const map: Record<string, string> = {};
  for (const r of fixture.resources.filter((r) => r.kind === "Node")) {
    for (const ref of (r.spec?.orchRefs ?? []) as { orchestrator: string; nodeName: string }[])
      if (ref.orchestrator === "k8s") map[r.metadata.name] = ref.nodeName;
  }
  return map;
}

test("forward migration of the fixture: every object lands in Kubernetes with the expected content", async () => {
  const text = await seedAndExport();
  await prepareKubeTarget(cp.kubeConfig(), fixture);
  const result = await importToKube(cp.kubeConfig(), text);
  await unlockKube(cp.kubeConfig());
  assert.deepEqual(result.nodesSkipped, []);
  assert.deepEqual(result.warnings, []);

  const kube = await readCalicoFromKube(cp.kubeConfig());
  const renames = nodeMap();
  const crdKinds = new Set(EXPORTED_KINDS.filter((k) => k.kind !== "Node").map((k) => k.kind));
  let checked = 0;
  for (const src of fixture.resources) {
    if (!crdKinds.has(src.kind) || src.metadata.name.startsWith("knp.default.")) continue;
    let name = src.metadata.name;
    if ((src.kind === "FelixConfiguration" || src.kind === "BGPConfiguration") && name.startsWith("node.")) {
      const k8s = renames[name.slice(5)];
      if (k8s) name = `node.${k8s}`;
    }
    const ns = src.metadata.namespace ? `${src.metadata.namespace}/` : "";
    const cr = kube.raw.get(`${src.kind}/${ns}${name}`);
    assert.ok(cr, `${src.kind} ${ns}${name} is in Kubernetes`);
    const decoded = kube.resources.find(
      (r) =>
        r.kind === src.kind && r.metadata.name === name && r.metadata.namespace === src.metadata.namespace,
    );
    if (src.kind !== "FelixConfiguration") assert.deepEqual(cr.spec, src.spec, `${src.kind} ${name} spec`);
    assert.deepEqual(decoded?.metadata.labels, src.metadata.labels, `${src.kind} ${name} labels`);
    assert.deepEqual(
      decoded?.metadata.annotations,
      src.metadata.annotations,
      `${src.kind} ${name} annotations`,
    );
    checked++;
  }
  assert.equal(checked, 30);
  // v1-era iptables actions are title-cased on the way
  const felix = specOf(kube, "FelixConfiguration/default") as Record<string, string>;
  assert.equal(felix.defaultEndpointToHostAction, "Drop");
  assert.equal(felix.iptablesFilterAllowAction, "Accept");
  assert.equal(felix.iptablesMangleAllowAction, "Return");
  assert.equal(
    (specOf(kube, "FelixConfiguration/node.node2") as Record<string, string>).defaultEndpointToHostAction,
    "Accept",
  );
  // only Calico-owned labels stay on the CR; the rest lives in the metadata annotation
  assert.deepEqual(kube.raw.get("IPPool/default-ipv4-ippool")?.metadata.labels, {
    "projectcalico.org/owned": "true",
  });

  // never exported: mirrors of Kubernetes policies, workload endpoints, profiles, node status
  const names = [...kube.raw.keys()];
  assert.ok(!names.some((n) => n.includes("knp.default.")));
  assert.ok(!names.some((n) => /^(WorkloadEndpoint|Profile|CalicoNodeStatus)\//.test(n)));

  // Calico Nodes became annotations on the core/v1 Nodes
  assert.equal(kube.nodes.node1?.["projectcalico.org/IPv4Address"], "10.0.0.11/24");
  assert.equal(kube.nodes.node1?.["projectcalico.org/ASNumber"], "64512");
  assert.equal(kube.nodes.node1?.["projectcalico.org/labels"], '{"rack":"r1"}');
  assert.equal(
    kube.nodes.node2?.["projectcalico.org/IPv6VXLANTunnelAddr"],
    "fd5f:abcd:64:4f2c:ec1b:27b9:1989:77c1",
  );
  assert.equal(
    kube.nodes.node2?.["projectcalico.org/WireguardPublicKey"],
    "jlkVyQYooZYzI2wFfNhSZez5eWh44yfq1wKVjLvSXgY=",
  );
  assert.equal(kube.nodes.node4?.["projectcalico.org/IPv4Address"], "10.0.0.14/24");

  // IPAM: upstream names, renamed hosts, handles lower-cased (handleID keeps its case)
  const ipamNames = names.filter((n) => /^(IPAMBlock|BlockAffinity|IPAMHandle|IPAMConfig)\//.test(n)).sort();
  assert.deepEqual(ipamNames, [
    `BlockAffinity/${affinityName("kubevirt-vm-1", "10.65.81.0/26")}`,
    "BlockAffinity/node1-10-65-79-0-26",
    "BlockAffinity/node2-fd5f-abcd-64-4f2c-ec1b-27b9-1989-77c0-122",
    "BlockAffinity/node4-10-65-80-0-26",
    "IPAMBlock/10-65-79-0-26",
    "IPAMBlock/10-65-80-0-26",
    "IPAMBlock/10-65-81-0-26",
    `IPAMBlock/${cidrToName("fd5f:abcd:64:4f2c:ec1b:27b9:1989:77c0/122")}`,
    "IPAMConfig/default",
    "IPAMHandle/ipip-tunnel-addr-node1",
    "IPAMHandle/k8s-pod-network.0a1b2c3d4e5f",
    "IPAMHandle/k8s-pod-network.vm1",
    "IPAMHandle/reserved-by-test",
    "IPAMHandle/vxlan-tunnel-addr-node4",
    "IPAMHandle/vxlan-v6-tunnel-addr-node2",
  ]);
  const block = specOf(kube, "IPAMBlock/10-65-79-0-26") as Record<string, unknown>;
  assert.equal(block.affinity, "host:node1");
  assert.deepEqual((block.allocations as unknown[]).slice(0, 4), [0, 1, 2, null]);
  assert.equal((block.unallocated as unknown[]).length, 61);
  assert.deepEqual(block.attributes, [
    { handle_id: "ipip-tunnel-addr-node1", secondary: { node: "node1", type: "ipipTunnelAddress" } },
    {
      handle_id: "k8s-pod-network.0a1b2c3d4e5f",
      secondary: {
        namespace: "prod",
        node: "node1",
        pod: "web-0",
        timestamp: "2026-01-15 10:00:00 +0000 UTC",
      },
    },
    {
      handle_id: "reserved-by-test",
      secondary: { note: "reserved by fixture" },
      alternateOwnerAttrs: { namespace: "prod", node: "node1", pod: "old-0" },
    },
  ]);
  assert.equal(
    (specOf(kube, "IPAMBlock/10-65-81-0-26") as { affinity: string }).affinity,
    "virtual:kubevirt-vm-1",
  );
  assert.deepEqual(kube.raw.get("BlockAffinity/node1-10-65-79-0-26")?.spec, {
    state: "confirmed",
    node: "node1",
    type: "host",
    cidr: "10.65.79.0/26",
    deleted: "false",
  });
  assert.equal(
    (specOf(kube, "IPAMHandle/k8s-pod-network.vm1") as { handleID: string }).handleID,
    "k8s-pod-network.VM1",
  );
  assert.deepEqual(kube.raw.get("IPAMConfig/default")?.spec, {
    strictAffinity: false,
    autoAllocateBlocks: true,
  });

  // ClusterInformation: only GUID and version copied; unlocked at the end
  const info = specOf(kube, "ClusterInformation/default") as Record<string, unknown>;
  assert.equal(info.clusterGUID, fixture.clusterInformation?.clusterGUID);
  assert.equal(info.calicoVersion, "v3.32.1");
  assert.equal(info.clusterType, "kdd");
  assert.equal(info.datastoreReady, true);
});

test("export is refused while etcd is unlocked, with calicoctl's message; the CLI exits 1", async () => {
  await seedCalicoEtcd(etcd.endpoints, fixture);
  await assert.rejects(
    exportFromEtcd(etcd.endpoints),
    /datastore is not locked\. Run the `calicoctl datastore migrate lock` command/,
  );
  const res = await cli(["export"], { DATASTORE_TYPE: "etcdv3", ETCD_ENDPOINTS: etcd.endpoints.join(",") });
  assert.equal(res.code, 1);
  assert.equal(res.stdout, "");
  assert.match(res.stderr, /^storeshift: export: datastore is not locked\./);
  assert.equal(res.stderr.trim().split("\n").length, 1);
  // a ClusterInformation without the flag counts as not locked (upstream dereferences nil and panics)
  await withEtcd(etcd.endpoints, async (e: CalicoEtcd) => {
    const info = await e.getResource("ClusterInformation", "default");
    assert.ok(info);
    const { datastoreReady: _ready, ...spec } = info.spec ?? {};
    assert.ok(await e.updateResource({ ...info, spec }));
  });
  await assert.rejects(exportFromEtcd(etcd.endpoints), /datastore is not locked/);
});

test("import refuses a non-empty target, naming the first Calico object it found", async () => {
  const text = await seedAndExport();
  await prepareKubeTarget(cp.kubeConfig(), fixture);
  await importToKube(cp.kubeConfig(), text);
  await assert.rejects(
    importToKube(cp.kubeConfig(), text),
    /datastore already has Calico resources: found existing Calico IPPool resource default-ipv4-ippool\. Clear out/,
  );
});

test("import refuses a target where only a StagedNetworkPolicy outside default exists (upstream does not look there)", async () => {
  const text = await seedAndExport();
  await prepareKubeTarget(cp.kubeConfig(), fixture);
  await withKube(cp.kubeConfig(), async (kube) => {
    const { generatedCrds } = await import("../../src/calico/kube/crds.js");
    await kube.installCrds(generatedCrds());
    await kube.create({
      apiVersion: "crd.projectcalico.org/v1",
      kind: "StagedNetworkPolicy",
      metadata: { name: "left-over", namespace: "prod" },
      spec: { selector: "all()" },
    });
  });
  await assert.rejects(
    importToKube(cp.kubeConfig(), text),
    /found existing Calico StagedNetworkPolicy resource prod\/left-over/,
  );
});

test("import into the wrong datastore type is refused before the file is read; bad files are one-line exit-2 errors", async () => {
  const wrong = await cli(["import", "-f", "/nonexistent/file"], { DATASTORE_TYPE: "etcdv3" });
  assert.equal(wrong.code, 1);
  assert.match(
    wrong.stderr,
    /^storeshift: import: invalid datastore type: etcdv3 to import to for datastore migration\. Datastore type must be kubernetes\n$/,
  );

  const broken = join(workDir, "broken.txt");
  await writeFile(broken, "apiVersion: projectcalico.org/v3\nkind: IPPoolList\nitems: []\n---\n===\n{}\n");
  const res = await cli(["import", "-f", broken], {
    DATASTORE_TYPE: "kubernetes",
    KUBECONFIG: cp.kubeconfigPath,
  });
  assert.equal(res.code, 2);
  assert.match(res.stderr, /imported file: .*broken\.txt is improperly formatted \(2 sections/);
  // nothing was written: the file is parsed before the first request
  assert.deepEqual(await withKube(cp.kubeConfig(), (k) => k.calicoCrdNames()), []);
});

test("a Calico Node whose Kubernetes Node is missing gives upstream's warning and is skipped; the rest imports", async () => {
  const text = await seedAndExport();
  await prepareKubeTarget(cp.kubeConfig(), { ...fixture, kubernetesNodes: ["node1", "node4"] });
  const result = await importToKube(cp.kubeConfig(), text);
  assert.deepEqual(result.nodesSkipped, ["node2"]);
  assert.ok(
    result.warnings.includes(
      "[WARNING] Attempted to import node node2 which references a nonexistent Kubernetes node. Skipping that node.",
    ),
  );
  const kube = await readCalicoFromKube(cp.kubeConfig());
  assert.ok(kube.raw.has("IPPool/default-ipv4-ippool"));
  assert.equal(kube.nodes.node1?.["projectcalico.org/IPv4Address"], "10.0.0.11/24");
});

test("rollback: Kubernetes locked and emptied of Calico, etcd exactly as before the migration, Node leftovers reported then removed", async () => {
  await seedCalicoEtcd(etcd.endpoints, fixture);
  const before = await withEtcd(etcd.endpoints, (e: CalicoEtcd) => e.rawSnapshot());
  await lockEtcd(etcd.endpoints);
  const text = (await exportFromEtcd(etcd.endpoints)).text;
  await prepareKubeTarget(cp.kubeConfig(), fixture);
  await importToKube(cp.kubeConfig(), text);

  const result = await rollback(cp.kubeConfig(), etcd.endpoints);
  assert.equal(result.crdsDeleted.length, 22);
  assert.deepEqual(await withKube(cp.kubeConfig(), (k) => k.calicoCrdNames()), []);
  const afterRollback = await withEtcd(etcd.endpoints, (e: CalicoEtcd) => e.rawSnapshot());
  assert.deepEqual(afterRollback, before, "etcd holds the same keys and bytes as before lock");
  assert.equal(
    (await readCalicoFromEtcd(etcd.endpoints)).resources.find((r) => r.kind === "ClusterInformation")?.spec
      ?.datastoreReady,
    true,
  );

  assert.deepEqual(result.leftovers.map((l) => l.node).sort(), ["node1", "node2", "node4"]);
  assert.equal(
    result.leftovers.find((l) => l.node === "node1")?.annotations["projectcalico.org/IPv4Address"],
    "10.0.0.11/24",
  );
  const res = await cli(["rollback", "--remove-node-annotations"], {
    KUBECONFIG: cp.kubeconfigPath,
    ETCD_ENDPOINTS: etcd.endpoints.join(","),
  });
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /Removed from Node node1: .*projectcalico\.org\/IPv4Address/);
  const nodes = (await readCalicoFromKube(cp.kubeConfig())).nodes;
  for (const n of ["node1", "node2", "node4"])
    assert.ok(!Object.keys(nodes[n] ?? {}).some((k) => k.startsWith("projectcalico.org/")), `${n} is clean`);
});

const realCrds = realCalicoCrds();

test("import validates against Calico's real CRDs (STORESHIFT_CALICO_CRDS) instead of the generated ones", {
  skip: realCrds.skip,
}, async () => {
  const crds = await loadCrdManifests(realCrds.dir);
  assert.equal(crds.length, 22);
  const text = await seedAndExport();
  await prepareKubeTarget(cp.kubeConfig(), fixture);
  const result = await importToKube(cp.kubeConfig(), text, { crds });
  assert.equal(result.ipamCreated, 15);
  const kube = await readCalicoFromKube(cp.kubeConfig());
  assert.equal((specOf(kube, "IPPool/default-ipv4-ippool") as { cidr: string }).cidr, "10.65.0.0/16");
  assert.ok(kube.raw.has("StagedNetworkPolicy/prod/staged-prod"));
  // the real schema is in force: an object it rejects is refused by the API server
  await assert.rejects(
    withKube(cp.kubeConfig(), (k) =>
      k.create({
        apiVersion: "crd.projectcalico.org/v1",
        kind: "IPPool",
        metadata: { name: "bad" },
        spec: { cidr: 42 },
      }),
    ),
    /HTTP 422/,
  );
});

test("the CLI drives the whole forward migration with calicoctl's environment conventions", async () => {
  const etcdEnv = { DATASTORE_TYPE: "etcdv3", ETCD_ENDPOINTS: etcd.endpoints.join(",") };
  const kubeEnv = { DATASTORE_TYPE: "kubernetes", KUBECONFIG: cp.kubeconfigPath };
  await seedCalicoEtcd(etcd.endpoints, fixture);
  assert.equal((await cli(["lock"], etcdEnv)).stdout, "Datastore locked.\n");
  const file = join(workDir, "etcd-data");
  const exported = await cli(["export", "-o", file], etcdEnv);
  assert.equal(exported.code, 0, exported.stderr);
  assert.equal(exported.stdout, "");
  const text = await readFile(file, "utf8");
  assert.equal(text.split("\n").filter((l) => l === "===").length, 2);
  await prepareKubeTarget(cp.kubeConfig(), fixture);
  const imported = await cli(["import", "-f", "-"], kubeEnv, text);
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(
    imported.stdout,
    /Successfully applied 33 resource\(s\)\nImporting IPAM resources\nSuccessfully applied 15 IPAM resource\(s\)/,
  );
  assert.equal((await cli(["unlock"], kubeEnv)).stdout, "Datastore unlocked.\n");
  const info = (await readCalicoFromKube(cp.kubeConfig())).raw.get("ClusterInformation/default")?.spec as {
    datastoreReady: boolean;
  };
  assert.equal(info.datastoreReady, true);
});

test("the calico-etcd-to-kube mapping predicts the migrated Kubernetes snapshot: no unaccounted difference, and a lost object shows", async () => {
  const { diffSnapshots } = await import("../../src/diff/engine.js");
  const { getMapping } = await import("../../src/mappings/index.js");
  const { readCalicoEtcdSnapshot } = await import("../../src/snapshot/calico-etcd.js");
  const { readCalicoKubeSnapshot } = await import("../../src/calico/kube-snapshot.js");
  const text = await seedAndExport();
  await prepareKubeTarget(cp.kubeConfig(), fixture);
  await importToKube(cp.kubeConfig(), text);
  await unlockKube(cp.kubeConfig());
  const diff = () =>
    diffSnapshots(
      readCalicoEtcdSnapshot({ endpoints: etcd.endpoints }),
      readCalicoKubeSnapshot({ kubeConfig: cp.kubeConfig() }),
      { mapping: getMapping("calico-etcd-to-kube") },
    );
  const clean = await diff();
  const unaccounted = clean.differences.filter((d) => d.class !== "accounted");
  assert.deepEqual(unaccounted, []);
  assert.ok(clean.counts.identical >= 45, `identical ${clean.counts.identical}`);
  assert.ok(clean.differences.some((d) => d.rule === "calico/knp-mirror"));

  await withKube(cp.kubeConfig(), (k) =>
    k.rest.expect("DELETE", k.objectPath("NetworkSet", "office", "prod")),
  );
  const lost = await diff();
  assert.deepEqual(
    lost.differences.filter((d) => d.class === "missing").map((d) => d.id),
    ["projectcalico.org/v3/NetworkSet/prod/office"],
  );
});

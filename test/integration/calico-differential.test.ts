import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { exportFromEtcd, importToKube, prepareKubeTarget, readCalicoFromKube } from "../../src/calico/api.js";
import { Calicoctl, type CalicoDatastore } from "../../src/calico/calicoctl/adapter.js";
import { locateCalicoctl } from "../../src/calico/calicoctl/install.js";
import { parseExport } from "../../src/calico/export/format.js";
import { type CalicoFixture, loadFixture, parseFixture, seedCalicoEtcd } from "../../src/calico/fixture.js";
import { METADATA_ANNOTATION } from "../../src/calico/kinds.js";
import type { V3Object } from "../../src/calico/model.js";
import { stopAll } from "../../src/common/cleanup.js";
import { startLocalEtcd } from "../../src/providers/etcd/local-etcd.js";
import {
  type StartedLocalControlPlane,
  startLocalControlPlane,
} from "../../src/providers/kube/local-control-plane.js";
import { FIXTURE, resetKube, withoutZeroValues } from "./calico-helpers.js";

/**
 * storeshift's core against a real calicoctl on the same stores. Runs only where calicoctl is built
 * (`storeshift calico install-calicoctl`); elsewhere every test is reported as skipped with the reason.
 */
const located = await locateCalicoctl();
const skip = "missing" in located ? `not run: needs a real calicoctl: ${located.reason}` : false;
const calicoctl = "missing" in located ? undefined : new Calicoctl(located.path);

let cpOurs: StartedLocalControlPlane;
let cpTheirs: StartedLocalControlPlane;
let fixture: CalicoFixture;

before(async () => {
  if (skip) return;
  fixture = await loadFixture(FIXTURE);
  [cpOurs, cpTheirs] = await Promise.all([
    startLocalControlPlane({ name: "calico-diff-ours" }),
    startLocalControlPlane({ name: "calico-diff-theirs" }),
  ]);
});
after(async () => {
  await cpOurs?.stop();
  await cpTheirs?.stop();
  await stopAll();
});

function kubeStore(cp: StartedLocalControlPlane): CalicoDatastore {
  return { type: "kubernetes", kubeconfigPath: cp.kubeconfigPath };
}

function key(o: V3Object): string {
  return `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;
}

function byKey(objects: V3Object[]): Map<string, unknown> {
  return new Map(objects.map((o) => [key(o), withoutZeroValues(o)]));
}

/** Seeds a fresh etcd, locks it with calicoctl, and returns both exports of the same revision. */
async function bothExports(data: CalicoFixture) {
  const etcd = await startLocalEtcd({ line: "current", name: "calico-diff" });
  try {
    await seedCalicoEtcd(etcd.endpoints, data);
    const store: CalicoDatastore = { type: "etcdv3", endpoints: etcd.endpoints };
    const locked = await calicoctl?.lock(store);
    assert.equal(locked?.stdout, "Datastore locked.\n");
    const theirs = (await calicoctl?.export(store)) ?? "";
    const ours = (await exportFromEtcd(etcd.endpoints)).text;
    const oursUpstream = (await exportFromEtcd(etcd.endpoints, { mode: "upstream" })).text;
    return { theirs, ours, oursUpstream };
  } finally {
    await etcd.stop();
  }
}

test("export: ours equals calicoctl's on the same etcd except where calicoctl loses data; upstream mode equals it fully", {
  skip,
}, async () => {
  const { theirs, ours, oursUpstream } = await bothExports(fixture);
  const t = parseExport(theirs, "calicoctl-export");
  const o = parseExport(ours, "storeshift-export");
  const u = parseExport(oursUpstream, "storeshift-upstream-export");

  // faithful mode: identical content, list by list
  assert.deepEqual(byKey(u.resources), byKey(t.resources));
  assert.deepEqual(u.clusterInformation, t.clusterInformation);
  assert.deepEqual(u.ipam, t.ipam);

  // storeshift mode: a superset — exactly the objects calicoctl drops, and the v6 tunnel handle renamed
  const theirKeys = byKey(t.resources);
  const ourKeys = byKey(o.resources);
  assert.deepEqual([...ourKeys.keys()].filter((k) => !theirKeys.has(k)).sort(), [
    "StagedKubernetesNetworkPolicy/dev/staged-knp-dev",
    "StagedNetworkPolicy/prod/staged-prod",
  ]);
  assert.deepEqual(
    [...theirKeys.keys()].filter((k) => !ourKeys.has(k)),
    [],
  );
  for (const [k, v] of theirKeys) assert.deepEqual(ourKeys.get(k), v, k);
  assert.deepEqual(
    (o.ipam.block_affinities ?? [])
      .map((a) => a.Key)
      .filter((k) => !(t.ipam.block_affinities ?? []).some((x) => x.Key === k)),
    ["/calico/ipam/v2/virtual/kubevirt-vm-1/ipv4/block/10.65.81.0-26"],
  );
  const handles = (x: typeof o) => (x.ipam.handles ?? []).map((h) => h.Key).sort();
  assert.ok(
    handles(t).includes("/calico/ipam/v2/handle/vxlan-v6-tunnel-addr-etcd-node2"),
    "calicoctl keeps the etcd name",
  );
  assert.ok(
    handles(o).includes("/calico/ipam/v2/handle/vxlan-v6-tunnel-addr-node2"),
    "storeshift renames it",
  );
});

/** A CR as compared across the two imports: no server-assigned metadata, no creation times, no zero values. */
function comparable(cr: { metadata: Record<string, unknown> } & Record<string, unknown>): unknown {
  const metadata = { ...cr.metadata };
  for (const f of ["uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"])
    delete metadata[f];
  const annotations = { ...((metadata.annotations ?? {}) as Record<string, string>) };
  if (annotations[METADATA_ANNOTATION]) {
    const saved = JSON.parse(annotations[METADATA_ANNOTATION]) as Record<string, unknown>;
    delete saved.creationTimestamp;
    annotations[METADATA_ANNOTATION] = JSON.stringify(withoutZeroValues(saved));
  }
  metadata.annotations = annotations;
  return withoutZeroValues({ ...cr, metadata });
}

/** Fields calicoctl's client defaults on create (clientv3), which storeshift leaves to calico-node. */
const CLIENT_DEFAULTS = new Set([
  "BGPConfiguration.spec.serviceLoadBalancerAggregation",
  "FelixConfiguration.spec.bpfConnectTimeLoadBalancing",
  "FelixConfiguration.spec.bpfHostNetworkedNATWithoutCTLB",
  "FelixConfiguration.spec.floatingIPs",
  "FelixConfiguration.spec.nftablesMode",
  "KubeControllersConfiguration.spec.controllers.node.leakGracePeriod",
  "KubeControllersConfiguration.spec.controllers.loadBalancer",
  "KubeControllersConfiguration.spec.prometheusMetricsPort",
]);

function differences(kind: string, ours: unknown, theirs: unknown, path: string, out: string[]): void {
  if (JSON.stringify(ours) === JSON.stringify(theirs)) return;
  const isObj = (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObj(ours) && isObj(theirs)) {
    const a = ours as Record<string, unknown>;
    const b = theirs as Record<string, unknown>;
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const p = path ? `${path}.${k}` : k;
      if (!(k in a) && CLIENT_DEFAULTS.has(`${kind}.${p}`)) continue;
      differences(kind, a[k], b[k], p, out);
    }
    return;
  }
  out.push(`${kind} ${path}: ours=${JSON.stringify(ours)} theirs=${JSON.stringify(theirs)}`);
}

test("import: the same export file gives the same Kubernetes objects through storeshift and through calicoctl", {
  skip,
}, async () => {
  const { ours } = await bothExports(fixture);
  await Promise.all([resetKube(cpOurs.kubeConfig()), resetKube(cpTheirs.kubeConfig())]);
  await Promise.all([
    prepareKubeTarget(cpOurs.kubeConfig(), fixture),
    prepareKubeTarget(cpTheirs.kubeConfig(), fixture),
  ]);
  const mine = await importToKube(cpOurs.kubeConfig(), ours);
  const real = await calicoctl?.import(kubeStore(cpTheirs), ours);
  assert.equal(real?.exitCode, 0, real?.stderr);
  assert.match(real?.stdout ?? "", new RegExp(`Successfully applied ${mine.applied} resource\\(s\\)`));
  assert.match(
    real?.stdout ?? "",
    new RegExp(`Successfully applied ${mine.ipamCreated} IPAM resource\\(s\\)`),
  );

  const [a, b] = await Promise.all([
    readCalicoFromKube(cpOurs.kubeConfig()),
    readCalicoFromKube(cpTheirs.kubeConfig()),
  ]);
  assert.deepEqual([...a.raw.keys()].sort(), [...b.raw.keys()].sort());
  const diffs: string[] = [];
  for (const [id, cr] of a.raw) {
    const kind = id.split("/")[0] ?? "";
    const theirs = b.raw.get(id);
    differences(kind, comparable(cr as never), comparable(theirs as never), "", diffs);
  }
  assert.deepEqual(diffs, []);
  assert.deepEqual(a.nodes, b.nodes);
});

test("interop: storeshift imports a file written by calicoctl", { skip }, async () => {
  const { theirs } = await bothExports(fixture);
  await resetKube(cpOurs.kubeConfig());
  await prepareKubeTarget(cpOurs.kubeConfig(), fixture);
  const result = await importToKube(cpOurs.kubeConfig(), theirs);
  // dataset.yaml: 31 resources (node5 moved to node-collision.yaml), 14 IPAM objects
  assert.equal(result.applied, 31);
  assert.equal(result.ipamCreated, 14);
});

const SMALL: CalicoFixture = parseFixture(
  `format: storeshift/calico-fixture/v1
clusterInformation: {clusterGUID: 0123456789abcdef0123456789abcdef, calicoVersion: v3.32.1, datastoreReady: true}
resources:
  - kind: GlobalNetworkSet
    metadata: {name: tricky, annotations: {note: "ends with==="}}
    spec: {nets: [192.0.2.0/24]}
`,
  "inline",
);

test('quirk "===": a value ending in === breaks calicoctl\'s own export/import round trip; storeshift reads it and writes files calicoctl can read', {
  skip,
}, async () => {
  // an IPAM config keeps calicoctl's "no IPAM" quirk out of this scenario
  const { theirs, ours } = await bothExports({
    ...SMALL,
    ipam: { ...SMALL.ipam, config: { auto_allocate_blocks: true } },
  });
  assert.match(theirs, /note: ends with===\n/);
  await Promise.all([resetKube(cpOurs.kubeConfig()), resetKube(cpTheirs.kubeConfig())]);
  const broken = await calicoctl?.import(kubeStore(cpTheirs), theirs);
  assert.notEqual(broken?.exitCode, 0);
  assert.match(broken?.stderr ?? "", /is improperly formatted/);
  // storeshift splits on whole "===" lines, so calicoctl's file imports
  const mine = await importToKube(cpOurs.kubeConfig(), theirs);
  assert.equal(mine.applied, 4, "the set and the three tiers lock created");
  // and storeshift's own file quotes the value, so calicoctl can import it
  await resetKube(cpTheirs.kubeConfig());
  const fixed = await calicoctl?.import(kubeStore(cpTheirs), ours);
  assert.equal(fixed?.exitCode, 0, fixed?.stderr);
  const gns = (await readCalicoFromKube(cpTheirs.kubeConfig())).resources.find(
    (r) => r.metadata.name === "tricky",
  );
  assert.equal(gns?.metadata.annotations?.note, "ends with===");
});

test('quirk "no IPAM": calicoctl fails after applying everything else; storeshift succeeds with a warning', {
  skip,
}, async () => {
  const { ours } = await bothExports(SMALL);
  await Promise.all([resetKube(cpOurs.kubeConfig()), resetKube(cpTheirs.kubeConfig())]);
  const real = await calicoctl?.import(kubeStore(cpTheirs), ours);
  assert.equal(real?.exitCode, 1);
  assert.match(real?.stderr ?? "", /no IPAM resources specified in file/);
  const left = await readCalicoFromKube(cpTheirs.kubeConfig());
  assert.ok(left.raw.has("GlobalNetworkSet/tricky"), "calicoctl had already applied the resources");
  const mine = await importToKube(cpOurs.kubeConfig(), ours);
  assert.match(mine.warnings.join("\n"), /no IPAM resources/);
  await assert.rejects(
    importToKube(cpOurs.kubeConfig(), ours, { mode: "upstream" }),
    /datastore already has Calico resources/,
  );
});

test('quirk "IPAM errors counted as handled": calicoctl reports failed creates as applied; storeshift counts only successes', {
  skip,
}, async () => {
  const { ours } = await bothExports(fixture);
  // a duplicated handle entry: the second create fails with AlreadyExists
  const [head, info, ipamText] = ours.split("\n===\n");
  const ipam = JSON.parse(ipamText ?? "{}") as { handles: unknown[] };
  ipam.handles.push(ipam.handles[0]);
  const file = `${head}\n===\n${info}\n===\n${JSON.stringify(ipam, null, 2)}\n`;
  const total = 16;
  await Promise.all([resetKube(cpOurs.kubeConfig()), resetKube(cpTheirs.kubeConfig())]);
  await Promise.all([
    prepareKubeTarget(cpOurs.kubeConfig(), fixture),
    prepareKubeTarget(cpTheirs.kubeConfig(), fixture),
  ]);
  const real = await calicoctl?.import(kubeStore(cpTheirs), file);
  assert.notEqual(real?.exitCode, 0);
  assert.match(
    `${real?.stdout}${real?.stderr}`,
    new RegExp(`applied the first ${total} out of ${total} resources`),
  );
  // by default storeshift refuses the duplicate before writing anything
  await assert.rejects(
    importToKube(cpOurs.kubeConfig(), file),
    /collision in export: more than one entry for IPAM key \/calico\/ipam\/v2\/handle\/.*nothing was written/,
  );
  // with calicoctl's quirks it tries every create, as calicoctl does, but counts only what succeeded
  await assert.rejects(
    importToKube(cpOurs.kubeConfig(), file, { mode: "upstream" }),
    new RegExp(`created ${total - 1} of ${total} IPAM resources; 1 failed`),
  );
});

test("the seeder writes the bytes libcalico-go writes: objects created by calicoctl re-encode identically", {
  skip,
}, async () => {
  const { CalicoEtcd } = await import("../../src/calico/etcd/store.js");
  const { decodeResourceValue, encodeResourceValue } = await import("../../src/calico/etcd/codec.js");
  const etcd = await startLocalEtcd({ line: "current", name: "calico-bytes" });
  try {
    const store: CalicoDatastore = { type: "etcdv3", endpoints: etcd.endpoints };
    const manifest = `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: deny-all, labels: {team: a}, annotations: {note: x}}
spec: {selector: all(), order: 10, types: [Ingress], ingress: [{action: Deny}]}
---
apiVersion: projectcalico.org/v3
kind: NetworkSet
metadata: {name: office, namespace: prod, labels: {kind: office}}
spec: {nets: [203.0.113.0/24]}
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: pool}
spec: {cidr: 10.65.0.0/16, ipipMode: Always, natOutgoing: true}
`;
    const created = await calicoctl?.run(store, ["create", "-f", "-"], manifest);
    assert.equal(created?.exitCode, 0, created?.stderr);
    const raw = await (async () => {
      const e = new CalicoEtcd(etcd.endpoints);
      try {
        return await e.rawSnapshot("/calico/resources/");
      } finally {
        e.close();
      }
    })();
    let compared = 0;
    for (const [key, value] of raw) {
      if (key.includes("/clusterinformations/") || key.includes("/tiers/")) continue;
      // decode as the v3 client reads it, re-encode as the seeder writes it: same bytes
      const decoded = decodeResourceValue(key, value, "1");
      assert.equal(encodeResourceValue(decoded), value, key);
      compared++;
    }
    assert.equal(compared, 3);
  } finally {
    await etcd.stop();
  }
});

test("both Migrators (builtin and calicoctl) drive lock, export, import, unlock through one interface", {
  skip,
}, async () => {
  const { BuiltinMigrator, CalicoctlMigrator } = await import("../../src/calico/migrator.js");
  // no "===" in the data here: that quirk has its own test
  const data: CalicoFixture = {
    ...SMALL,
    resources: SMALL.resources.map((r) => ({
      ...r,
      metadata: { ...r.metadata, annotations: { note: "plain" } },
    })),
    ipam: { ...SMALL.ipam, config: { auto_allocate_blocks: true } },
  };
  for (const [cp, make] of [
    [cpOurs, (s: { etcdEndpoints: string[]; kubeconfigPath: string }) => new BuiltinMigrator(s)],
    [
      cpTheirs,
      (s: { etcdEndpoints: string[]; kubeconfigPath: string }) =>
        new CalicoctlMigrator("path" in located ? located.path : "", s),
    ],
  ] as const) {
    const etcd = await startLocalEtcd({ line: "current", name: "calico-migrator" });
    try {
      await seedCalicoEtcd(etcd.endpoints, data);
      await resetKube(cp.kubeConfig());
      const migrator = make({ etcdEndpoints: etcd.endpoints, kubeconfigPath: cp.kubeconfigPath });
      await migrator.lock("etcdv3");
      const text = await migrator.export();
      const imported = await migrator.import(text);
      assert.equal(imported.exitCode, 0, `${migrator.name}: ${imported.error}`);
      assert.match(imported.output, /Successfully applied 4 resource\(s\)/, migrator.name);
      await migrator.unlock("kubernetes");
      const kube = await readCalicoFromKube(cp.kubeConfig());
      assert.ok(kube.raw.has("GlobalNetworkSet/tricky"), migrator.name);
      const info = kube.raw.get("ClusterInformation/default");
      assert.equal(
        (info?.spec as { datastoreReady?: boolean } | undefined)?.datastoreReady,
        true,
        migrator.name,
      );
    } finally {
      await etcd.stop();
    }
  }
});

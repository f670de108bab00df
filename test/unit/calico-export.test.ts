import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { decodeResourceValue } from "../../src/calico/etcd/codec.js";
import { decodeCalicoEntries } from "../../src/calico/etcd/store.js";
import { buildExport, exportText } from "../../src/calico/export/build.js";
import { parseExport, renderYaml } from "../../src/calico/export/format.js";
import {
  type CalicoFixture,
  expandBlock,
  fixtureToEtcdEntries,
  parseFixture,
} from "../../src/calico/fixture.js";
import { generateFixture } from "../../src/calico/generate.js";
import type { CalicoEtcdData } from "../../src/calico/model.js";

const BASE = `format: storeshift/calico-fixture/v1
createdAt: "2026-01-15T10:00:00Z"
clusterInformation: {clusterGUID: abc, calicoVersion: v3.32.1, datastoreReady: false}
resources:
  - kind: Node
    metadata: {name: etcd-a}
    spec: {orchRefs: [{nodeName: other, orchestrator: mesos}, {nodeName: k8s-a, orchestrator: k8s}]}
  - kind: Node
    metadata: {name: etcd-b}
    spec: {orchRefs: [{nodeName: k8s-b, orchestrator: k8s}]}
  - kind: FelixConfiguration
    metadata: {name: node.etcd-b}
    spec: {iptablesFilterDenyAction: DROP, defaultEndpointToHostAction: Accept, iptablesFilterAllowAction: ""}
  - kind: BGPConfiguration
    metadata: {name: node.unknown}
    spec: {}
  - kind: NetworkPolicy
    metadata: {name: knp.default.x, namespace: prod}
    spec: {}
  - kind: NetworkPolicy
    metadata: {name: keep, namespace: prod, annotations: {note: "a===", multi: "l1\\n===\\nl2"}}
    spec: {}
  - kind: StagedNetworkPolicy
    metadata: {name: s1, namespace: prod}
    spec: {}
  - kind: StagedNetworkPolicy
    metadata: {name: s2, namespace: default}
    spec: {}
  - kind: WorkloadEndpoint
    metadata: {name: w, namespace: prod}
    spec: {}
  - kind: Profile
    metadata: {name: kns.prod}
    spec: {}
ipam:
  blocks:
    - cidr: 10.0.0.0/30
      affinity: host:etcd-b
      allocations: {"0": 0, "1": 1, "2": 2}
      attributes:
        - {handle_id: ipip-tunnel-addr-etcd-b, secondary: {node: etcd-b}}
        - {handle_id: wireguard-v6-tunnel-addr-etcd-b, alternateOwnerAttrs: {node: etcd-b}}
        - {handle_id: vxlan-tunnel-addr-unmapped}
  affinities:
    - {host: etcd-b, cidr: 10.0.0.0/30}
    - {host: vm, cidr: 10.0.0.0/30, type: virtual}
  handles:
    - {id: vxlan-v6-tunnel-addr-etcd-b, block: {10.0.0.0/30: 1}}
    - {id: ipip-tunnel-addr-etcd-a, block: {10.0.0.0/30: 1}}
`;

function dataOf(f: CalicoFixture): CalicoEtcdData {
  // etcd returns keys sorted; the fixture lists them in its own order
  const entries = fixtureToEtcdEntries(f)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => ({ key, value, modRevision: "7" }));
  return decodeCalicoEntries(entries, "9");
}

test("export applies the skip rules, node renames (last k8s orchRef wins) and iptables title-casing", () => {
  const plan = buildExport(dataOf(parseFixture(BASE, "base")));
  const names = (kind: string) =>
    plan.lists
      .find((l) => l.kind === kind)
      ?.items.map((o) => `${o.metadata.namespace ?? ""}/${o.metadata.name}`);
  assert.deepEqual(plan.nodeMap, { "etcd-a": "k8s-a", "etcd-b": "k8s-b" });
  assert.deepEqual(names("Node"), ["/k8s-a", "/k8s-b"]);
  assert.deepEqual(names("FelixConfiguration"), ["/node.k8s-b"]);
  assert.deepEqual(names("BGPConfiguration"), ["/node.unknown"]);
  assert.deepEqual(names("NetworkPolicy"), ["prod/keep"]);
  assert.deepEqual(names("StagedNetworkPolicy"), ["default/s2", "prod/s1"]);
  const felix = plan.lists.find((l) => l.kind === "FelixConfiguration")?.items[0]?.spec;
  assert.deepEqual(felix, {
    iptablesFilterDenyAction: "Drop",
    defaultEndpointToHostAction: "Accept",
    iptablesFilterAllowAction: "",
  });
  assert.deepEqual(plan.skipped.map((s) => `${s.rule} ${s.kind} ${s.name}`).sort(), [
    "calico/kind-not-exported Profile kns.prod",
    "calico/kind-not-exported WorkloadEndpoint w",
    "calico/knp-mirror NetworkPolicy knp.default.x",
  ]);
  for (const list of plan.lists)
    for (const item of list.items) {
      assert.equal(item.metadata.uid, undefined);
      assert.equal(item.metadata.creationTimestamp, undefined);
      assert.equal(item.metadata.resourceVersion, undefined);
    }
});

test("export IPAM: hosts renamed in keys, attributes and tunnel handles; v6 tunnel handles and virtual affinities kept", () => {
  const plan = buildExport(dataOf(parseFixture(BASE, "base")));
  const block = plan.ipam.blocks?.[0]?.Value;
  assert.equal(block?.affinity, "host:k8s-b");
  assert.deepEqual(block?.attributes, [
    { handle_id: "ipip-tunnel-addr-k8s-b", secondary: { node: "k8s-b" } },
    { handle_id: "wireguard-v6-tunnel-addr-k8s-b", alternateOwnerAttrs: { node: "k8s-b" } },
    { handle_id: "vxlan-tunnel-addr-unmapped" },
  ]);
  assert.deepEqual(
    plan.ipam.block_affinities?.map((a) => a.Key),
    [
      "/calico/ipam/v2/host/k8s-b/ipv4/block/10.0.0.0-30",
      "/calico/ipam/v2/virtual/vm/ipv4/block/10.0.0.0-30",
    ],
  );
  assert.deepEqual(
    plan.ipam.handles?.map((h) => h.Key),
    ["/calico/ipam/v2/handle/ipip-tunnel-addr-k8s-a", "/calico/ipam/v2/handle/vxlan-v6-tunnel-addr-k8s-b"],
  );
  assert.equal(plan.ipam.config, undefined);
});

test('upstream mode copies calicoctl: staged policies only from "default", no virtual affinities, v6 handles not renamed', () => {
  const plan = buildExport(dataOf(parseFixture(BASE, "base")), { mode: "upstream" });
  assert.deepEqual(
    plan.lists.find((l) => l.kind === "StagedNetworkPolicy")?.items.map((o) => o.metadata.name),
    ["s2"],
  );
  assert.deepEqual(plan.ipam.block_affinities?.length, 1);
  assert.ok(plan.ipam.handles?.some((h) => h.Key.endsWith("/vxlan-v6-tunnel-addr-etcd-b")));
  assert.equal(plan.ipam.blocks?.[0]?.Value.attributes[1]?.handle_id, "wireguard-v6-tunnel-addr-etcd-b");
  assert.ok(
    plan.skipped.some((s) => s.rule === "calico/upstream-staged-default-namespace-only" && s.name === "s1"),
  );
});

test("export refuses a node without a k8s orchestrator reference, with calicoctl's message", () => {
  const f = parseFixture(
    `format: storeshift/calico-fixture/v1
clusterInformation: {clusterGUID: a}
resources:
  - kind: Node
    metadata: {name: lonely}
    spec: {orchRefs: [{nodeName: x, orchestrator: openstack}]}
`,
    "f",
  );
  assert.throws(
    () => buildExport(dataOf(f)),
    /node lonely missing a 'k8s' orchestrator reference\. Unable to export/,
  );
});

const COLLISION = `format: storeshift/calico-fixture/v1
clusterInformation: {clusterGUID: abc}
resources:
  - kind: Node
    metadata: {name: node4}
    spec: {bgp: {ipv4Address: 1.2.3.4/24}, orchRefs: [{nodeName: node4, orchestrator: k8s}]}
  - kind: Node
    metadata: {name: node5}
    spec: {bgp: {ipv4Address: 1.2.3.5/24}, orchRefs: [{nodeName: node4, orchestrator: k8s}]}
`;

test("export refuses two etcd nodes on one Kubernetes node, naming both; upstream mode lets both through", () => {
  const data = dataOf(parseFixture(COLLISION, "collision"));
  assert.throws(() => buildExport(data), /collision: etcd Nodes node4 and node5 both map to Node node4/);
  const plan = buildExport(data, { mode: "upstream" });
  assert.deepEqual(
    plan.lists.find((l) => l.kind === "Node")?.items.map((n) => n.metadata.name),
    ["node4", "node4"],
  );
});

test("export refuses per-node configurations renamed onto one name", () => {
  const f = parseFixture(
    `format: storeshift/calico-fixture/v1
clusterInformation: {clusterGUID: abc}
resources:
  - kind: Node
    metadata: {name: etcd-x}
    spec: {orchRefs: [{nodeName: x, orchestrator: k8s}]}
  - kind: FelixConfiguration
    metadata: {name: node.etcd-x}
    spec: {}
  - kind: FelixConfiguration
    metadata: {name: node.x}
    spec: {}
`,
    "f",
  );
  assert.throws(
    () => buildExport(dataOf(f)),
    /FelixConfigurations node\.etcd-x and node\.x both map to FelixConfiguration node\.x/,
  );
});

test("the export file has three sections; no data line is ever a bare === ; parse restores every object", () => {
  const plan = buildExport(dataOf(parseFixture(BASE, "base")));
  const text = exportText(plan);
  const lines = text.split("\n");
  assert.equal(lines.filter((l) => l === "===").length, 2);
  assert.ok(
    !lines.some((l) => l !== "===" && l.endsWith("===")),
    "no line ends with === except the separators",
  );
  assert.equal(text.split("===\n").length, 3, "even calicoctl's byte split finds exactly three sections");
  assert.equal(lines.filter((l) => l === "---").length, 17);
  const parsed = parseExport(text, "f");
  const keep = parsed.resources.find((r) => r.metadata.name === "keep");
  assert.deepEqual(keep?.metadata.annotations, { note: "a===", multi: "l1\n===\nl2" });
  assert.equal(parsed.resources.length, 7);
  assert.equal(parsed.clusterInformation.spec?.clusterGUID, "abc");
  assert.equal(parsed.ipam.blocks?.[0]?.Value.cidr, "10.0.0.0/30");
});

test("parse errors are one line naming the file, section and line", () => {
  assert.throws(
    () => parseExport("a: b\n===\n{}\n", "f.txt"),
    /^InputError: imported file: f\.txt is improperly formatted \(2 sections separated by "===" lines, expected 3\)/,
  );
  assert.throws(
    () =>
      parseExport(
        "apiVersion: projectcalico.org/v3\nkind: IPPoolList\nitems: [\n===\n{}\n===\n{}\n",
        "f.txt",
      ),
    /parse f\.txt: resources section, line \d+:/,
  );
  assert.throws(
    () =>
      parseExport(
        "apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata: {name: x}\n===\n{}\n===\n{}\n",
        "f.txt",
      ),
    /parse f\.txt: resources section, document at line 1: kind Profile is not one the migration imports/,
  );
  assert.throws(
    () => parseExport('---\n===\n{"kind":"ClusterInformation","spec":{}}\n===\n{"blocks": 3}\n', "f.txt"),
    /parse f\.txt: IPAM section, line 5: blocks is not a list/,
  );
  assert.throws(
    () => parseExport("---\n===\n{oops\n===\n{}\n", "f.txt"),
    /parse f\.txt: ClusterInformation section, line 3:/,
  );
  // upstream's byte split: a value ending in === breaks the file
  assert.throws(
    () =>
      parseExport('a: x===\n---\n===\n{"kind":"ClusterInformation","spec":{}}\n===\n{}\n', "f", {
        mode: "upstream",
      }),
    /improperly formatted \(4 sections/,
  );
});

test("property: any annotation value survives export rendering and parsing, and never forges a separator", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: fc.constantFrom("=", "=", "=", "\n", "a", " ", ":", "#", "-", '"') }),
      (value) => {
        const yaml = renderYaml({ items: [{ metadata: { annotations: { v: value } } }] });
        assert.ok(!`${yaml}`.split("\n").some((l) => l === "===" || l.endsWith("===")));
        const text = `${yaml}---\n===\n{"kind":"ClusterInformation","spec":{}}\n===\n{}\n`;
        assert.equal(text.split("===\n").length, 3);
      },
    ),
    { numRuns: 300 },
  );
});

test("fixture blocks expand to full allocation arrays; the generator is deterministic per seed", () => {
  const b = expandBlock({ cidr: "10.0.0.5/29", allocations: { "1": 0, "6": 1 }, sequenceNumber: 3 });
  assert.equal(b.cidr, "10.0.0.0/29");
  assert.deepEqual(b.allocations, [null, 0, null, null, null, null, 1, null]);
  assert.deepEqual(b.unallocated, [0, 2, 3, 4, 5, 7]);
  assert.deepEqual(b.sequenceNumberForAllocation, { "1": 3, "6": 3 });
  assert.deepEqual(generateFixture(500, 7), generateFixture(500, 7));
  assert.notDeepEqual(generateFixture(500, 7), generateFixture(500, 8));
  assert.throws(() => parseFixture("format: other\n", "x.yaml"), /Calico fixture x\.yaml: format must be/);
  assert.throws(
    () =>
      parseFixture(
        "format: storeshift/calico-fixture/v1\nresources: [{kind: NetworkSet, metadata: {name: a}}]\n",
        "x.yaml",
      ),
    /resources\[0\] \(NetworkSet a\) needs metadata.namespace/,
  );
});

test("a decoded etcd read equals what the fixture stands for", () => {
  const data = dataOf(parseFixture(BASE, "base"));
  const keep = data.resources.find((r) => r.metadata.name === "keep");
  assert.deepEqual(keep?.metadata.annotations, { note: "a===", multi: "l1\n===\nl2" });
  assert.ok(keep?.metadata.uid);
  assert.equal(decodeResourceValue("k", JSON.stringify(keep), "5").metadata.resourceVersion, "5");
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { checkCompleteness } from "../../src/oracles/calico/completeness.js";
import { compareGolden, normalise } from "../../src/oracles/calico/golden.js";
import { checkIntegrity } from "../../src/oracles/calico/integrity.js";
import type { KubeCalicoObject, KubeCalicoState, RawEntry } from "../../src/oracles/calico/read.js";

const R = "/calico/resources/v3/projectcalico.org";
const source: RawEntry[] = [
  {
    key: `${R}/nodes/etcd-a`,
    value: JSON.stringify({
      metadata: { name: "etcd-a" },
      spec: { orchRefs: [{ orchestrator: "k8s", nodeName: "a" }] },
    }),
  },
  { key: `${R}/felixconfigurations/node.etcd-a`, value: "{}" },
  { key: `${R}/tiers/default`, value: "{}" },
  { key: `${R}/networkpolicies/prod/allow`, value: "{}" },
  { key: `${R}/networkpolicies/prod/knp.default.mirror`, value: "{}" },
  { key: `${R}/workloadendpoints/prod/w`, value: "{}" },
  { key: "/calico/ipam/v2/assignment/ipv4/block/10.0.0.0-26", value: "{}" },
  { key: "/calico/ipam/v2/host/etcd-a/ipv4/block/10.0.0.0-26", value: "{}" },
  { key: "/calico/ipam/v2/handle/ipip-tunnel-addr-etcd-a", value: "{}" },
  { key: "/calico/ipam/v2/config", value: "{}" },
];

function good(): KubeCalicoState {
  const objects: KubeCalicoObject[] = [
    { kind: "FelixConfiguration", name: "node.a", spec: {} },
    { kind: "Tier", name: "default", spec: {} },
    { kind: "NetworkPolicy", name: "allow", namespace: "prod", spec: { tier: "default" } },
    {
      kind: "IPAMBlock",
      name: "10-0-0-0-26",
      spec: {
        cidr: "10.0.0.0/26",
        affinity: "host:a",
        allocations: [0, null],
        attributes: [{ handle_id: "ipip-tunnel-addr-a", secondary: { node: "a" } }],
      },
    },
    { kind: "BlockAffinity", name: "a-10-0-0-0-26", spec: { node: "a", type: "host", cidr: "10.0.0.0/26" } },
    {
      kind: "IPAMHandle",
      name: "ipip-tunnel-addr-a",
      spec: { handleID: "ipip-tunnel-addr-a", block: { "10.0.0.0/26": 1 } },
    },
    { kind: "IPAMConfig", name: "default", spec: {} },
  ];
  return {
    objects,
    nodes: [{ name: "a", annotations: { "projectcalico.org/IPv4Address": "1.2.3.4/24" } }],
    crds: [],
  };
}

function without(state: KubeCalicoState, kind: string): KubeCalicoState {
  return { ...state, objects: state.objects.filter((o) => o.kind !== kind) };
}

function edit(state: KubeCalicoState, kind: string, spec: Record<string, unknown>): KubeCalicoState {
  return {
    ...state,
    objects: state.objects.map((o) =>
      o.kind === kind ? { ...o, spec: { ...(o.spec as object), ...spec } } : o,
    ),
  };
}

test("completeness: a correct target accounts for every key; exclusions carry their reason", () => {
  const r = checkCompleteness(source, good());
  assert.deepEqual(r.missing, []);
  assert.equal(r.migrated.length, 8);
  assert.deepEqual(
    r.excluded.map((e) => e.key),
    [`${R}/networkpolicies/prod/knp.default.mirror`, `${R}/workloadendpoints/prod/w`],
  );
  assert.ok(r.excluded.every((e) => e.reason.length > 20));
});

test("completeness: a dropped kind, an affinity left on the etcd name, an unknown key are each reported by key", () => {
  assert.deepEqual(
    checkCompleteness(source, without(good(), "IPAMConfig")).missing.map((m) => m.key),
    ["/calico/ipam/v2/config"],
  );
  const kept = edit(good(), "BlockAffinity", { node: "etcd-a" });
  assert.deepEqual(
    checkCompleteness(source, kept).missing.map((m) => m.problem),
    ["no BlockAffinity host a 10.0.0.0/26 in Kubernetes"],
  );
  const unknown = checkCompleteness([...source, { key: `${R}/widgets/x`, value: "{}" }], good());
  assert.match(unknown.missing[0]?.problem ?? "", /unknown resource type "widgets"/);
  const noNode = checkCompleteness(source, { ...good(), nodes: [{ name: "a", annotations: {} }] });
  assert.deepEqual(
    noNode.missing.map((m) => m.key),
    [`${R}/nodes/etcd-a`],
  );
});

test("integrity: a correct target resolves; each broken reference is named", () => {
  assert.deepEqual(checkIntegrity(good()), []);
  const problems = (s: KubeCalicoState) => checkIntegrity(s).map((d) => `${d.object}: ${d.problem}`);
  assert.match(
    problems(edit(good(), "BlockAffinity", { node: "etcd-a" })).join(),
    /Node etcd-a, which does not exist/,
  );
  assert.match(
    problems(edit(good(), "IPAMBlock", { affinity: "host:etcd-a" })).join(),
    /affinity host:etcd-a/,
  );
  assert.match(
    problems(
      edit(good(), "IPAMBlock", {
        attributes: [{ handle_id: "ipip-tunnel-addr-etcd-a", secondary: { node: "a" } }],
      }),
    ).join(),
    /handle_id ipip-tunnel-addr-etcd-a has no IPAMHandle/,
  );
  assert.match(
    problems(edit(good(), "IPAMBlock", { attributes: [{ handle_id: "ipip-tunnel-addr-a" }] })).join(),
    /^$/,
    "an attribute without secondary is fine",
  );
  assert.match(
    problems(edit(good(), "IPAMHandle", { block: { "10.0.0.0/26": 2 } })).join(),
    /claims 2 .* allocates 1/,
  );
  assert.match(
    problems(edit(good(), "NetworkPolicy", { tier: "security" })).join(),
    /tier security does not exist/,
  );
  const perNode = {
    ...good(),
    objects: [...good().objects, { kind: "BGPConfiguration", name: "node.etcd-a", spec: {} }],
  };
  assert.match(problems(perNode).join(), /BGPConfiguration node\.etcd-a: per-node configuration/);
});

test("golden: normalisation drops only the import's clock; a changed field is reported by path", () => {
  const state = good();
  state.objects[1] = {
    kind: "Tier",
    name: "default",
    annotations: {
      "projectcalico.org/metadata": '{"creationTimestamp":"2026-12-02T10:00:00Z","labels":{"x":"y"}}',
    },
    spec: { order: 100 },
  };
  const a = normalise(state, "f.yaml");
  assert.deepEqual(a.objects.find((o) => o.kind === "Tier")?.v3metadata, { labels: { x: "y" } });
  assert.deepEqual(compareGolden(a, normalise(state, "f.yaml")), []);
  const changed = edit(state, "Tier", { order: 200 });
  assert.deepEqual(compareGolden(a, normalise(changed, "f.yaml")), [
    "Tier/default.spec.order: golden 100, Kubernetes 200",
  ]);
  assert.deepEqual(compareGolden(a, normalise(without(state, "IPAMConfig"), "f.yaml")), [
    "IPAMConfig/default: missing from Kubernetes",
  ]);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubeCalicoState } from "../../src/oracles/calico/read.js";
import { checkReadiness, ordinalIn } from "../../src/oracles/calico/readiness.js";

function state(
  overrides: { ready?: unknown; tunnel?: string; handle?: string; affinityState?: string } = {},
): KubeCalicoState {
  return {
    crds: [],
    nodes: [
      {
        name: "node1",
        annotations: { "projectcalico.org/IPv4VXLANTunnelAddr": overrides.tunnel ?? "10.65.79.0" },
      },
    ],
    objects: [
      { kind: "ClusterInformation", name: "default", spec: { datastoreReady: overrides.ready ?? true } },
      {
        kind: "IPAMBlock",
        name: "10-65-79-0-26",
        spec: {
          cidr: "10.65.79.0/26",
          affinity: "host:node1",
          allocations: [0, 1, null],
          attributes: [
            { handle_id: overrides.handle ?? "vxlan-tunnel-addr-node1" },
            { handle_id: "k8s-pod-network.x" },
          ],
        },
      },
      {
        kind: "BlockAffinity",
        name: "node1-10-65-79-0-26",
        spec: {
          node: "node1",
          cidr: "10.65.79.0/26",
          state: overrides.affinityState ?? "confirmed",
          deleted: "false",
        },
      },
      {
        kind: "IPAMHandle",
        name: "vxlan-tunnel-addr-node1",
        spec: { handleID: "vxlan-tunnel-addr-node1", block: {} },
      },
    ],
  };
}

const problems = (s: KubeCalicoState) => checkReadiness(s).findings.map((f) => `${f.object}: ${f.problem}`);

test("a consistent datastore is ready: one block, one tunnel resolved on node1", () => {
  const report = checkReadiness(state());
  assert.deepEqual(report.findings, []);
  assert.deepEqual(report.nodes, [{ name: "node1", blocks: 1, tunnels: 1 }]);
});

test("each thing calico-node waits or reallocates for is named", () => {
  assert.match(
    problems(state({ ready: false })).join(),
    /ClusterInformation default: datastoreReady is false/,
  );
  assert.match(
    problems(state({ affinityState: "pending" })).join(),
    /BlockAffinity 10\.65\.79\.0\/26 is pending/,
  );
  assert.match(
    problems(state({ tunnel: "10.65.79.1" })).join(),
    /allocated .* to handle k8s-pod-network\.x, not vxlan-tunnel-addr-node1/,
  );
  assert.match(problems(state({ tunnel: "10.65.79.2" })).join(), /not allocated in IPAMBlock/);
  assert.match(problems(state({ tunnel: "10.66.0.1" })).join(), /in no IPAMBlock/);
  assert.match(
    problems(state({ handle: "vxlan-tunnel-addr-etcd-node1" })).join(),
    /not vxlan-tunnel-addr-node1/,
  );
  const noAffinity = state();
  noAffinity.objects = noAffinity.objects.filter((o) => o.kind !== "BlockAffinity");
  assert.match(problems(noAffinity).join(), /has no BlockAffinity for 10\.65\.79\.0\/26/);
});

test("ordinals inside IPv4 and IPv6 blocks", () => {
  assert.equal(ordinalIn("10.65.79.0/26", "10.65.79.63"), 63);
  assert.equal(ordinalIn("10.65.79.0/26", "10.65.79.64"), undefined);
  assert.equal(
    ordinalIn("fd5f:abcd:64:4f2c:ec1b:27b9:1989:77c0/122", "fd5f:abcd:64:4f2c:ec1b:27b9:1989:77c1"),
    1,
  );
  assert.equal(ordinalIn("fd00::/122", "fd00::3f"), 63);
  assert.equal(ordinalIn("10.65.79.0/26", "fd00::1"), undefined);
});

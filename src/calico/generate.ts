import { randomSeed, seededRandom } from "../common/random.js";
import { type CalicoFixture, FIXTURE_FORMAT, type FixtureBlock } from "./fixture.js";
import type { V3Object } from "./model.js";

/**
 * A seeded generator of a Calico dataset of about `count` objects (v3 resources plus IPAM entries), so
 * benchmarks and property tests can scale the fixture. The same seed always gives the same dataset;
 * callers print the seed so a failure can be replayed.
 */

export function generateFixture(count: number, seed: number): CalicoFixture {
  const rand = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const nodeCount = Math.max(1, Math.min(250, Math.floor(count / 40)));
  const namespaces = Array.from(
    { length: Math.max(1, Math.min(50, Math.floor(count / 200))) },
    (_, i) => `ns-${i}`,
  );
  const resources: V3Object[] = [];
  const blocks: FixtureBlock[] = [];
  const affinities: CalicoFixture["ipam"]["affinities"] = [];
  const handles: CalicoFixture["ipam"]["handles"] = [];
  const obj = (kind: string, name: string, spec: Record<string, unknown>, namespace?: string): V3Object => ({
    kind,
    apiVersion: "projectcalico.org/v3",
    metadata: {
      name,
      ...(namespace ? { namespace } : {}),
      labels: { generated: "true", shard: String(Math.floor(rand() * 8)) },
    },
    spec: spec as V3Object["spec"],
  });

  resources.push(
    obj("IPPool", "gen-pool", {
      cidr: "10.128.0.0/12",
      vxlanMode: "Never",
      ipipMode: "Always",
      natOutgoing: true,
      blockSize: 26,
      nodeSelector: "all()",
      allowedUses: ["Workload", "Tunnel"],
      assignmentMode: "Automatic",
    }),
  );
  for (let i = 0; i < nodeCount; i++) {
    const name = `gen-node-${i}`;
    resources.push({
      ...obj("Node", `etcd-${name}`, {
        bgp: { ipv4Address: `10.${i >> 8}.${i & 255}.1/16` },
        orchRefs: [{ nodeName: name, orchestrator: "k8s" }],
      }),
      status: {},
    });
    const cidr = `10.${128 + (i >> 8)}.${i & 255}.0/26`;
    blocks.push({
      cidr,
      affinity: `host:etcd-${name}`,
      allocations: { "0": 0 },
      attributes: [
        {
          handle_id: `ipip-tunnel-addr-etcd-${name}`,
          secondary: { node: `etcd-${name}`, type: "ipipTunnelAddress" },
        },
      ],
    });
    affinities.push({ host: `etcd-${name}`, cidr, state: "confirmed" });
    handles.push({ id: `ipip-tunnel-addr-etcd-${name}`, block: { [cidr]: 1 } });
  }
  const actions = ["Allow", "Deny", "Pass", "Log"] as const;
  let i = 0;
  while (resources.length + blocks.length + affinities.length + handles.length < count) {
    const r = rand();
    const n = i++;
    if (r < 0.45) {
      const ns = pick(namespaces);
      resources.push(
        obj(
          "NetworkPolicy",
          `np-${n}`,
          {
            tier: "default",
            order: Math.floor(rand() * 1000),
            selector: `app == 'app-${n % 97}'`,
            types: ["Ingress"],
            ingress: [
              {
                action: pick(actions),
                protocol: "TCP",
                destination: { ports: [1 + Math.floor(rand() * 65000)] },
              },
            ],
          },
          ns,
        ),
      );
    } else if (r < 0.6) {
      resources.push(
        obj("GlobalNetworkPolicy", `gnp-${n}`, {
          tier: "default",
          order: Math.floor(rand() * 1000),
          selector: `role == 'r-${n % 31}'`,
          types: ["Egress"],
          egress: [{ action: pick(actions), destination: { nets: [`192.0.${n % 256}.0/24`] } }],
        }),
      );
    } else if (r < 0.75) {
      resources.push(
        obj("NetworkSet", `ns-set-${n}`, { nets: [`198.51.${n % 256}.0/24`] }, pick(namespaces)),
      );
    } else if (r < 0.85) {
      resources.push(obj("GlobalNetworkSet", `gns-${n}`, { nets: [`203.0.${n % 256}.0/24`] }));
    } else if (r < 0.9) {
      resources.push(
        obj("HostEndpoint", `hep-${n}`, {
          node: `etcd-gen-node-${n % nodeCount}`,
          interfaceName: `eth${n % 4}`,
        }),
      );
    } else {
      const node = n % nodeCount;
      const cidr = `10.${128 + (node >> 8)}.${node & 255}.0/26`;
      handles.push({
        id: `k8s-pod-network.${seed.toString(16)}${n.toString(16).padStart(8, "0")}`,
        block: { [cidr]: 1 },
      });
    }
  }
  return {
    format: FIXTURE_FORMAT,
    createdAt: "2026-01-15T10:00:00Z",
    clusterInformation: {
      clusterGUID: `gen${seed.toString(16).padStart(29, "0")}`,
      calicoVersion: "v3.32.1",
      datastoreReady: true,
    },
    kubernetesNodes: Array.from({ length: nodeCount }, (_, k) => `gen-node-${k}`),
    kubernetesNamespaces: namespaces,
    resources,
    ipam: { config: { auto_allocate_blocks: true }, blocks, affinities, handles },
  };
}

/** How many objects the dataset holds, counted the way the generator targets them. */
export function fixtureSize(f: CalicoFixture): number {
  return (
    f.resources.length +
    f.ipam.blocks.length +
    f.ipam.affinities.length +
    f.ipam.handles.length +
    (f.ipam.config ? 1 : 0)
  );
}

export { randomSeed };

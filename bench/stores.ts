import { ApiextensionsV1Api, CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { Etcd3 } from "etcd3";
import { startLocalEtcd } from "../src/providers/etcd/local-etcd.js";
import { startLocalControlPlane } from "../src/providers/kube/local-control-plane.js";
import { resetKube } from "../steps/support/kube-reset.js";
import { type Bench, type BenchRow, median, timed } from "./types.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const KEYS = 500;

async function seed(client: Etcd3): Promise<void> {
  for (let i = 0; i < KEYS; i += 100) {
    await Promise.all(
      Array.from({ length: 100 }, (_, j) => client.put(`/scenario/k${i + j}`).value("x".repeat(64))),
    );
  }
}

async function populateKube(kc: KubeConfig, round: number): Promise<void> {
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  for (const plural of ["alphas", "betas", "gammas"]) {
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: `${plural}.bench.storeshift.dev` },
        spec: {
          group: "bench.storeshift.dev",
          scope: "Cluster",
          names: {
            plural,
            singular: plural.slice(0, -1),
            kind: plural[0]?.toUpperCase() + plural.slice(1, -1),
          },
          versions: [
            {
              name: "v1",
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: "object", x_kubernetes_preserve_unknown_fields: true } },
            },
          ],
        },
      },
    });
  }
  await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      core.createNode({ body: { metadata: { name: `bench-${round}-${i}` } } }),
    ),
  );
}

export const storesBench: Bench = {
  name: "stores",
  description: `cold starts (median of ${RUNS}) and reset-vs-new for a used etcd (${KEYS} keys)`,
  async run() {
    const cp: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const { ms, value } = await timed(() => startLocalControlPlane({ name: `bench-${i}` }));
      cp.push(ms);
      await value.stop();
    }
    const etcd36: number[] = [];
    const etcd34: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const a = await timed(() => startLocalEtcd({ name: `bench36-${i}` }));
      etcd36.push(a.ms);
      await a.value.stop();
      const b = await timed(() => startLocalEtcd({ name: `bench34-${i}`, enableV2: true }));
      etcd34.push(b.ms);
      await b.value.stop();
    }
    // reset: delete what a scenario wrote, on a store that stays up
    const shared = await startLocalEtcd({ name: "bench-reset" });
    const client = new Etcd3({ hosts: shared.endpoints });
    const resets: number[] = [];
    const fresh: number[] = [];
    try {
      for (let i = 0; i < RUNS; i++) {
        await seed(client);
        resets.push((await timed(() => client.delete().prefix("/scenario/").exec())).ms);
        const n = await timed(async () => {
          const e = await startLocalEtcd({ name: `bench-new-${i}` });
          await e.stop();
        });
        fresh.push(n.ms);
      }
    } finally {
      client.close();
      await shared.stop();
    }
    // the control plane: remove what a Calico scenario leaves (CRDs with objects, Nodes) vs a new one
    const plane = await startLocalControlPlane({ name: "bench-kube-reset" });
    const kubeResets: number[] = [];
    try {
      const kc = plane.kubeConfig();
      for (let i = 0; i < RUNS; i++) {
        await populateKube(kc, i);
        kubeResets.push((await timed(() => resetKube(kc))).ms);
      }
    } finally {
      await plane.stop();
    }
    const rows: BenchRow[] = [
      {
        bench: "stores",
        metric: "control plane cold start to /readyz (median)",
        value: median(cp),
        unit: "ms",
        target: "<= 2500 ms",
        note: "the PKI is made once per process; each plane gets its own copy",
      },
      {
        bench: "stores",
        metric: "control plane cold start, first of the process",
        value: cp[0],
        unit: "ms",
        note: "makes the throwaway PKI (openssl) beside etcd's start",
      },
      {
        bench: "stores",
        metric: "etcd 3.6 cold start to /health (median)",
        value: median(etcd36),
        unit: "ms",
      },
      {
        bench: "stores",
        metric: "etcd 3.4 --enable-v2 cold start to /health (median)",
        value: median(etcd34),
        unit: "ms",
      },
      {
        bench: "stores",
        metric: "reset a used etcd (delete prefix, median)",
        value: median(resets),
        unit: "ms",
      },
      {
        bench: "stores",
        metric: "new etcd per scenario (start+stop, median)",
        value: median(fresh),
        unit: "ms",
      },
      {
        bench: "stores",
        metric: "reset a used control plane (CRDs + Nodes, median)",
        value: median(kubeResets),
        unit: "ms",
      },
      {
        bench: "stores",
        metric: "new control plane / reset (ratio)",
        value: median(cp) / Math.max(median(kubeResets), 0.001),
        unit: "x",
      },
      {
        bench: "stores",
        metric: "new store / reset (ratio)",
        value: median(fresh) / Math.max(median(resets), 0.001),
        unit: "x",
        note: "how many times cheaper reset is",
      },
    ];
    return rows;
  },
};

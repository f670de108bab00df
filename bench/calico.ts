import { exportFromEtcd, importToKube, lockEtcd, prepareKubeTarget, withKube } from "../src/calico/api.js";
import { Calicoctl } from "../src/calico/calicoctl/adapter.js";
import { locateCalicoctl } from "../src/calico/calicoctl/install.js";
import { parseExport } from "../src/calico/export/format.js";
import { seedCalicoEtcd } from "../src/calico/fixture.js";
import { fixtureSize, generateFixture, randomSeed } from "../src/calico/generate.js";
import { generatedCrds } from "../src/calico/kube/crds.js";
import {
  affinityToCustomResource,
  blockToCustomResource,
  configToCustomResource,
  createMetadata,
  handleToCustomResource,
  type KubeObject,
  toCustomResource,
} from "../src/calico/kube/encoding.js";
import type { CalicoKube } from "../src/calico/kube/store.js";
import { nowTimestamp } from "../src/calico/lock.js";
import { startLocalEtcd } from "../src/providers/etcd/local-etcd.js";
import { startLocalControlPlane } from "../src/providers/kube/local-control-plane.js";
import type { Bench, BenchRow } from "./types.js";

const OBJECTS = Number(process.env.STORESHIFT_BENCH_CALICO_OBJECTS ?? 10_000);
/** calicoctl applies one object at a time at 50 QPS, so it gets a smaller dataset of the same shape. */
const CALICOCTL_OBJECTS = Number(process.env.STORESHIFT_BENCH_CALICOCTL_OBJECTS ?? 1_000);
const CONCURRENCY = 32;

async function emptyKube(kube: CalicoKube): Promise<void> {
  const crds = await kube.calicoCrdNames();
  await kube.deleteCrds(crds);
  await kube.waitCrdsGone(crds, 300_000);
}

/** The baseline: the very bodies import sends, POSTed with the same client and concurrency, nothing else. */
async function rawCreates(kube: CalicoKube, bodies: KubeObject[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++] as KubeObject;
        await kube.create(body);
      }
    }),
  );
}

function bodiesOf(exportText: string): KubeObject[] {
  const parsed = parseExport(exportText, "bench");
  const now = nowTimestamp();
  const out: KubeObject[] = parsed.resources
    .filter((r) => r.kind !== "Node")
    .map((r) => toCustomResource({ ...r, metadata: createMetadata(r, now) }));
  for (const e of parsed.ipam.block_affinities ?? []) out.push(affinityToCustomResource(e));
  for (const e of parsed.ipam.blocks ?? []) out.push(blockToCustomResource(e));
  for (const e of parsed.ipam.handles ?? []) out.push(handleToCustomResource(e));
  if (parsed.ipam.config) out.push(configToCustomResource(parsed.ipam.config));
  return out;
}

export const calicoBench: Bench = {
  name: "calico",
  description: `Calico export+import of ${OBJECTS} objects vs raw concurrent creates of the same objects (same apiserver, ${CONCURRENCY} in flight)`,
  async run(): Promise<BenchRow[]> {
    const seed = Number(process.env.STORESHIFT_BENCH_SEED ?? randomSeed());
    process.stderr.write(`bench calico: generator seed ${seed} (STORESHIFT_BENCH_SEED=${seed} to replay)\n`);
    const fixture = generateFixture(OBJECTS, seed);
    const rows: BenchRow[] = [];
    const etcd = await startLocalEtcd({ line: "current", name: "bench-calico" });
    const cp = await startLocalControlPlane({ name: "bench-calico" });
    try {
      await seedCalicoEtcd(etcd.endpoints, fixture);
      await lockEtcd(etcd.endpoints);
      await prepareKubeTarget(cp.kubeConfig(), fixture);
      // A first pass over a fresh apiserver runs ~30% slower than the next one (measured: 416 then 578
      // objects/s for the same bodies). Warm it up with a full pass of the same bodies, deleted again,
      // so the import (which needs an empty target) and the raw baseline both run warm.
      const warmup = bodiesOf((await exportFromEtcd(etcd.endpoints)).text).map((b) => ({
        ...b,
        metadata: { ...b.metadata, name: `${b.metadata.name}-warm` },
      }));
      await withKube(cp.kubeConfig(), async (kube) => {
        await kube.installCrds(generatedCrds());
        await rawCreates(kube, warmup);
        let next = 0;
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (next < warmup.length) {
              const b = warmup[next++] as KubeObject;
              await kube.rest.expect(
                "DELETE",
                kube.objectPath(b.kind, b.metadata.name, b.metadata.namespace),
              );
            }
          }),
        );
      });

      const t0 = performance.now();
      const exported = await exportFromEtcd(etcd.endpoints);
      const t1 = performance.now();
      const result = await importToKube(cp.kubeConfig(), exported.text, { concurrency: CONCURRENCY });
      const t2 = performance.now();
      const written = result.applied + result.ipamCreated;
      const oursRate = written / ((t2 - t0) / 1000);

      // the same bodies under new names, into the same CRDs: no mass deletion skews either side
      const bodies = bodiesOf(exported.text).map((b) => ({
        ...b,
        metadata: { ...b.metadata, name: `${b.metadata.name}-raw` },
      }));
      const rawSeconds = await withKube(cp.kubeConfig(), async (kube) => {
        const started = performance.now();
        await rawCreates(kube, bodies);
        return (performance.now() - started) / 1000;
      });
      const rawRate = bodies.length / rawSeconds;
      const note = `${fixtureSize(fixture)} generated, seed ${seed}`;
      rows.push(
        { bench: "calico", metric: "storeshift export", value: t1 - t0, unit: "ms", note },
        {
          bench: "calico",
          metric: "storeshift import",
          value: t2 - t1,
          unit: "ms",
          note: `${written} objects; ${Object.entries(result.timings)
            .map(([k, v]) => `${k} ${v}`)
            .join(", ")} ms`,
        },
        { bench: "calico", metric: "storeshift export+import", value: oursRate, unit: "objects/s" },
        {
          bench: "calico",
          metric: "raw concurrent creates",
          value: rawRate,
          unit: "objects/s",
          note: `${bodies.length} CRs`,
        },
        {
          bench: "calico",
          metric: "export+import / raw",
          value: oursRate / rawRate,
          unit: "x",
          target: ">= 0.8",
          note: "import includes CRD install, emptiness check, lock, node updates",
        },
      );

      const located = await locateCalicoctl();
      if ("missing" in located) {
        rows.push({
          bench: "calico",
          metric: "calicoctl export+import",
          value: undefined,
          unit: "objects/s",
          note: located.reason,
        });
      } else {
        const small = generateFixture(CALICOCTL_OBJECTS, seed);
        const etcd2 = await startLocalEtcd({ line: "current", name: "bench-calicoctl" });
        try {
          await withKube(cp.kubeConfig(), emptyKube);
          await seedCalicoEtcd(etcd2.endpoints, small);
          await prepareKubeTarget(cp.kubeConfig(), small);
          const tool = new Calicoctl(located.path);
          const store = { type: "etcdv3" as const, endpoints: etcd2.endpoints };
          await tool.lock(store);
          const c0 = performance.now();
          const text = await tool.export(store);
          const imported = await tool.import({ type: "kubernetes", kubeconfigPath: cp.kubeconfigPath }, text);
          const c1 = performance.now();
          if (imported.exitCode !== 0)
            throw new Error(`calicoctl import failed: ${imported.stderr.split("\n").pop()}`);
          const n = [...imported.stdout.matchAll(/Successfully applied (\d+)/g)].reduce(
            (s, m) => s + Number(m[1]),
            0,
          );
          rows.push({
            bench: "calico",
            metric: "calicoctl export+import",
            value: n / ((c1 - c0) / 1000),
            unit: "objects/s",
            note: `${n} objects (${CALICOCTL_OBJECTS} generated; it applies one by one at 50 QPS)`,
          });
        } finally {
          await etcd2.stop();
        }
      }
    } finally {
      await cp.stop();
      await etcd.stop();
    }
    return rows;
  },
};

import { probeDocker } from "../src/providers/containers/docker-probe.js";
import { startEtcdContainer } from "../src/providers/containers/etcd-container.js";
import { ensureEtcdImage } from "../src/providers/containers/images.js";
import { startLocalEtcd } from "../src/providers/etcd/local-etcd.js";
import { type Bench, type BenchRow, median, timed } from "./types.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

/**
 * etcd 3.6 cold start to /health: in a container (testcontainers, host network, the image already
 * built or pulled) against the same etcd as a local process, alternated in one run so both sides
 * see the same machine load. Start and stop are timed apart: a container's removal is part of
 * what a scenario pays for it.
 */
export const containersBench: Bench = {
  name: "containers",
  description: `etcd 3.6 in a container vs a local etcd 3.6 process: cold start and stop (median of ${RUNS})`,
  async run() {
    const docker = await probeDocker();
    if (!docker.available) {
      return [{ bench: "containers", metric: "not run", value: undefined, unit: "", note: docker.detail }];
    }
    const image = await ensureEtcdImage("3.6");
    const inContainer: number[] = [];
    const containerStop: number[] = [];
    const local: number[] = [];
    const localStop: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const c = await timed(() => startEtcdContainer({ name: `bench-c${i}`, image: image.image }));
      inContainer.push(c.ms);
      containerStop.push((await timed(() => c.value.stop())).ms);
      const l = await timed(() => startLocalEtcd({ name: `bench-l${i}` }));
      local.push(l.ms);
      localStop.push((await timed(() => l.value.stop())).ms);
    }
    const rows: BenchRow[] = [
      {
        bench: "containers",
        metric: "etcd 3.6 container cold start to /health (median)",
        value: median(inContainer),
        unit: "ms",
        note: `${image.image} (${image.source})`,
      },
      {
        bench: "containers",
        metric: "etcd 3.6 local cold start to /health (median)",
        value: median(local),
        unit: "ms",
      },
      {
        bench: "containers",
        metric: "container / local cold start (ratio)",
        value: median(inContainer) / Math.max(median(local), 0.001),
        unit: "x",
      },
      {
        bench: "containers",
        metric: "etcd 3.6 container stop+remove (median)",
        value: median(containerStop),
        unit: "ms",
      },
      { bench: "containers", metric: "etcd 3.6 local stop (median)", value: median(localStop), unit: "ms" },
    ];
    return rows;
  },
};

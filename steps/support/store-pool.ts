import type { Binary } from "../../src/binaries/locate.js";
import { etcdClient } from "../../src/common/etcd-client.js";
import type { BackendName } from "../../src/providers/backend.js";
import { type EtcdLine, type StartedLocalEtcd, startLocalEtcd } from "../../src/providers/etcd/local-etcd.js";
import { type KubeTarget, startKubeTarget } from "../../src/providers/kube-target.js";

/**
 * One set of stores per cucumber worker, started on first use and shared by the worker's
 * scenarios. Scenarios reset what they used instead of starting new stores; a scenario that needs
 * a store in a special shape (several members, v2 with a request limit) gets a private one.
 */
export interface PoolKeys {
  /** v2: the v2 API on etcd 3.4; v3: the v3 API only. */
  etcd: "v2" | "v3";
  members: number;
  /** Which etcd serves a v3 store: 3.6 by default, or Debian's 3.4.23 (a Calico cluster's etcd may be 3.4). */
  line?: EtcdLine;
  /** `--snapshot-count` of a v2 store (the scenario's own): forces a WAL/.snap layout. */
  snapshotCount?: number;
}

function lineOf(k: PoolKeys): EtcdLine {
  return k.line ?? (k.etcd === "v2" ? "v2-capable" : "current");
}

function keyOf(k: PoolKeys): string {
  return `${k.etcd}-${lineOf(k)}x${k.members}`;
}

export class StorePool {
  private readonly etcds = new Map<string, Promise<StartedLocalEtcd>>();
  /** One control plane per kube-apiserver version asked for ("default": the run's own). */
  private readonly controlPlanes = new Map<string, Promise<KubeTarget>>();
  private readonly workerTag = process.env.CUCUMBER_WORKER_ID ?? "0";

  etcd(keys: PoolKeys): Promise<StartedLocalEtcd> {
    const key = keyOf(keys);
    let started = this.etcds.get(key);
    if (!started) {
      started = startLocalEtcd({
        name: `pool-w${this.workerTag}-${key}`,
        members: keys.members,
        enableV2: keys.etcd === "v2",
        line: lineOf(keys),
      });
      this.etcds.set(key, started);
    }
    return started;
  }

  /**
   * The worker's Kubernetes: a local control plane, a kind cluster (docker) or the user's cluster.
   * With `binary` (a version matrix row), a local control plane running that kube-apiserver, kept
   * beside the default one for the worker's later rows of the same version.
   */
  kube(backend: BackendName, binary?: Binary): Promise<KubeTarget> {
    const key = binary ? `kube-${binary.version}` : "default";
    let started = this.controlPlanes.get(key);
    if (!started) {
      const name = binary ? `pool-w${this.workerTag}-kube-${binary.version}` : `pool-w${this.workerTag}`;
      started = startKubeTarget(backend, name, binary ? { binary } : {});
      // a start that failed is not kept: the next scenario tries again and says why itself
      started.catch(() => {
        if (this.controlPlanes.get(key) === started) this.controlPlanes.delete(key);
      });
      this.controlPlanes.set(key, started);
    }
    return started;
  }

  /** Every started store, for reconnect hints and session files; stores that failed to start are left out. */
  async started(): Promise<{ etcds: StartedLocalEtcd[]; kubes: KubeTarget[] }> {
    const fulfilled = <T>(all: PromiseSettledResult<T>[]) =>
      all.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const etcds = fulfilled(await Promise.allSettled([...this.etcds.values()]));
    const kubes = fulfilled(await Promise.allSettled([...this.controlPlanes.values()]));
    return { etcds, kubes };
  }

  /**
   * Empties an etcd between scenarios: deletes every v3 key and, with v2, every top-level v2 node.
   * A member a scenario stopped or killed is started again first, so the next scenario sees a
   * healthy cluster.
   */
  async resetEtcd(etcd: StartedLocalEtcd): Promise<void> {
    for (const m of etcd.members) if (!m.running) await m.start();
    await etcd.waitHealthy();
    const client = etcdClient(etcd.endpoints, { purpose: "store pool reset" });
    try {
      await client.delete().all();
    } finally {
      client.close();
    }
    if (etcd.options.enableV2) await deleteV2Tree(etcd.endpoints[0] ?? "");
  }

  async stopAll(): Promise<void> {
    const { etcds, kubes } = await this.started();
    await Promise.all(kubes.map((k) => k.stop()));
    await Promise.all(etcds.map((e) => e.stop()));
    this.etcds.clear();
    this.controlPlanes.clear();
  }

  /** Hands a store over to the caller (kept for an engineer): the pool neither resets nor stops it. */
  async forget(etcd: StartedLocalEtcd): Promise<void> {
    for (const [k, v] of [...this.etcds]) if ((await v) === etcd) this.etcds.delete(k);
  }

  async forgetKube(kube: KubeTarget): Promise<void> {
    for (const [k, v] of [...this.controlPlanes])
      if ((await v.catch(() => undefined)) === kube) this.controlPlanes.delete(k);
  }
}

async function deleteV2Tree(endpoint: string): Promise<void> {
  const res = await fetch(`${endpoint}/v2/keys/`);
  if (!res.ok) return;
  const body = (await res.json()) as { node?: { nodes?: Array<{ key: string; dir?: boolean }> } };
  for (const n of body.node?.nodes ?? []) {
    const q = n.dir ? "?recursive=true&dir=true" : "";
    await fetch(`${endpoint}/v2/keys${encodeURI(n.key)}${q}`, { method: "DELETE" });
  }
}

export const pool = new StorePool();

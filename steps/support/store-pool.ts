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
  private controlPlane: Promise<KubeTarget> | undefined;
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

  /** The worker's Kubernetes: a local control plane, a kind cluster (docker) or the user's cluster. */
  kube(backend: BackendName): Promise<KubeTarget> {
    this.controlPlane ??= startKubeTarget(backend, `pool-w${this.workerTag}`);
    return this.controlPlane;
  }

  /** Every started store, for reconnect hints and session files. */
  async started(): Promise<{ etcds: StartedLocalEtcd[]; kube?: KubeTarget }> {
    const etcds = await Promise.all([...this.etcds.values()]);
    const kube = this.controlPlane ? await this.controlPlane : undefined;
    return { etcds, kube };
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
    const { etcds, kube } = await this.started();
    await kube?.stop();
    await Promise.all(etcds.map((e) => e.stop()));
    this.etcds.clear();
    this.controlPlane = undefined;
  }

  /** Hands a store over to the caller (kept for an engineer): the pool neither resets nor stops it. */
  async forget(etcd: StartedLocalEtcd): Promise<void> {
    for (const [k, v] of [...this.etcds]) if ((await v) === etcd) this.etcds.delete(k);
  }

  async forgetKube(kube: KubeTarget): Promise<void> {
    if (this.controlPlane && (await this.controlPlane) === kube) this.controlPlane = undefined;
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

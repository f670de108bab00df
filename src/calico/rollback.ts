import type { CalicoEtcd } from "./etcd/store.js";
import { CALICO_NODE_ANNOTATION_KEYS } from "./kube/encoding.js";
import type { CalicoKube } from "./kube/store.js";
import { lockKubeStore, unlockEtcdStore } from "./lock.js";

/** Calico annotations import wrote on a core/v1 Node, which upstream's rollback leaves behind. */
export interface NodeLeftover {
  node: string;
  annotations: Record<string, string>;
}

export interface RollbackResult {
  crdsDeleted: string[];
  leftovers: NodeLeftover[];
  /** Annotations removed when asked to (`removeNodeAnnotations`). */
  annotationsRemoved: number;
}

/**
 * The documented rollback: lock the Kubernetes datastore, delete every Calico CRD (and with it every
 * Calico object), unlock etcd. Then report — and on request remove — the Node annotations that import
 * wrote and that deleting CRDs does not touch.
 */
export async function rollbackStores(
  kube: CalicoKube,
  etcd: CalicoEtcd,
  options: { removeNodeAnnotations?: boolean } = {},
): Promise<RollbackResult> {
  const crds = await kube.calicoCrdNames();
  // no Calico CRDs: already rolled back (or never imported); there is nothing to lock or delete
  if (crds.length > 0) {
    await lockKubeStore(kube);
    // emptied first: the CRDs' own cleanup backs off for minutes after a restart (faults finding 12).
    // ClusterInformation, which holds the lock, goes with its CRD: a Terminating CRD refuses creates,
    // so no Calico component can put back an unlocked one in between
    await kube.deleteInstances(crds.filter((n) => !n.startsWith("clusterinformations.")));
    await kube.deleteCrds(crds);
    await kube.waitCrdsGone(crds);
  }
  await unlockEtcdStore(etcd);
  const leftovers = await findNodeLeftovers(kube);
  let annotationsRemoved = 0;
  if (options.removeNodeAnnotations) annotationsRemoved = await removeNodeLeftovers(kube);
  return { crdsDeleted: crds, leftovers, annotationsRemoved };
}

export async function findNodeLeftovers(kube: CalicoKube): Promise<NodeLeftover[]> {
  const out: NodeLeftover[] = [];
  for (const node of await kube.listNodes()) {
    const annotations = Object.fromEntries(
      Object.entries(node.metadata.annotations ?? {}).filter(([k]) =>
        CALICO_NODE_ANNOTATION_KEYS.includes(k),
      ),
    );
    if (Object.keys(annotations).length > 0) out.push({ node: node.metadata.name, annotations });
  }
  return out;
}

/** Removes the Calico keys from every Node (optimistic updates, retried on conflict). Returns keys removed. */
export async function removeNodeLeftovers(kube: CalicoKube): Promise<number> {
  let removed = 0;
  for (const leftover of await findNodeLeftovers(kube)) {
    for (let attempt = 0; ; attempt++) {
      const node = await kube.getNode(leftover.node);
      if (!node) break;
      const annotations = { ...(node.metadata.annotations ?? {}) };
      let n = 0;
      for (const key of CALICO_NODE_ANNOTATION_KEYS) {
        if (key in annotations) {
          delete annotations[key];
          n++;
        }
      }
      const res = await kube.rest.request("PUT", `/api/v1/nodes/${encodeURIComponent(leftover.node)}`, {
        ...node,
        metadata: { ...node.metadata, annotations },
      });
      if (res.status >= 200 && res.status < 300) {
        removed += n;
        break;
      }
      if (res.status !== 409 || attempt >= 4)
        throw new Error(`remove Calico annotations from Node ${leftover.node}: HTTP ${res.status}`);
    }
  }
  return removed;
}

import { ApiextensionsV1Api, CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { withKube } from "../../src/calico/api.js";
import { waitUntil } from "../../src/common/wait.js";

/**
 * Returns a shared cluster to empty between scenarios. On a cluster storeshift owns, every CRD (and
 * so every custom object) and every Node go. On a cluster it does not own only Calico's CRDs and the
 * Nodes the scenario itself created go. Namespaces are left: without a controller-manager a deleted
 * namespace never finishes terminating, and an empty namespace changes no diff.
 */
export async function resetKube(
  kc: KubeConfig,
  scope: { disposable: boolean; createdNodes?: Iterable<string> } = { disposable: true },
): Promise<void> {
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const ours = (name: string) => scope.disposable || name.endsWith(".crd.projectcalico.org");
  const crds = (await ext.listCustomResourceDefinition()).items
    .map((c) => c.metadata?.name ?? "")
    .filter(ours);
  // Calico's objects first (a delete-collection per kind and namespace): the CRDs' own cleanup
  // finalizer then has nothing to delete, and that finalizer is slow on a loaded machine and backs
  // off for minutes after an API server restart (faults finding 12)
  const calico = crds.filter((name) => name.endsWith(".crd.projectcalico.org"));
  if (calico.length > 0) await withKube(kc, (kube) => kube.deleteInstances(calico));
  await Promise.all(crds.map((name) => ext.deleteCustomResourceDefinition({ name }).catch(() => undefined)));
  if (scope.disposable) await core.deleteCollectionNode({});
  else for (const name of scope.createdNodes ?? []) await core.deleteNode({ name }).catch(() => undefined);
  await waitUntil(
    "reset Kubernetes: CRDs deleted",
    async () => (await ext.listCustomResourceDefinition()).items.every((c) => !ours(c.metadata?.name ?? "")),
    { timeoutMs: 60_000, intervalMs: 100 },
  );
}

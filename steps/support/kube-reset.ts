import { ApiextensionsV1Api, CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { waitUntil } from "../../src/common/wait.js";

/**
 * Returns a shared control plane to empty between scenarios: every CRD (and so every custom
 * object) and every Node go. Namespaces are left: without a controller-manager a deleted namespace
 * never finishes terminating, and an empty namespace changes no diff.
 */
export async function resetKube(kc: KubeConfig): Promise<void> {
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const crds = await ext.listCustomResourceDefinition();
  await Promise.all(
    crds.items.map((c) =>
      ext.deleteCustomResourceDefinition({ name: c.metadata?.name ?? "" }).catch(() => undefined),
    ),
  );
  await core.deleteCollectionNode({});
  await waitUntil(
    "reset control plane: CRDs deleted",
    async () => (await ext.listCustomResourceDefinition()).items.length === 0,
    { timeoutMs: 60_000, intervalMs: 100 },
  );
}

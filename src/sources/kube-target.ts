import { kindByName } from "../calico/kinds.js";
import type { V3Object } from "../calico/model.js";

/**
 * The core/v1 Nodes and Namespaces a real cluster would have held beside a user's Calico data:
 * each Calico Node's Kubernetes node (its k8s orchRef, else its own name) and every namespace a
 * namespaced Calico object lives in. Pure.
 */
export function kubeTargetOf(resources: V3Object[]): {
  kubernetesNodes: string[];
  kubernetesNamespaces: string[];
} {
  const nodes = new Set<string>();
  const namespaces = new Set<string>();
  for (const obj of resources) {
    if (obj.kind === "Node") {
      const refs = (obj.spec?.orchRefs ?? []) as { orchestrator?: string; nodeName?: string }[];
      const k8s = refs.find((r) => r.orchestrator === "k8s" && typeof r.nodeName === "string");
      nodes.add(k8s?.nodeName ?? obj.metadata.name);
    }
    if (kindByName(obj.kind)?.scope === "Namespaced" && obj.metadata.namespace)
      namespaces.add(obj.metadata.namespace);
  }
  return { kubernetesNodes: [...nodes].sort(), kubernetesNamespaces: [...namespaces].sort() };
}

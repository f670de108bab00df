import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";

/**
 * A copy of `kc` whose current cluster is reached through the fault proxy at `proxy`: the same CA,
 * users and contexts (TLS passes through the proxy untouched, and the API server's certificate is for
 * 127.0.0.1), only the current cluster's server changed. Other clusters are left as they are.
 */
export function kubeconfigThrough(kc: KubeConfig, proxy: { host: string; port: number }): KubeConfig {
  const current = kc.getCurrentCluster();
  const out = new KubeConfig();
  out.loadFromOptions({
    clusters: kc.clusters.map((c) =>
      c.name === current?.name ? { ...c, server: `https://${proxy.host}:${proxy.port}` } : c,
    ),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return out;
}

/**
 * Writes the proxied kubeconfig as `dir/kubeconfig` (0600: it holds the client key) and returns its
 * path: calicoctl and module migrators take a path, not an object.
 */
export async function writeKubeconfigThrough(
  kc: KubeConfig,
  proxy: { host: string; port: number },
  dir: string,
): Promise<string> {
  const path = join(dir, "kubeconfig");
  await writeFile(path, kubeconfigThrough(kc, proxy).exportConfig(), { mode: 0o600 });
  return path;
}

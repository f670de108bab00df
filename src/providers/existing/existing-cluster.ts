import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { StoreshiftError } from "../../common/errors.js";

export interface ExistingCluster {
  kubeconfigPath: string;
  context: string;
  server: string;
  /** Never stops someone else's cluster. */
  stop(): Promise<void>;
}

/** Uses a cluster the user already has: KUBECONFIG (first file) or ~/.kube/config, and a context. */
export function useExistingCluster(options: { kubeconfig?: string; context?: string } = {}): ExistingCluster {
  const path =
    options.kubeconfig ??
    process.env.KUBECONFIG?.split(":").find((p) => p !== "") ??
    join(homedir(), ".kube", "config");
  if (!existsSync(path)) throw new StoreshiftError(`use existing cluster: kubeconfig ${path} does not exist`);
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(path);
  } catch (err) {
    throw new StoreshiftError(
      `use existing cluster: kubeconfig ${path} cannot be read: ${(err as Error).message}`,
    );
  }
  const context = options.context ?? kc.getCurrentContext();
  if (!kc.getContextObject(context)) {
    throw new StoreshiftError(`use existing cluster: kubeconfig ${path} has no context "${context}"`);
  }
  kc.setCurrentContext(context);
  const server = kc.getCurrentCluster()?.server ?? "";
  return { kubeconfigPath: path, context, server, stop: async () => {} };
}

import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { envVar } from "../../common/environment.js";
import { errorMessage, firstLine, StoreshiftError } from "../../common/errors.js";

export interface ExistingCluster {
  kubeconfigPath: string;
  context: string;
  server: string;
  kubeConfig(): KubeConfig;
  /** Never stops someone else's cluster. */
  stop(): Promise<void>;
}

/** Uses a cluster the user already has: KUBECONFIG (first file) or ~/.kube/config, and a context. */
export function useExistingCluster(options: { kubeconfig?: string; context?: string } = {}): ExistingCluster {
  const path =
    options.kubeconfig ??
    envVar("KUBECONFIG")
      ?.split(":")
      .find((p) => p !== "") ??
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
  return { kubeconfigPath: path, context, server, kubeConfig: () => kc, stop: async () => {} };
}

/** The label that declares a cluster disposable, on the namespace every cluster has. */
export const DISPOSABLE_LABEL = "storeshift.io/disposable";
export const DISPOSABLE_NAMESPACE = "kube-system";

/**
 * Scenarios delete every Calico CRD (and so every Calico object) and Nodes on the cluster they use.
 * On a cluster storeshift did not start that is allowed only when the cluster is declared disposable
 * twice: by the person running (`--disposable`) and on the cluster itself (the label), so neither a
 * stray flag nor a stale label alone can point the suite at a cluster that matters.
 */
export async function assertDisposable(
  cluster: Pick<ExistingCluster, "context" | "server" | "kubeConfig">,
  declaredByFlag: boolean,
): Promise<void> {
  const where = `cluster ${cluster.server} (context "${cluster.context}")`;
  const both = `both --disposable and the label ${DISPOSABLE_LABEL}=true on namespace ${DISPOSABLE_NAMESPACE}`;
  const refuse = (missing: string) =>
    new StoreshiftError(
      `--backend existing: refusing to run on ${where}: scenarios delete every Calico CRD and Nodes there, so the cluster must be declared disposable by ${both}; ${missing}`,
    );
  if (!declaredByFlag) throw refuse("--disposable was not given");
  let labels: Record<string, string>;
  try {
    const ns = await cluster
      .kubeConfig()
      .makeApiClient(CoreV1Api)
      .readNamespace({ name: DISPOSABLE_NAMESPACE });
    labels = ns.metadata?.labels ?? {};
  } catch (err) {
    throw new StoreshiftError(
      `--backend existing: read namespace ${DISPOSABLE_NAMESPACE} on ${where}: ${firstLine(errorMessage(err))}`,
    );
  }
  if (labels[DISPOSABLE_LABEL] !== "true") {
    throw refuse(
      `namespace ${DISPOSABLE_NAMESPACE} has ${DISPOSABLE_LABEL}=${labels[DISPOSABLE_LABEL] ?? "<unset>"} (\`kubectl label namespace ${DISPOSABLE_NAMESPACE} ${DISPOSABLE_LABEL}=true\` declares it)`,
    );
  }
}

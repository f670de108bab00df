import { KubeConfig } from "@kubernetes/client-node";
import type { Binary } from "../binaries/locate.js";
import { envVar } from "../common/environment.js";
import { StoreshiftError } from "../common/errors.js";
import type { BackendName } from "./backend.js";
import { assertDisposable, useExistingCluster } from "./existing/existing-cluster.js";
import { startKindCluster } from "./kind/kind-cli.js";
import { probeKind } from "./kind/kind-usable.js";
import { type StartedLocalControlPlane, startLocalControlPlane } from "./kube/local-control-plane.js";

/**
 * A Kubernetes API server a scenario can use, whichever backend provides it. Only the local control
 * plane exposes its etcd (raw /registry/ keys) and may be emptied wholesale between scenarios.
 */
export interface KubeTarget {
  backend: BackendName;
  name: string;
  kubeconfigPath: string;
  /** The backing etcd's client URL, when storeshift runs it. */
  etcdEndpoint?: string;
  /** True when storeshift owns the whole cluster, so a reset may delete every CRD and Node. */
  disposable: boolean;
  kubeConfig(): KubeConfig;
  stop(): Promise<void>;
  /** The local control plane behind this target, when there is one (for keep-on-failure sessions). */
  local?: StartedLocalControlPlane;
}

function fromKubeconfig(path: string, context?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  if (context) kc.setCurrentContext(context);
  return kc;
}

async function startLocal(backend: BackendName, name: string, binary?: Binary): Promise<KubeTarget> {
  const cp = await startLocalControlPlane({ name, ...(binary ? { binary } : {}) });
  return {
    backend,
    name,
    kubeconfigPath: cp.kubeconfigPath,
    etcdEndpoint: cp.etcdEndpoint,
    disposable: true,
    kubeConfig: () => cp.kubeConfig(),
    stop: () => cp.stop(),
    local: cp,
  };
}

/**
 * The docker backend's Kubernetes: kind where it can run, else the local control plane (the reason,
 * from probeKind, is in the run's backend reason), so container scenarios still run where the engine
 * refuses the privileged containers kind needs.
 */
export async function startKubeTarget(
  backend: BackendName,
  name: string,
  options: { binary?: Binary } = {},
): Promise<KubeTarget> {
  // a chosen kube-apiserver binary is a local control plane's: kind and a user's cluster run their own
  if (options.binary && backend !== "local")
    throw new StoreshiftError(
      `start Kubernetes ${name}: kube-apiserver ${options.binary.version} can only be chosen on the local backend, not ${backend}`,
    );
  switch (backend) {
    case "local":
      return startLocal(backend, name, options.binary);
    case "docker": {
      if (!(await probeKind()).usable) return startLocal(backend, name);
      const cluster = await startKindCluster({ name: `storeshift-${name}`.slice(0, 40), reuse: true });
      return {
        backend,
        name: cluster.name,
        kubeconfigPath: cluster.kubeconfigPath,
        disposable: !cluster.reused,
        kubeConfig: () => fromKubeconfig(cluster.kubeconfigPath),
        stop: () => cluster.stop(),
      };
    }
    case "existing": {
      const existing = useExistingCluster({ context: envVar("STORESHIFT_KUBE_CONTEXT") });
      // `storeshift run` checked both declarations before anything ran; the label is checked again
      // here, so the step library used without the runner cannot reach an undeclared cluster either
      await assertDisposable(existing, true);
      return {
        backend,
        name: existing.context,
        kubeconfigPath: existing.kubeconfigPath,
        disposable: false,
        kubeConfig: () => fromKubeconfig(existing.kubeconfigPath, existing.context),
        stop: () => existing.stop(),
      };
    }
    default:
      throw new StoreshiftError(`start Kubernetes: unknown backend ${backend as string}`);
  }
}

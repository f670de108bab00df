import type { KubeConfig } from "@kubernetes/client-node";
import { StoreshiftError, wrapError } from "../common/errors.js";
import { CalicoEtcd } from "./etcd/store.js";
import { buildExport, type ExportOptions, exportText, type SkippedObject } from "./export/build.js";
import { type ImportOptions, type ImportResult, importExport } from "./import.js";
import { CRD_KINDS } from "./kinds.js";
import { type CrdManifest, generatedCrds } from "./kube/crds.js";
import { fromCustomResource, type KubeObject } from "./kube/encoding.js";
import { CalicoKube } from "./kube/store.js";
import {
  createBuiltinTiersKube,
  isEtcdLocked,
  lockEtcdStore,
  lockKubeStore,
  NOT_LOCKED_MESSAGE,
  unlockEtcdStore,
  unlockKubeStore,
} from "./lock.js";
import type { CalicoEtcdData, V3Object } from "./model.js";
import { type RollbackResult, rollbackStores } from "./rollback.js";

/**
 * The small library surface the CLI, the Gherkin steps and the benchmarks use. Each call opens its
 * own connections and closes them; stores are addressed by etcd endpoints and a KubeConfig.
 */

/** `signal`: a cancelled migration makes no further call (see common/attempt.ts). */
export async function withEtcd<T>(
  endpoints: string[],
  fn: (etcd: CalicoEtcd) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const etcd = new CalicoEtcd(endpoints, {}, signal);
  try {
    return await fn(etcd);
  } finally {
    etcd.close();
  }
}

export async function withKube<T>(
  kubeConfig: KubeConfig,
  fn: (kube: CalicoKube) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const kube = new CalicoKube(kubeConfig, 64, signal);
  try {
    return await fn(kube);
  } finally {
    kube.close();
  }
}

/**
 * The etcd client's own errors ("14 UNAVAILABLE: No connection established…") name neither the step
 * nor the store; a migration interrupted by a dead or unreachable etcd must say both.
 */
async function onEtcd<T>(operation: string, endpoints: string[], work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof StoreshiftError) throw err;
    throw wrapError(`${operation}: etcd at ${endpoints.join(",")}`, err);
  }
}

export async function lockEtcd(endpoints: string[], signal?: AbortSignal): Promise<void> {
  await onEtcd("lock etcd", endpoints, () => withEtcd(endpoints, lockEtcdStore, signal));
}
export async function unlockEtcd(endpoints: string[], signal?: AbortSignal): Promise<void> {
  await onEtcd("unlock etcd", endpoints, () => withEtcd(endpoints, unlockEtcdStore, signal));
}
export async function lockKube(kubeConfig: KubeConfig, signal?: AbortSignal): Promise<void> {
  await withKube(kubeConfig, lockKubeStore, signal);
}
export async function unlockKube(kubeConfig: KubeConfig, signal?: AbortSignal): Promise<void> {
  await withKube(kubeConfig, unlockKubeStore, signal);
}

export interface ExportResult {
  text: string;
  nodeMap: Record<string, string>;
  skipped: SkippedObject[];
}

/** `calicoctl datastore migrate export`: refuses unless the etcd datastore is locked. */
export async function exportFromEtcd(
  endpoints: string[],
  options: ExportOptions & { signal?: AbortSignal } = {},
): Promise<ExportResult> {
  return onEtcd("export", endpoints, () => exportLocked(endpoints, options));
}

async function exportLocked(
  endpoints: string[],
  options: ExportOptions & { signal?: AbortSignal },
): Promise<ExportResult> {
  return withEtcd(
    endpoints,
    async (etcd) => {
      if (!(await isEtcdLocked(etcd)))
        throw new StoreshiftError(`export: ${NOT_LOCKED_MESSAGE}`, { exitCode: 1 });
      const plan = buildExport(await etcd.read(), options);
      return { text: exportText(plan), nodeMap: plan.nodeMap, skipped: plan.skipped };
    },
    options.signal,
  );
}

/** `calicoctl datastore migrate import -f`: CRDs, emptiness check, lock, resources, IPAM. */
export async function importToKube(
  kubeConfig: KubeConfig,
  text: string,
  options: ImportOptions = {},
): Promise<ImportResult> {
  try {
    return await withKube(kubeConfig, (kube) => importExport(kube, text, options), options.signal);
  } catch (err) {
    // a failure while installing CRDs or locking (before "import:" messages) must still name the step
    throw wrapError("import", err);
  }
}

export async function rollback(
  kubeConfig: KubeConfig,
  etcdEndpoints: string[],
  options: { removeNodeAnnotations?: boolean; signal?: AbortSignal } = {},
): Promise<RollbackResult> {
  const { signal } = options;
  return onEtcd("rollback", etcdEndpoints, () =>
    withKube(
      kubeConfig,
      (kube) => withEtcd(etcdEndpoints, (etcd) => rollbackStores(kube, etcd, options), signal),
      signal,
    ),
  );
}

export async function readCalicoFromEtcd(endpoints: string[]): Promise<CalicoEtcdData> {
  return withEtcd(endpoints, (etcd) => etcd.read());
}

export interface CalicoKubeData {
  /** Calico CRs decoded back to v3 objects (metadata annotation merged), by kind; IPAM CRs included raw. */
  resources: V3Object[];
  /** The raw CRs, keyed `<Kind>/<namespace/>name`. */
  raw: Map<string, KubeObject>;
  /** core/v1 Nodes: name → annotations. */
  nodes: Record<string, Record<string, string>>;
}

export async function readCalicoFromKube(kubeConfig: KubeConfig): Promise<CalicoKubeData> {
  return withKube(kubeConfig, async (kube) => {
    const resources: V3Object[] = [];
    const raw = new Map<string, KubeObject>();
    for (const k of CRD_KINDS) {
      for (const cr of await kube.list(k.kind)) {
        const ns = cr.metadata.namespace ? `${cr.metadata.namespace}/` : "";
        raw.set(`${k.kind}/${ns}${cr.metadata.name}`, cr);
        resources.push(fromCustomResource(cr));
      }
    }
    const nodes: Record<string, Record<string, string>> = {};
    for (const n of await kube.listNodes()) nodes[n.metadata.name] = n.metadata.annotations ?? {};
    return { resources, raw, nodes };
  });
}

/**
 * Gives a fresh Kubernetes target what a real cluster already has before an import: the fixture's
 * core/v1 Nodes and Namespaces (import merges Calico Nodes into Nodes; namespaced CRs need Namespaces).
 */
export async function prepareKubeTarget(
  kubeConfig: KubeConfig,
  target: { kubernetesNodes: string[]; kubernetesNamespaces: string[] },
): Promise<void> {
  await withKube(kubeConfig, async (kube) => {
    for (const ns of target.kubernetesNamespaces) await kube.createNamespace(ns);
    for (const node of target.kubernetesNodes) await kube.createNode(node);
  });
}

/**
 * Gives a Kubernetes target Calico's CRDs (the generated ones unless given) and the built-in tiers, as a
 * cluster keeps them after anything initialised Calico there: the tiers are protected from deletion.
 */
export async function installBuiltinTiers(kubeConfig: KubeConfig, crds?: CrdManifest[]): Promise<void> {
  await withKube(kubeConfig, async (kube) => {
    await kube.installCrds(crds ?? generatedCrds());
    await createBuiltinTiersKube(kube);
  });
}

import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { wrapError } from "../../common/errors.js";
import { etcdClient } from "../../common/etcd-client.js";
import { CRD_GROUP } from "./facts.js";

/**
 * The oracles' IO: raw etcd keys and Kubernetes objects read with the plain clients, not through the
 * migrator's stores or codecs, so a decoding bug there cannot hide from the checks.
 */

/** A Calico custom resource as the API server returns it, reduced to what the oracles compare. */
export interface KubeCalicoObject {
  kind: string;
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  spec?: unknown;
  status?: unknown;
}

export interface KubeCalicoState {
  objects: KubeCalicoObject[];
  /** core/v1 Nodes with their annotations (all of them; the oracles pick the Calico ones). */
  nodes: { name: string; annotations: Record<string, string> }[];
  /** Names of installed crd.projectcalico.org CRDs. */
  crds: string[];
}

export interface RawEntry {
  key: string;
  value: string;
}

/** Every key under a prefix, sorted, values as UTF-8 text. */
export async function readEtcdPrefix(endpoints: string[], prefix: string): Promise<RawEntry[]> {
  const client = etcdClient(endpoints, { purpose: "oracle read" });
  try {
    const all = await client.getAll().prefix(prefix).strings();
    return Object.entries(all)
      .map(([key, value]) => ({ key, value }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  } catch (err) {
    throw wrapError(`oracle: read etcd ${endpoints.join(",")} prefix ${prefix}`, err);
  } finally {
    client.close();
  }
}

interface RawCr {
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: unknown;
  status?: unknown;
}

export async function readKubeCalico(kc: KubeConfig): Promise<KubeCalicoState> {
  try {
    const crdList = await kc.makeApiClient(ApiextensionsV1Api).listCustomResourceDefinition();
    const custom = kc.makeApiClient(CustomObjectsApi);
    const objects: KubeCalicoObject[] = [];
    const crds: string[] = [];
    for (const crd of crdList.items.filter((c) => c.spec.group === CRD_GROUP)) {
      crds.push(crd.metadata?.name ?? "");
      const version = crd.spec.versions.find((v) => v.storage)?.name ?? "v1";
      let token: string | undefined;
      do {
        const page = (await custom.listClusterCustomObject({
          group: CRD_GROUP,
          version,
          plural: crd.spec.names.plural,
          limit: 500,
          _continue: token,
        })) as { items: RawCr[]; metadata?: { continue?: string; _continue?: string } };
        for (const item of page.items) {
          const o: KubeCalicoObject = { kind: crd.spec.names.kind, name: item.metadata.name };
          if (item.metadata.namespace) o.namespace = item.metadata.namespace;
          if (item.metadata.labels) o.labels = item.metadata.labels;
          if (item.metadata.annotations) o.annotations = item.metadata.annotations;
          if (item.spec !== undefined) o.spec = item.spec;
          if (item.status !== undefined) o.status = item.status;
          objects.push(o);
        }
        token = page.metadata?.continue ?? page.metadata?._continue;
      } while (token);
    }
    const nodes = (await kc.makeApiClient(CoreV1Api).listNode()).items.map((n) => ({
      name: n.metadata?.name ?? "",
      annotations: n.metadata?.annotations ?? {},
    }));
    return { objects, nodes, crds: crds.sort() };
  } catch (err) {
    throw wrapError("oracle: read Calico objects from Kubernetes", err);
  }
}

/**
 * ClusterInformation default's spec.datastoreReady: false "locked", true "unlocked", missing "unset"
 * (neither: a migration step forgot it), no ClusterInformation "absent".
 */
export type LockWord = "locked" | "unlocked" | "unset" | "absent";

function lockOf(spec: unknown): LockWord {
  const ready = (spec as { datastoreReady?: unknown } | undefined)?.datastoreReady;
  return ready === false ? "locked" : ready === true ? "unlocked" : "unset";
}

export async function etcdLockState(endpoints: string[]): Promise<LockWord> {
  const key = "/calico/resources/v3/projectcalico.org/clusterinformations/default";
  const [entry] = await readEtcdPrefix(endpoints, key);
  if (!entry || entry.key !== key) return "absent";
  return lockOf((JSON.parse(entry.value) as { spec?: unknown }).spec);
}

export async function kubeLockState(kc: KubeConfig): Promise<LockWord> {
  const info = (await readKubeCalico(kc)).objects.find(
    (o) => o.kind === "ClusterInformation" && o.name === "default",
  );
  return info ? lockOf(info.spec) : "absent";
}

import { ApiextensionsV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { wrapError } from "../common/errors.js";
import { calicoIpamId, calicoResourceId } from "../snapshot/calico-etcd.js";
import { sortedInMemory } from "../snapshot/canonical.js";
import type { Snapshot, SnapshotRecord } from "../snapshot/record.js";
import { fromCustomResource } from "./kube/encoding.js";

export const CALICO_CRD_GROUP = "crd.projectcalico.org";
/** Where Calico's Kubernetes backend keeps a v3 resource's own metadata on the CRD object. */
export const CALICO_METADATA_ANNOTATION = "projectcalico.org/metadata";
const IPAM_KINDS = new Set(["IPAMBlock", "IPAMHandle", "BlockAffinity", "IPAMConfig"]);

export interface CalicoKubeReadOptions {
  /** A loaded KubeConfig; or give `kubeconfigPath` (default: KUBECONFIG / ~/.kube/config). */
  kubeConfig?: KubeConfig;
  kubeconfigPath?: string;
  context?: string;
  /** Objects per list request. */
  pageSize?: number;
  store?: string;
}

interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

/**
 * Turns a `crd.projectcalico.org/v1` object back into its `projectcalico.org/v3` form with the Calico
 * backend's own decoding (src/calico/kube/encoding.ts `fromCustomResource`: the v3 metadata comes back
 * from the `projectcalico.org/metadata` annotation, name/namespace/resourceVersion from the CR), so the
 * snapshot reader and the Calico migration agree on what a v3 object is. IPAM objects have no v3 form
 * and keep their CR shape under `ipam/<Kind>/<name>`.
 */
export function decodeCalicoCrd(object: KubeObject, kind: string): SnapshotRecord {
  const meta = object.metadata ?? {};
  const name = meta.name ?? "";
  if (IPAM_KINDS.has(kind)) {
    const { apiVersion: _apiVersion, kind: _kind, metadata: _metadata, ...body } = object;
    return { id: calicoIpamId(kind, name), kind, ...body, metadata: meta };
  }
  const v3 = fromCustomResource({
    ...object,
    apiVersion: object.apiVersion ?? "",
    kind,
    metadata: { ...meta, name },
  });
  return { ...v3, id: calicoResourceId(kind, v3.metadata.name, v3.metadata.namespace), kind };
}

export function loadKubeConfig(
  options: Pick<CalicoKubeReadOptions, "kubeConfig" | "kubeconfigPath" | "context">,
) {
  const kc = options.kubeConfig ?? new KubeConfig();
  if (!options.kubeConfig) {
    if (options.kubeconfigPath) kc.loadFromFile(options.kubeconfigPath);
    else kc.loadFromDefault();
  }
  if (options.context) kc.setCurrentContext(options.context);
  return kc;
}

/** Calico resources read from Kubernetes CRDs and decoded to v3 (format `calico`), sorted by id. */
export function readCalicoKubeSnapshot(options: CalicoKubeReadOptions): Snapshot {
  const store =
    options.store ??
    `calico-kube://${options.kubeconfigPath ?? ""}${options.context ? `#${options.context}` : ""}`;
  const meta: Record<string, string> = {};
  const records = (async function* () {
    const decoded: SnapshotRecord[] = [];
    try {
      const kc = loadKubeConfig(options);
      meta.server = kc.getCurrentCluster()?.server ?? "";
      const crds = await kc.makeApiClient(ApiextensionsV1Api).listCustomResourceDefinition();
      const custom = kc.makeApiClient(CustomObjectsApi);
      const calicoCrds = crds.items.filter((crd) => crd.spec.group === CALICO_CRD_GROUP);
      for (const crd of calicoCrds) {
        const version = crd.spec.versions.find((v) => v.storage)?.name ?? "v1";
        let continueToken: string | undefined;
        do {
          const page = (await custom.listClusterCustomObject({
            group: CALICO_CRD_GROUP,
            version,
            plural: crd.spec.names.plural,
            limit: options.pageSize ?? 500,
            _continue: continueToken,
          })) as { items: KubeObject[]; metadata?: { _continue?: string; continue?: string } };
          for (const item of page.items) decoded.push(decodeCalicoCrd(item, crd.spec.names.kind));
          continueToken = page.metadata?._continue ?? page.metadata?.continue;
        } while (continueToken);
      }
    } catch (err) {
      throw wrapError(`snapshot ${store}`, err);
    }
    yield* sortedInMemory(
      (async function* () {
        yield* decoded;
      })(),
    );
  })();
  return {
    header: { storeshiftSnapshot: 1, format: "calico", store, capturedAt: new Date().toISOString(), meta },
    records,
  };
}

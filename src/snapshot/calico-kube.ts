import { ApiextensionsV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { wrapError } from "../common/errors.js";
import { calicoIpamId, calicoResourceId } from "./calico-etcd.js";
import { sortedInMemory } from "./canonical.js";
import type { Snapshot, SnapshotRecord } from "./record.js";

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
 * Turns a `crd.projectcalico.org/v1` object back into its `projectcalico.org/v3` form: the v3 metadata
 * stored in the `projectcalico.org/metadata` annotation is restored; namespace and the server-managed
 * fields come from the CR. IPAM objects have no v3 form and keep their CR shape under `ipam/<Kind>/<name>`.
 * A minimal decode (owner references are not translated from v1 to v3 kinds, UIDs are not re-derived).
 */
export function decodeCalicoCrd(object: KubeObject, kind: string): SnapshotRecord {
  const meta = object.metadata ?? {};
  const name = meta.name ?? "";
  const { apiVersion: _apiVersion, kind: _kind, metadata: _metadata, ...body } = object;
  if (IPAM_KINDS.has(kind)) {
    return { id: calicoIpamId(kind, name), kind, ...body, metadata: meta };
  }
  const annotations = { ...(meta.annotations ?? {}) };
  let restored: Record<string, unknown> = {};
  const stored = annotations[CALICO_METADATA_ANNOTATION];
  delete annotations[CALICO_METADATA_ANNOTATION];
  if (stored !== undefined) {
    try {
      restored = JSON.parse(stored) as Record<string, unknown>;
    } catch {
      restored = { [`${CALICO_METADATA_ANNOTATION}(unparsable)`]: stored };
    }
  }
  // The annotation holds the v3 labels and annotations in full; the CR only keeps Calico's own, so the
  // CR's are a fallback. Policy kinds keep their v3 name in the annotation too.
  const metadata: Record<string, unknown> = { ...restored };
  metadata.name = typeof restored.name === "string" && restored.name !== "" ? restored.name : meta.name;
  if (meta.namespace) metadata.namespace = meta.namespace;
  for (const field of ["resourceVersion", "uid", "creationTimestamp", "generation", "managedFields"]) {
    if (meta[field] !== undefined && metadata[field] === undefined) metadata[field] = meta[field];
  }
  if (metadata.labels === undefined && meta.labels) metadata.labels = meta.labels;
  if (metadata.annotations === undefined && Object.keys(annotations).length > 0)
    metadata.annotations = annotations;
  const v3Name = String(metadata.name);
  return {
    id: calicoResourceId(kind, v3Name, meta.namespace),
    kind,
    ...body,
    apiVersion: "projectcalico.org/v3",
    metadata,
  };
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

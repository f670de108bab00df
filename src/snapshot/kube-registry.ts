import { wrapError } from "../common/errors.js";
import { type EtcdV3ReadOptions, keyValueRecord, openEtcdClient, rawKeyspaceRecords } from "./etcd-v3.js";
import type { Snapshot, SnapshotRecord } from "./record.js";

export const REGISTRY_PREFIX = "/registry/";

/**
 * `/registry/pods/ns/x` → `pods`; `/registry/crd.projectcalico.org/ippools/p` → `crd.projectcalico.org/ippools`
 * (custom resources are stored under their group first).
 */
export function registryKind(id: string): string {
  if (!id.startsWith(REGISTRY_PREFIX)) return "(not registry)";
  const [first = "", second = ""] = id.slice(REGISTRY_PREFIX.length).split("/");
  return first.includes(".") && second !== "" ? `${first}/${second}` : first;
}

/**
 * JSON-stored objects (custom resources, some built-ins) get their value parsed into `object`, so ignore
 * rules and the report can address fields such as `object.metadata.uid`. Protobuf values (`k8s\0…`)
 * are not UTF-8 and stay as exact base64 in `value`.
 */
export function registryRecord(record: SnapshotRecord): SnapshotRecord {
  const value = record.value;
  if (typeof value !== "string" || !value.startsWith("{")) return record;
  try {
    const object = JSON.parse(value) as unknown;
    const { id, kind, createRevision, key, lease, modRevision, version } = record;
    return { id, kind, createRevision, key, lease, modRevision, object, version };
  } catch {
    return record;
  }
}

/** Raw `/registry/` keys of a control plane's etcd (format `kube-registry`). */
export function readKubeRegistrySnapshot(
  options: Omit<EtcdV3ReadOptions, "prefix"> & { prefix?: string },
): Snapshot {
  const prefix = options.prefix ?? REGISTRY_PREFIX;
  const store =
    options.store ?? `kube-registry://${(options.endpoints[0] ?? "").replace(/^[a-z]+:\/\//, "")}`;
  const meta: Record<string, string> = {};
  const records = (async function* () {
    const client = openEtcdClient(options.endpoints, options.client);
    try {
      const pageOptions = {
        prefix,
        pageSize: options.pageSize,
        onRevision: (revision: string) => {
          meta.revision = revision;
        },
      };
      yield* rawKeyspaceRecords(client, pageOptions, (kv) =>
        registryRecord(keyValueRecord(kv, registryKind)),
      );
    } catch (err) {
      throw wrapError(`snapshot ${store}`, err);
    } finally {
      client.close();
    }
  })();
  return {
    header: {
      storeshiftSnapshot: 1,
      format: "kube-registry",
      store,
      capturedAt: new Date().toISOString(),
      meta,
    },
    records,
  };
}

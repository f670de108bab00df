import { wrapError } from "../common/errors.js";
import { sortedInMemory } from "./canonical.js";
import { type EtcdV3ReadOptions, openEtcdClient, readEtcdV3KeyValues } from "./etcd-v3.js";
import { bytesToField, bytesToId, type Snapshot, type SnapshotRecord } from "./record.js";

export const CALICO_RESOURCES_PREFIX = "/calico/resources/v3/projectcalico.org/";
export const CALICO_IPAM_PREFIX = "/calico/ipam/v2/";

/** Plural resource path segment → Calico v3 kind, for values that do not carry their own `kind`. */
export const CALICO_KIND_BY_PLURAL: Record<string, string> = {
  bgpconfigurations: "BGPConfiguration",
  bgpfilters: "BGPFilter",
  bgppeers: "BGPPeer",
  caliconodestatuses: "CalicoNodeStatus",
  clusterinformations: "ClusterInformation",
  felixconfigurations: "FelixConfiguration",
  globalnetworkpolicies: "GlobalNetworkPolicy",
  globalnetworksets: "GlobalNetworkSet",
  hostendpoints: "HostEndpoint",
  ippools: "IPPool",
  ipreservations: "IPReservation",
  kubecontrollersconfigurations: "KubeControllersConfiguration",
  networkpolicies: "NetworkPolicy",
  networksets: "NetworkSet",
  nodes: "Node",
  profiles: "Profile",
  stagedglobalnetworkpolicies: "StagedGlobalNetworkPolicy",
  stagedkubernetesnetworkpolicies: "StagedKubernetesNetworkPolicy",
  stagednetworkpolicies: "StagedNetworkPolicy",
  tiers: "Tier",
  workloadendpoints: "WorkloadEndpoint",
};

/** The id every Calico reader and mapping agrees on for a v3 resource. */
export function calicoResourceId(kind: string, name: string, namespace?: string): string {
  return namespace
    ? `projectcalico.org/v3/${kind}/${namespace}/${name}`
    : `projectcalico.org/v3/${kind}/${name}`;
}

/** The id of an IPAM object: `ipam/<Kind>/<name>`. */
export function calicoIpamId(kind: string, name: string): string {
  return `ipam/${kind}/${name}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Decodes one Calico etcd key-value into a record, or undefined for keys outside resources and IPAM.
 * Values that are not JSON are kept as `raw` (text or base64) so nothing is lost.
 */
export function calicoEtcdRecord(key: Buffer, value: Buffer): SnapshotRecord | undefined {
  const keyText = bytesToId(key);
  const valueField = bytesToField(value);
  const parsed = typeof valueField === "string" ? parseJson(valueField) : undefined;
  if (keyText.startsWith(CALICO_RESOURCES_PREFIX)) {
    const parts = keyText.slice(CALICO_RESOURCES_PREFIX.length).split("/");
    const plural = parts[0] ?? "";
    const namespaced = parts.length >= 3;
    const namespace = namespaced ? parts[1] : undefined;
    const name = parts.slice(namespaced ? 2 : 1).join("/");
    const object = (parsed && typeof parsed === "object" ? parsed : {}) as Record<string, unknown>;
    const kind =
      typeof object.kind === "string"
        ? object.kind
        : (CALICO_KIND_BY_PLURAL[plural] ?? `(unknown:${plural})`);
    const record: SnapshotRecord = { ...object, id: calicoResourceId(kind, name, namespace), kind };
    if (record.apiVersion === undefined) record.apiVersion = "projectcalico.org/v3";
    if (parsed === undefined) record.raw = valueField;
    return record;
  }
  if (keyText.startsWith(CALICO_IPAM_PREFIX)) {
    const rest = keyText.slice(CALICO_IPAM_PREFIX.length);
    const parts = rest.split("/");
    let kind = "IPAMOther";
    let name = rest;
    if (parts[0] === "assignment" && parts[2] === "block") {
      kind = "IPAMBlock";
      name = parts.slice(3).join("/");
    } else if (parts[0] === "handle") {
      kind = "IPAMHandle";
      name = parts.slice(1).join("/");
    } else if (parts[0] === "host" && parts[3] === "block") {
      kind = "BlockAffinity";
      name = `${parts[1]}/${parts.slice(4).join("/")}`;
    } else if (parts[0] === "config") {
      kind = "IPAMConfig";
      name = "default";
    }
    const record: SnapshotRecord = { id: calicoIpamId(kind, name), kind, key: keyText };
    if (parsed !== undefined) record.data = parsed;
    else record.raw = valueField;
    return record;
  }
  return undefined;
}

/**
 * Calico resources and IPAM objects decoded from an etcd v3 datastore (format `calico`). Record ids
 * are by kind, not by key, so the decoded records are sorted in memory (Calico stores are small).
 */
export function readCalicoEtcdSnapshot(options: Omit<EtcdV3ReadOptions, "prefix">): Snapshot {
  const store = options.store ?? `calico-etcd://${(options.endpoints[0] ?? "").replace(/^[a-z]+:\/\//, "")}`;
  const meta: Record<string, string> = {};
  const records = (async function* () {
    const client = openEtcdClient(options.endpoints, options.client);
    try {
      const decoded = (async function* () {
        for (const prefix of [CALICO_RESOURCES_PREFIX, CALICO_IPAM_PREFIX]) {
          const raw = readEtcdV3KeyValues(client, {
            prefix,
            pageSize: options.pageSize,
            onRevision: (revision) => {
              meta.revision ??= revision;
            },
          });
          for await (const kv of raw) {
            const record = calicoEtcdRecord(kv.key, kv.value);
            if (record) yield record;
          }
        }
      })();
      yield* sortedInMemory(decoded);
    } catch (err) {
      throw wrapError(`snapshot ${store}`, err);
    } finally {
      client.close();
    }
  })();
  return {
    header: { storeshiftSnapshot: 1, format: "calico", store, capturedAt: new Date().toISOString(), meta },
    records,
  };
}

import type { Mapping, MappingContext } from "../diff/mapping.js";
import { compareIds, type RecordStream, type SnapshotRecord } from "../snapshot/record.js";
import { resourceKey } from "./etcd/keys.js";
import { decodeCalicoEntries } from "./etcd/store.js";
import { buildExport, type QuirkMode } from "./export/build.js";
import { kindByName } from "./kinds.js";
import {
  affinityToCustomResource,
  blockToCustomResource,
  configToCustomResource,
  createMetadata,
  fromCustomResource,
  handleToCustomResource,
  type KubeObject,
  toCustomResource,
} from "./kube/encoding.js";
import type { V3Object } from "./model.js";

/**
 * The diff's view of the Calico migration: `calico` records read from etcd in, the `calico` records
 * a Kubernetes snapshot should hold after export + import out. It runs the same export planner and
 * Kubernetes encoders the migration uses, so the diff, the migrator and the differential tests cannot
 * drift apart. Options: `mode` ("storeshift" | "upstream") as for export.
 */

/** etcd keys of the source records: v3 resources from their id, IPAM from the key the reader kept. */
function entryOf(record: SnapshotRecord): { key: string; value: string; modRevision: string } | undefined {
  if (typeof record.key === "string" && record.id.startsWith("ipam/")) {
    return { key: record.key, value: JSON.stringify(record.data ?? {}), modRevision: "0" };
  }
  const match = /^projectcalico\.org\/v3\/([^/]+)\/(.+)$/.exec(record.id);
  if (!match?.[1] || !match[2] || !kindByName(match[1])) return undefined;
  const kind = kindByName(match[1]);
  const rest = match[2];
  const [namespace, name] =
    kind?.scope === "Namespaced"
      ? [rest.split("/")[0], rest.split("/").slice(1).join("/")]
      : [undefined, rest];
  const { id: _id, raw: _raw, ...object } = record;
  return {
    key: resourceKey(match[1], name ?? "", namespace),
    value: JSON.stringify(object),
    modRevision: "0",
  };
}

function asRecord(cr: KubeObject, ipam: boolean): SnapshotRecord {
  if (ipam) {
    const { apiVersion: _a, kind, metadata, ...body } = cr;
    return { id: `ipam/${kind}/${metadata.name}`, kind, ...body, metadata };
  }
  const v3 = fromCustomResource(cr);
  const ns = v3.metadata.namespace ? `${v3.metadata.namespace}/` : "";
  const record: SnapshotRecord = {
    ...v3,
    id: `projectcalico.org/v3/${v3.kind}/${ns}${v3.metadata.name}`,
    kind: v3.kind,
  };
  // the API server drops status on create where the CRD has a status subresource
  if (kindByName(v3.kind)?.statusSubresource) delete record.status;
  return record;
}

async function expected(source: RecordStream, context: MappingContext): Promise<SnapshotRecord[]> {
  const mode: QuirkMode = context.options.mode === "upstream" ? "upstream" : "storeshift";
  const sourceRecords: SnapshotRecord[] = [];
  for await (const record of source) sourceRecords.push(record);
  const entries = sourceRecords.flatMap((r) => {
    const e = entryOf(r);
    if (!e) {
      context.account({
        record: r,
        rule: "calico/not-migrated",
        reason: "not a Calico resource or IPAM object the migration reads",
      });
      return [];
    }
    return [e];
  });
  const data = decodeCalicoEntries(
    entries.sort((a, b) => compareIds(a.key, b.key)),
    "0",
  );
  const plan = buildExport(data, { mode });
  const byId = new Map(sourceRecords.map((r) => [r.id, r]));
  for (const s of plan.skipped) {
    const id = `projectcalico.org/v3/${s.kind}/${s.namespace ? `${s.namespace}/` : ""}${s.name}`;
    context.account({ record: byId.get(id) ?? { id, kind: s.kind }, rule: s.rule, reason: s.reason });
  }
  const out: SnapshotRecord[] = [];
  const now = "1970-01-01T00:00:00Z";
  for (const list of plan.lists) {
    for (const item of list.items) {
      if (item.kind === "Node") {
        context.account({
          record: { id: `projectcalico.org/v3/Node/${item.metadata.name}`, kind: "Node" },
          rule: "calico/node-as-annotations",
          reason: "a Calico Node becomes annotations on the core/v1 Node of its k8s orchRef name",
        });
        continue;
      }
      out.push(asRecord(toCustomResource({ ...item, metadata: createMetadata(item, now) }), false));
    }
  }
  const info = plan.clusterInformation;
  const infoObj: V3Object = {
    kind: "ClusterInformation",
    apiVersion: "projectcalico.org/v3",
    metadata: { name: "default" },
    spec: {
      clusterGUID: info.spec?.clusterGUID ?? "",
      clusterType: "kdd",
      ...(info.spec?.calicoVersion !== undefined ? { calicoVersion: info.spec.calicoVersion } : {}),
      datastoreReady: true,
    },
  };
  out.push(asRecord(toCustomResource({ ...infoObj, metadata: createMetadata(infoObj, now) }), false));
  for (const e of plan.ipam.block_affinities ?? []) out.push(asRecord(affinityToCustomResource(e), true));
  for (const e of plan.ipam.blocks ?? []) out.push(asRecord(blockToCustomResource(e), true));
  for (const e of plan.ipam.handles ?? []) out.push(asRecord(handleToCustomResource(e), true));
  if (plan.ipam.config) out.push(asRecord(configToCustomResource(plan.ipam.config), true));
  // several etcd nodes may rename per-node configs onto one name: the last one wins, as on import
  const unique = new Map(out.map((r) => [r.id, r]));
  return [...unique.values()].sort((a, b) => compareIds(a.id, b.id));
}

export const mapping: Mapping = {
  name: "calico-etcd-to-kube",
  description: "Calico etcdv3 datastore → Kubernetes datastore (calicoctl datastore migrate export + import)",
  preservesOrder: true,
  map(source, context) {
    return (async function* () {
      yield* await expected(source, context);
    })();
  },
  ignoreRules: [
    {
      name: "calico/server-metadata",
      description:
        "the API server assigns uid, resourceVersion, generation and managedFields; import stamps a new creation time",
      paths: [
        "metadata.uid",
        "metadata.resourceVersion",
        "metadata.generation",
        "metadata.managedFields",
        "metadata.creationTimestamp",
        "metadata.annotations.projectcalico.org/metadata",
      ],
      source: "calico-etcd-to-kube",
    },
    {
      name: "calico/datastore-lock",
      description: "import leaves the Kubernetes datastore locked until `unlock` after the rollout",
      kinds: ["ClusterInformation"],
      paths: ["spec.datastoreReady"],
      source: "calico-etcd-to-kube",
    },
  ],
};

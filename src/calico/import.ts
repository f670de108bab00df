import { StoreshiftError } from "../common/errors.js";
import type { QuirkMode } from "./export/build.js";
import { type ParsedExport, parseExport } from "./export/format.js";
import { EXPORTED_KINDS, isProtectedTier, KNP_MIRROR_PREFIX } from "./kinds.js";
import { KubeError } from "./kube/client.js";
import { type CrdManifest, generatedCrds } from "./kube/crds.js";
import {
  affinityToCustomResource,
  blockToCustomResource,
  configToCustomResource,
  createMetadata,
  handleToCustomResource,
  type KubeObject,
  mergeCalicoNodeAnnotations,
  toCustomResource,
} from "./kube/encoding.js";
import type { CalicoKube } from "./kube/store.js";
import { ensureInitializedKube, isKubeLocked, lockKubeStore, nowTimestamp } from "./lock.js";
import type { V3Object } from "./model.js";

export interface ImportOptions {
  /** Name used in error messages (the file path, or "-" for stdin). */
  fileName?: string;
  /** CRDs to install instead of the generated ones (e.g. Calico's own, from a release). */
  crds?: CrdManifest[];
  /** Requests in flight at once within one kind (calicoctl applies one by one at 50 QPS). */
  concurrency?: number;
  /** "upstream" reproduces calicoctl's quirks (byte split on "===\n", empty IPAM is an error). */
  mode?: QuirkMode;
  /** Cancels the import: no request is sent after it aborts (common/attempt.ts). */
  signal?: AbortSignal;
}

export interface ImportResult {
  /** v3 resources applied (created or updated), Nodes included, as calicoctl's "applied N". */
  applied: number;
  created: number;
  updated: number;
  /** Calico Nodes merged into existing core/v1 Nodes. */
  nodesUpdated: string[];
  /** Calico Nodes whose core/v1 Node does not exist: skipped with a warning, as upstream. */
  nodesSkipped: string[];
  ipamCreated: number;
  ipamTotal: number;
  warnings: string[];
  /** calicoctl's messages, in order, for the CLI to print. */
  messages: string[];
  /** Wall time of each phase in ms: crds, check, lock, resources, clusterInformation, ipam. */
  timings: Record<string, number>;
}

export const NOT_KUBERNETES_MESSAGE =
  "invalid datastore type: etcdv3 to import to for datastore migration. Datastore type must be kubernetes";

/**
 * `calicoctl datastore migrate import` into a Kubernetes datastore. The whole file is parsed and
 * validated before the first write. Leaves the Kubernetes datastore locked, as upstream.
 */
export async function importExport(
  kube: CalicoKube,
  exportText: string,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const fileName = options.fileName ?? "export";
  const mode = options.mode ?? "storeshift";
  const parsed = parseExport(exportText, fileName, { mode });
  const result: ImportResult = {
    applied: 0,
    created: 0,
    updated: 0,
    nodesUpdated: [],
    nodesSkipped: [],
    ipamCreated: 0,
    ipamTotal: 0,
    warnings: [],
    messages: [],
    timings: {},
  };
  let mark = performance.now();
  const phase = (name: string) => {
    const now = performance.now();
    result.timings[name] = Math.round(now - mark);
    mark = now;
  };
  const concurrency = options.concurrency ?? 32;

  if (mode === "storeshift") refuseDuplicates(parsed, fileName);
  await kube.installCrds(options.crds ?? generatedCrds());
  phase("crds");
  await checkTargetEmpty(kube);
  phase("check");
  await ensureInitializedKube(kube);
  if (!(await isKubeLocked(kube))) {
    await lockKubeStore(kube);
    result.messages.push("Datastore locked.");
  }
  phase("lock");
  await applyResources(kube, parsed, concurrency, result);
  result.messages.push(`Successfully applied ${result.applied} resource(s)`);
  phase("resources");
  await copyClusterInformation(kube, parsed.clusterInformation);
  phase("clusterInformation");
  await importIpam(kube, parsed, concurrency, mode, result);
  if (mode === "storeshift") warnAboutOrphanedIpam(parsed, result);
  phase("ipam");
  result.messages.push(
    "Datastore information successfully imported. Please refer to the datastore migration documentation for next steps.",
  );
  return result;
}

/**
 * An export (e.g. calicoctl's, or one made with --upstream-quirks) may hold two objects with one name,
 * when several etcd nodes map to one Kubernetes node; applying both keeps only the last one. Refused
 * before the first write, naming the entries.
 */
function refuseDuplicates(parsed: ParsedExport, fileName: string): void {
  const seen = new Map<string, number>();
  const duplicates: string[] = [];
  for (const r of parsed.resources) {
    const id = describe(r);
    const count = (seen.get(id) ?? 0) + 1;
    seen.set(id, count);
    if (count === 2) duplicates.push(id);
  }
  const ipamKeys = [
    ...(parsed.ipam.block_affinities ?? []),
    ...(parsed.ipam.blocks ?? []),
    ...(parsed.ipam.handles ?? []),
  ].map((e) => e.Key);
  const keyCount = new Map<string, number>();
  for (const key of ipamKeys) keyCount.set(key, (keyCount.get(key) ?? 0) + 1);
  for (const [key, count] of keyCount) if (count > 1) duplicates.push(`IPAM key ${key}`);
  if (duplicates.length > 0)
    throw new StoreshiftError(
      `import: collision in ${fileName}: more than one entry for ${duplicates.join(", ")} (several etcd nodes mapped to one Kubernetes node?); refusing to import, nothing was written. Use --upstream-quirks for calicoctl's last-one-wins`,
      { exitCode: 1 },
    );
}

/**
 * The target must hold no Calico data yet: every exported kind (Nodes excepted) and
 * ClusterInformation, with upstream's tolerances (`knp.default.*` policies, protected tiers), and no
 * IPAM objects. Unlike upstream, staged namespaced policies are checked in every namespace.
 */
export async function checkTargetEmpty(kube: CalicoKube): Promise<void> {
  const kinds = [...EXPORTED_KINDS.map((k) => k.kind).filter((k) => k !== "Node"), "ClusterInformation"];
  kinds.push("BlockAffinity", "IPAMBlock", "IPAMHandle", "IPAMConfig");
  for (const kind of kinds) {
    const items = await kube.list(kind);
    const blocking = items.find((item) => {
      if (kind === "NetworkPolicy" && item.metadata.name.startsWith(KNP_MIRROR_PREFIX)) return false;
      if (kind === "Tier" && isProtectedTier(item.metadata.name)) return false;
      return true;
    });
    if (blocking) {
      const where = blocking.metadata.namespace ? `${blocking.metadata.namespace}/` : "";
      throw new StoreshiftError(
        `import: datastore already has Calico resources: found existing Calico ${kind} resource ${where}${blocking.metadata.name}. Clear out all Calico resources by deleting all Calico CRDs`,
      );
    }
  }
}

async function inBatches<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(workers);
}

function describe(obj: V3Object): string {
  return `${obj.kind} ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ""}${obj.metadata.name}`;
}

async function applyResources(
  kube: CalicoKube,
  parsed: ParsedExport,
  concurrency: number,
  result: ImportResult,
): Promise<void> {
  const errors: string[] = [];
  const now = nowTimestamp();
  warnAboutMergedNodes(parsed.resources, result);
  const apply = async (obj: V3Object) => {
    try {
      if (obj.kind === "Node") await applyNode(kube, obj, result);
      else await applyCustomResource(kube, obj, now, result);
    } catch (err) {
      errors.push(`${describe(obj)}: ${(err as Error).message}`);
    }
  };
  // Tiers first (policies name them); the API server checks no other dependency between kinds, so the
  // rest goes in one pool. Several etcd nodes can map to one Kubernetes Node: those are applied in
  // file order within their group, so the last one wins as upstream, while other Nodes run in parallel.
  await inBatches(
    parsed.resources.filter((r) => r.kind === "Tier"),
    concurrency,
    apply,
  );
  const nodeGroups = new Map<string, V3Object[]>();
  for (const r of parsed.resources)
    if (r.kind === "Node") nodeGroups.set(r.metadata.name, [...(nodeGroups.get(r.metadata.name) ?? []), r]);
  const units: (() => Promise<void>)[] = [
    ...parsed.resources.filter((r) => r.kind !== "Tier" && r.kind !== "Node").map((r) => () => apply(r)),
    ...[...nodeGroups.values()].map((group) => async () => {
      for (const node of group) await apply(node);
    }),
  ];
  await inBatches(units, concurrency, (unit) => unit());
  if (errors.length > 0)
    throw new StoreshiftError(
      `import: hit ${errors.length} error(s) applying resources: ${errors.slice(0, 3).join("; ")}`,
      {
        exitCode: 1,
      },
    );
  if (result.applied === 0 && parsed.resources.length > 0)
    throw new StoreshiftError("import: failed to apply any resources", { exitCode: 1 });
}

/**
 * A Calico Node skipped for want of its core/v1 Node keeps its IPAM: upstream imports those blocks
 * and affinities without a word, so nothing tells the operator they belong to no node (upstream case
 * C-04). storeshift imports them too (the node may join later) and names them.
 */
function warnAboutOrphanedIpam(parsed: ParsedExport, result: ImportResult): void {
  for (const node of new Set(result.nodesSkipped)) {
    const affinities = (parsed.ipam.block_affinities ?? []).filter((e) => e.Key.includes(`/host/${node}/`));
    const blocks = (parsed.ipam.blocks ?? []).filter(
      (e) => (e.Value as { affinity?: string } | null)?.affinity === `host:${node}`,
    );
    if (affinities.length + blocks.length === 0) continue;
    const cidrs = blocks.map((b) => (b.Value as { cidr?: string }).cidr).join(", ");
    result.warnings.push(
      `[WARNING] IPAM of skipped node ${node} is orphaned: ${affinities.length} block affinit${affinities.length === 1 ? "y" : "ies"} and ${blocks.length} block(s)${cidrs ? ` (${cidrs})` : ""} name a node that is not in Kubernetes`,
    );
  }
}

/** Upstream silently lets the last of several etcd nodes win; storeshift says so. */
function warnAboutMergedNodes(resources: V3Object[], result: ImportResult): void {
  const seen = new Map<string, number>();
  for (const r of resources)
    if (r.kind === "Node") seen.set(r.metadata.name, (seen.get(r.metadata.name) ?? 0) + 1);
  for (const [name, count] of seen) {
    if (count > 1)
      result.warnings.push(
        `[WARNING] ${count} Calico Nodes map to Kubernetes Node ${name}; only the last one's data is kept`,
      );
  }
}

async function applyCustomResource(kube: CalicoKube, obj: V3Object, now: string, result: ImportResult) {
  const cr = toCustomResource({ ...obj, metadata: createMetadata(obj, now) });
  const res = await kube.rest.request("POST", kube.collectionPath(obj.kind, obj.metadata.namespace), cr);
  if (res.status >= 200 && res.status < 300) {
    result.created++;
    result.applied++;
    return;
  }
  if (res.status !== 409) throw new KubeError("POST", kube.collectionPath(obj.kind), res.status, res.body);
  // AlreadyExists: get + update, retried on conflicts, like calicoctl apply
  for (let attempt = 0; ; attempt++) {
    const current = await kube.get(obj.kind, obj.metadata.name, obj.metadata.namespace);
    if (!current) {
      // deleted between our create and get: create once more, as apply would on its next round
      if (attempt >= 4) throw new StoreshiftError(`apply ${describe(obj)}: it keeps disappearing`);
      const again = await kube.rest.request(
        "POST",
        kube.collectionPath(obj.kind, obj.metadata.namespace),
        cr,
      );
      if (again.status >= 200 && again.status < 300) {
        result.created++;
        result.applied++;
        return;
      }
      continue;
    }
    const update: KubeObject = {
      ...cr,
      metadata: { ...cr.metadata, resourceVersion: current.metadata.resourceVersion },
    };
    const put = await kube.rest.request(
      "PUT",
      kube.objectPath(obj.kind, obj.metadata.name, obj.metadata.namespace),
      update,
    );
    if (put.status >= 200 && put.status < 300) {
      result.updated++;
      result.applied++;
      return;
    }
    if (put.status !== 409 || attempt >= 4)
      throw new KubeError("PUT", kube.objectPath(obj.kind, obj.metadata.name), put.status, put.body);
  }
}

async function applyNode(kube: CalicoKube, node: V3Object, result: ImportResult) {
  for (let attempt = 0; ; attempt++) {
    const current = await kube.getNode(node.metadata.name);
    if (!current) {
      result.nodesSkipped.push(node.metadata.name);
      result.warnings.push(
        `[WARNING] Attempted to import node ${node.metadata.name} which references a nonexistent Kubernetes node. Skipping that node.`,
      );
      return;
    }
    const annotations = mergeCalicoNodeAnnotations(current.metadata.annotations, node);
    const res = await kube.rest.request(
      "PUT",
      `/api/v1/nodes/${encodeURIComponent(node.metadata.name)}/status`,
      { ...current, metadata: { ...current.metadata, annotations } },
    );
    if (res.status >= 200 && res.status < 300) {
      result.nodesUpdated.push(node.metadata.name);
      result.updated++;
      result.applied++;
      return;
    }
    if (res.status !== 409 || attempt >= 4)
      throw new KubeError("PUT", `/api/v1/nodes/${node.metadata.name}/status`, res.status, res.body);
  }
}

/** Only clusterGUID and calicoVersion are carried over; type, readiness and metadata stay Kubernetes'. */
async function copyClusterInformation(kube: CalicoKube, exported: V3Object): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const current = await kube.get("ClusterInformation", "default");
    if (!current) throw new StoreshiftError("import: ClusterInformation default vanished from Kubernetes");
    const spec = { ...((current.spec ?? {}) as Record<string, unknown>) };
    spec.clusterGUID = exported.spec?.clusterGUID ?? spec.clusterGUID;
    if (exported.spec?.calicoVersion !== undefined) spec.calicoVersion = exported.spec.calicoVersion;
    else delete spec.calicoVersion;
    const res = await kube.rest.request("PUT", kube.objectPath("ClusterInformation", "default"), {
      ...current,
      spec,
    });
    if (res.status >= 200 && res.status < 300) return;
    if (res.status !== 409 || attempt >= 4)
      throw new KubeError("PUT", "clusterinformations/default", res.status, res.body);
  }
}

async function importIpam(
  kube: CalicoKube,
  parsed: ParsedExport,
  concurrency: number,
  mode: QuirkMode,
  result: ImportResult,
): Promise<void> {
  const ipam = parsed.ipam;
  const groups: { what: string; objects: (() => KubeObject)[] }[] = [
    {
      what: "block affinity",
      objects: (ipam.block_affinities ?? []).map((e) => () => affinityToCustomResource(e)),
    },
    { what: "IPAM block", objects: (ipam.blocks ?? []).map((e) => () => blockToCustomResource(e)) },
    { what: "IPAM handle", objects: (ipam.handles ?? []).map((e) => () => handleToCustomResource(e)) },
    { what: "IPAM config", objects: ipam.config ? [() => configToCustomResource(ipam.config as never)] : [] },
  ];
  result.ipamTotal = groups.reduce((n, g) => n + g.objects.length, 0);
  result.messages.push("Importing IPAM resources");
  if (result.ipamTotal === 0) {
    if (mode === "upstream")
      throw new StoreshiftError("import: no IPAM resources specified in file", { exitCode: 1 });
    result.warnings.push("[WARNING] the file has no IPAM resources; nothing to import into IPAM");
    return;
  }
  const errors: string[] = [];
  // upstream creates affinities, blocks, handles, config in that order; none depends on another in
  // the API server, so they share one pool, queued in that order
  const queue = groups.flatMap((g) => g.objects.map((build) => ({ what: g.what, build })));
  await inBatches(queue, concurrency, async ({ what, build }) => {
    let cr: KubeObject | undefined;
    try {
      cr = build();
      await kube.create(cr);
      result.ipamCreated++;
    } catch (err) {
      errors.push(`error trying to create ${what} ${cr?.metadata.name ?? "?"}: ${(err as Error).message}`);
    }
  });
  if (errors.length > 0)
    throw new StoreshiftError(
      `import: created ${result.ipamCreated} of ${result.ipamTotal} IPAM resources; ${errors.length} failed: ${errors.slice(0, 3).join("; ")}`,
      { exitCode: 1 },
    );
  result.messages.push(`Successfully applied ${result.ipamCreated} IPAM resource(s)`);
}

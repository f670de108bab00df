import { randomUUID } from "node:crypto";
import type { Etcd3 } from "etcd3";
import { encodeResourceValue, normaliseBlock } from "../calico/etcd/codec.js";
import { affinityKey, blockKey, handleKey, resourceKey } from "../calico/etcd/keys.js";
import { CalicoEtcd } from "../calico/etcd/store.js";
import { V3_API_VERSION } from "../calico/kinds.js";
import type { KubeExpectation, LockMode, LoggedWrite, StartedWriter, Turn } from "./writer.js";
import { startWriter } from "./writer.js";

/**
 * Simulated Calico components writing to the etcdv3 datastore through the real etcd, with
 * libcalico-go's key layout and JSON values (src/calico/etcd). A writer that honours the lock reads
 * ClusterInformation `default` before every turn and waits while `spec.datastoreReady` is false, as
 * the CNI plugin, Felix and kube-controllers do. It also guards its write on the revision of the
 * ClusterInformation it read, so none of its writes can land after the lock: real components check
 * less tightly (CNI once at the start of ADD), which is exactly the window the drift check exists for.
 */

export const CALICO_WRITERS = ["ipam-allocator", "felix-status", "policy-sync"] as const;
export type CalicoWriterName = (typeof CALICO_WRITERS)[number];

export interface CalicoWriterOptions {
  endpoints: string[];
  lock: LockMode;
  /** The node the simulated component runs on; one that keeps its name in Kubernetes, so no rename applies. */
  node?: string;
  /** First block the allocator claims, in an IPPool of the datastore; the next /26 when it is full. */
  firstBlock?: string;
  /** Namespace of the synced policies (must exist in the target cluster). */
  namespace?: string;
  intervalMs?: number;
}

const CLUSTER_INFO_KEY = resourceKey("ClusterInformation", "default");

/** Felix's status report key (`model.ActiveStatusReportKey`, region `no-region` when none is set). */
export function felixStatusKey(node: string): string {
  return `/calico/felix/v2/no-region/host/${node}/status`;
}

interface ReadyFlag {
  ready: boolean;
  modRevision: string;
}

/** datastoreReady as components read it: a missing ClusterInformation is "not initialised": wait. */
async function readReady(client: Etcd3): Promise<ReadyFlag> {
  const res = await client.get(CLUSTER_INFO_KEY).exec();
  const kv = res.kvs[0];
  if (!kv) return { ready: false, modRevision: "0" };
  const parsed = JSON.parse(kv.value.toString()) as { spec?: { datastoreReady?: boolean } };
  return { ready: parsed.spec?.datastoreReady !== false, modRevision: String(kv.mod_revision) };
}

type Compare = { key: string; target: "Version" | "Mod"; value: string | number };

/**
 * One writer turn's transaction: the writer's own compares, plus, when it honours the lock, "the
 * ClusterInformation is still the one I read as ready". Returns the write's revision, or undefined
 * when a compare failed.
 */
async function guardedPut(
  client: Etcd3,
  guard: ReadyFlag | undefined,
  compares: Compare[],
  puts: [string, string][],
): Promise<number | undefined> {
  const all: Compare[] = guard
    ? [{ key: CLUSTER_INFO_KEY, target: "Mod", value: guard.modRevision }, ...compares]
    : compares;
  const [first, ...rest] = all;
  const ops = puts.map(([k, v]) => client.put(k).value(v));
  let builder = first ? client.if(first.key, first.target, "==", first.value) : undefined;
  for (const c of rest) builder = builder?.and(c.key, c.target, "==", c.value);
  if (!builder) {
    // nothing to compare (a lock-ignoring writer's plain put)
    const res = await client.kv.txn({
      compare: [],
      success: puts.map(([k, v]) => ({ request_put: { key: Buffer.from(k), value: Buffer.from(v) } })),
      failure: [],
    });
    return Number(res.header.revision);
  }
  const res = await builder.then(...ops).commit();
  return res.succeeded ? Number(res.header.revision) : undefined;
}

/** `names.CIDRToName`, written here again so the expectation does not share the importer's code. */
function cidrName(cidr: string): string {
  return cidr.replace(/[.:/]/g, "-");
}

function nextBlock(cidr: string): string {
  const [address = "", bits = "26"] = cidr.split("/");
  const octets = address.split(".").map(Number);
  const value =
    ((octets[0] ?? 0) << 24) + ((octets[1] ?? 0) << 16) + ((octets[2] ?? 0) << 8) + (octets[3] ?? 0);
  const next = (value >>> 0) + 2 ** (32 - Number(bits));
  return `${[24, 16, 8, 0].map((s) => (next >>> s) & 255).join(".")}/${bits}`;
}

type Written = Omit<LoggedWrite, "writer" | "at">;

/**
 * The CNI plugin's IPAM path: claim a block for the node (affinity + empty block in one Txn), then
 * per turn allocate the next free address in it together with the new handle (one Txn, compared on
 * the block's revision as libcalico-go's CAS update does; libcalico-go writes the handle first and
 * undoes it when the block update loses, which one Txn makes unnecessary here).
 */
function ipamAllocator(etcd: CalicoEtcd, options: Required<CalicoWriterOptions>): () => Promise<Turn> {
  const client = etcd.client;
  let cidr: string | undefined;
  let nextUnclaimed: string | undefined;
  let seq = 0;
  return async () => {
    const guard = options.lock === "honours" ? await readReady(client) : undefined;
    if (guard && !guard.ready) return "waited";
    if (!cidr) {
      const claim = nextUnclaimed ?? options.firstBlock;
      const block = normaliseBlock({
        cidr: claim,
        affinity: `host:${options.node}`,
        allocations: new Array(64).fill(null),
        unallocated: Array.from({ length: 64 }, (_, i) => i),
        attributes: [],
        sequenceNumber: 0,
        sequenceNumberForAllocation: {},
        deleted: false,
      });
      const affinity = JSON.stringify({ state: "confirmed", deleted: false });
      const bKey = blockKey(claim);
      const aKey = affinityKey(options.node, claim);
      const revision = await guardedPut(
        client,
        guard,
        [
          { key: bKey, target: "Version", value: 0 },
          { key: aKey, target: "Version", value: 0 },
        ],
        [
          [aKey, affinity],
          [bKey, JSON.stringify(block)],
        ],
      );
      if (revision === undefined) return "refused";
      cidr = claim;
      nextUnclaimed = nextBlock(claim);
      const writes: Written[] = [
        {
          key: aKey,
          value: affinity,
          revision,
          target: {
            kind: "BlockAffinity",
            name: `${options.node}-${cidrName(claim)}`,
            fields: [
              { path: ["spec", "state"], value: "confirmed" },
              { path: ["spec", "node"], value: options.node },
            ],
          },
        },
        {
          key: bKey,
          value: JSON.stringify(block),
          revision,
          target: {
            kind: "IPAMBlock",
            name: cidrName(claim),
            fields: [{ path: ["spec", "cidr"], value: claim }],
          },
        },
      ];
      return { writes };
    }
    const bKey = blockKey(cidr);
    const res = await client.get(bKey).exec();
    const kv = res.kvs[0];
    if (!kv) throw new Error(`ipam-allocator: block ${bKey} vanished`);
    const block = JSON.parse(kv.value.toString()) as {
      allocations: (number | null)[];
      unallocated: number[];
      attributes: Record<string, unknown>[];
      sequenceNumber: number;
      sequenceNumberForAllocation: Record<string, number> | null;
    };
    const ordinal = block.unallocated.shift();
    if (ordinal === undefined) {
      cidr = undefined; // full: the next turn claims another block
      return { writes: [] };
    }
    const handle = `k8s-pod-network.livewriter${String(++seq).padStart(4, "0")}`;
    const attrIndex = block.attributes.length;
    block.attributes.push({
      handle_id: handle,
      secondary: { namespace: options.namespace, node: options.node, pod: `live-${seq}` },
    });
    block.allocations[ordinal] = attrIndex;
    block.sequenceNumberForAllocation = {
      ...(block.sequenceNumberForAllocation ?? {}),
      [String(ordinal)]: block.sequenceNumber,
    };
    block.sequenceNumber++;
    const blockValue = JSON.stringify(normaliseBlock(block as unknown as Record<string, unknown>));
    const handleValue = JSON.stringify({ block: { [cidr]: 1 }, deleted: false });
    const hKey = handleKey(handle);
    const revision = await guardedPut(
      client,
      guard,
      [
        { key: bKey, target: "Mod", value: String(kv.mod_revision) },
        { key: hKey, target: "Version", value: 0 },
      ],
      [
        [hKey, handleValue],
        [bKey, blockValue],
      ],
    );
    if (revision === undefined) return "refused";
    return {
      writes: [
        {
          key: hKey,
          value: handleValue,
          revision,
          target: {
            kind: "IPAMHandle",
            name: handle.toLowerCase(),
            fields: [
              { path: ["spec", "handleID"], value: handle },
              { path: ["spec", "block", cidr], value: 1 },
            ],
          },
        },
        {
          key: bKey,
          value: blockValue,
          revision,
          target: {
            kind: "IPAMBlock",
            name: cidrName(cidr),
            // every address allocated in the block so far, not only this turn's: the last write of
            // the key is what the target must hold
            fields: block.allocations.flatMap((index, o) =>
              index === null
                ? []
                : [
                    { path: ["spec", "allocations", String(o)], value: index },
                    {
                      path: ["spec", "attributes", String(index), "handle_id"],
                      value: block.attributes[index]?.handle_id,
                    },
                  ],
            ),
          },
        },
      ],
    };
  };
}

/**
 * Felix's periodic status report. Not migrated by design: calico-node on the Kubernetes datastore
 * reports its own status, so these writes are named in the drift check but never expected in the target.
 */
function felixStatus(etcd: CalicoEtcd, options: Required<CalicoWriterOptions>): () => Promise<Turn> {
  const client = etcd.client;
  const started = Date.now();
  let first = true;
  return async () => {
    const guard = options.lock === "honours" ? await readReady(client) : undefined;
    if (guard && !guard.ready) return "waited";
    const key = felixStatusKey(options.node);
    const value = JSON.stringify({
      time: new Date().toISOString(),
      uptime: (Date.now() - started) / 1000,
      first_update: first,
    });
    const revision = await guardedPut(client, guard, [], [[key, value]]);
    if (revision === undefined) return "refused";
    first = false;
    return {
      writes: [
        {
          key,
          value,
          revision,
          target: {
            notMigrated: "Felix status reports: calico-node on the Kubernetes datastore reports its own",
          },
        },
      ],
    };
  };
}

/**
 * A policy sync in the manner of kube-controllers' policy controller: it creates Calico
 * NetworkPolicies and then updates each once (a new order), with the v3 client's create (Version == 0)
 * and update (Mod == the revision read). kube-controllers' own `knp.default.*` mirrors are not
 * migrated by design, so the synced policies carry ordinary names and are expected in the target.
 */
function policySync(etcd: CalicoEtcd, options: Required<CalicoWriterOptions>): () => Promise<Turn> {
  const client = etcd.client;
  let turn = 0;
  const revisions = new Map<string, number>();
  return async () => {
    const guard = options.lock === "honours" ? await readReady(client) : undefined;
    if (guard && !guard.ready) return "waited";
    const index = Math.floor(turn / 2);
    const name = `policy-sync-${index}`;
    const order = 100 + turn;
    const obj = {
      kind: "NetworkPolicy",
      apiVersion: V3_API_VERSION,
      metadata: {
        name,
        namespace: options.namespace,
        uid: randomUUID(),
        creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        labels: { "projectcalico.org/tier": "default" },
      },
      spec: {
        tier: "default",
        order,
        selector: `app == 'sync-${index}'`,
        types: ["Ingress"],
        ingress: [{ action: "Allow", source: {}, destination: {} }],
      },
    };
    const key = resourceKey("NetworkPolicy", name, options.namespace);
    const value = encodeResourceValue(obj);
    const previous = revisions.get(key);
    const compare: Compare =
      previous === undefined
        ? { key, target: "Version", value: 0 }
        : { key, target: "Mod", value: String(previous) };
    const revision = await guardedPut(client, guard, [compare], [[key, value]]);
    if (revision === undefined) return "refused";
    revisions.set(key, revision);
    turn++;
    const target: KubeExpectation = {
      kind: "NetworkPolicy",
      name,
      namespace: options.namespace,
      fields: [{ path: ["spec", "order"], value: order }],
    };
    return { writes: [{ key, value, revision, target }] };
  };
}

const makers: Record<CalicoWriterName, typeof policySync> = {
  "ipam-allocator": ipamAllocator,
  "felix-status": felixStatus,
  "policy-sync": policySync,
};

export function isCalicoWriter(name: string): name is CalicoWriterName {
  return (CALICO_WRITERS as readonly string[]).includes(name);
}

/** Starts one simulated Calico component on the etcd at `endpoints`. */
export function startCalicoWriter(name: CalicoWriterName, options: CalicoWriterOptions): StartedWriter {
  const full: Required<CalicoWriterOptions> = {
    node: "node4",
    firstBlock: "10.65.200.0/26",
    namespace: "prod",
    intervalMs: 20,
    ...options,
  };
  const etcd = new CalicoEtcd(options.endpoints);
  return startWriter(
    { name, lock: options.lock, intervalMs: full.intervalMs, close: () => etcd.close() },
    makers[name](etcd, full),
  );
}

import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parseDocument } from "yaml";
import { InputError } from "../common/errors.js";
import { utf8Text } from "../common/utf8.js";
import { encodeResourceValue } from "./etcd/codec.js";
import {
  affinityKey,
  blockKey,
  canonicalCidr,
  handleKey,
  IPAM_CONFIG_KEY,
  ipVersionOf,
  resourceKey,
} from "./etcd/keys.js";
import { CalicoEtcd } from "./etcd/store.js";
import { kindByName, V3_API_VERSION } from "./kinds.js";
import type {
  AllocationAttribute,
  AllocationBlock,
  IpamConfigValue,
  JsonObject,
  V3Metadata,
  V3Object,
} from "./model.js";
import { isObject } from "./model.js";

/**
 * The Calico fixture format (documented in fixtures/calico/README.md) and the seeder that writes it
 * into etcd exactly as libcalico-go's etcdv3 backend stores it.
 */
export const FIXTURE_FORMAT = "storeshift/calico-fixture/v1";

export interface FixtureBlock {
  cidr: string;
  affinity?: string | null;
  /** Either the full array, or ordinal → attribute index for the allocated ordinals only. */
  allocations?: (number | null)[] | Record<string, number>;
  unallocated?: number[];
  attributes?: AllocationAttribute[];
  sequenceNumber?: number;
  sequenceNumberForAllocation?: Record<string, number>;
  deleted?: boolean;
}

export interface CalicoFixture {
  format: typeof FIXTURE_FORMAT;
  /** creationTimestamp for objects that do not give one. */
  createdAt: string;
  /** ClusterInformation default's spec; omitted = etcd never initialised (lock will create it). */
  clusterInformation?: JsonObject;
  /** core/v1 Nodes the target Kubernetes cluster has (import merges Calico Nodes into them). */
  kubernetesNodes: string[];
  /** Namespaces the target cluster has (namespaced Calico objects need them). */
  kubernetesNamespaces: string[];
  resources: V3Object[];
  ipam: {
    config?: IpamConfigValue;
    blocks: FixtureBlock[];
    affinities: { host: string; cidr: string; type?: string; state?: string; deleted?: boolean }[];
    handles: { id: string; block: Record<string, number>; deleted?: boolean }[];
  };
}

/** A stable UUID per object, so seeding twice writes identical bytes. */
export function stableUid(...parts: string[]): string {
  const h = createHash("sha256").update(parts.join("/")).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export async function loadFixture(path: string): Promise<CalicoFixture> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new InputError(`read Calico fixture ${path}: ${(err as Error).message}`);
  }
  return parseFixture(utf8Text(bytes, `Calico fixture ${path}`), path);
}

/** Kubernetes object names (DNS-1123 subdomain), which every Calico kind's name must be to migrate. */
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function parseFixture(text: string, fileName: string): CalicoFixture {
  const doc = parseDocument(text);
  const err = doc.errors[0];
  if (err)
    throw new InputError(
      `parse Calico fixture ${fileName}: line ${err.linePos?.[0]?.line ?? "?"}: ${err.message.split("\n")[0]}`,
    );
  const where = (what: string) => `Calico fixture ${fileName}: ${what}`;
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (err) {
    // e.g. an alias whose anchor is missing: the yaml library throws here, not in doc.errors
    throw new InputError(where((err as Error).message.split("\n")[0] ?? "not YAML"));
  }
  if (!isObject(value)) throw new InputError(where("not a mapping"));
  if (value.format !== FIXTURE_FORMAT) throw new InputError(where(`format must be "${FIXTURE_FORMAT}"`));
  const resources = (value.resources ?? []) as unknown[];
  if (!Array.isArray(resources)) throw new InputError(where("resources is not a list"));
  resources.forEach((r, i) => {
    if (
      !isObject(r) ||
      typeof r.kind !== "string" ||
      !isObject(r.metadata) ||
      typeof r.metadata.name !== "string"
    )
      throw new InputError(where(`resources[${i}] needs kind and metadata.name`));
    const k = kindByName(r.kind);
    if (!k) throw new InputError(where(`resources[${i}]: unknown Calico kind "${r.kind}"`));
    if (k.scope === "Namespaced" && typeof r.metadata.namespace !== "string")
      throw new InputError(where(`resources[${i}] (${r.kind} ${r.metadata.name}) needs metadata.namespace`));
    if (!NAME.test(r.metadata.name) || r.metadata.name.length > 253)
      throw new InputError(
        where(
          `resources[${i}] (${r.kind}): name ${JSON.stringify(r.metadata.name)} is not a valid object name`,
        ),
      );
    if (typeof r.metadata.namespace === "string" && !NAMESPACE.test(r.metadata.namespace))
      throw new InputError(
        where(
          `resources[${i}] (${r.kind} ${r.metadata.name}): namespace ${JSON.stringify(r.metadata.namespace)} is not valid`,
        ),
      );
  });
  const ipam = (value.ipam ?? {}) as Record<string, unknown>;
  if (!isObject(ipam)) throw new InputError(where("ipam is not a mapping"));
  const lists: [string, unknown][] = [
    ["kubernetesNodes", value.kubernetesNodes],
    ["kubernetesNamespaces", value.kubernetesNamespaces],
    ["ipam.blocks", ipam.blocks],
    ["ipam.affinities", ipam.affinities],
    ["ipam.handles", ipam.handles],
  ];
  for (const [field, list] of lists) {
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) throw new InputError(where(`${field} is not a list`));
    const entriesAreMappings = field.startsWith("ipam.");
    list.forEach((e, i) => {
      if (entriesAreMappings ? !isObject(e) : typeof e !== "string")
        throw new InputError(where(`${field}[${i}] is not a ${entriesAreMappings ? "mapping" : "string"}`));
    });
  }
  const fixture: CalicoFixture = {
    format: FIXTURE_FORMAT,
    createdAt: String(value.createdAt ?? "2026-01-01T00:00:00Z"),
    kubernetesNodes: ((value.kubernetesNodes ?? []) as string[]).map(String),
    kubernetesNamespaces: ((value.kubernetesNamespaces ?? []) as string[]).map(String),
    resources: resources.map((r) => ({ ...(r as V3Object), apiVersion: V3_API_VERSION })),
    ipam: {
      blocks: (ipam.blocks ?? []) as FixtureBlock[],
      affinities: (ipam.affinities ?? []) as CalicoFixture["ipam"]["affinities"],
      handles: (ipam.handles ?? []) as CalicoFixture["ipam"]["handles"],
    },
  };
  if (isObject(value.clusterInformation)) fixture.clusterInformation = value.clusterInformation as JsonObject;
  if (isObject(ipam.config)) fixture.ipam.config = ipam.config as IpamConfigValue;
  fixture.ipam.blocks.forEach((b, i) => {
    let cidr: string;
    try {
      cidr = canonicalCidr(b.cidr);
    } catch (e) {
      throw new InputError(where(`ipam.blocks[${i}]: ${(e as Error).message}`));
    }
    // Calico's block sizes (IPPool blockSize): a wider block would expand into millions of ordinals
    const bits = Number(cidr.split("/")[1]);
    const [min, max] = ipVersionOf(cidr) === 4 ? [20, 32] : [116, 128];
    if (!(bits >= min && bits <= max))
      throw new InputError(
        where(`ipam.blocks[${i}]: block ${cidr} is not a Calico block size (/${min}../${max})`),
      );
  });
  // what seeding computes next must not fail half-way: a bad affinity CIDR or a non-string host
  // is a fixture error, found before any store is touched
  try {
    fixtureToEtcdEntries(fixture);
  } catch (e) {
    throw new InputError(where(`cannot be stored: ${(e as Error).message.split("\n")[0]}`));
  }
  return fixture;
}

function blockSize(cidr: string): number {
  const bits = Number(cidr.split("/")[1]);
  return 2 ** ((ipVersionOf(cidr) === 4 ? 32 : 128) - bits);
}

/** Expands the fixture's block shorthand into the AllocationBlock libcalico-go stores. */
export function expandBlock(b: FixtureBlock): AllocationBlock {
  const cidr = canonicalCidr(b.cidr);
  let allocations: (number | null)[];
  if (Array.isArray(b.allocations)) allocations = b.allocations;
  else {
    allocations = new Array<number | null>(blockSize(cidr)).fill(null);
    for (const [ordinal, attr] of Object.entries(b.allocations ?? {})) allocations[Number(ordinal)] = attr;
  }
  const unallocated = b.unallocated ?? allocations.flatMap((a, i) => (a === null ? [i] : []));
  const sequenceNumberForAllocation =
    b.sequenceNumberForAllocation ??
    Object.fromEntries(
      allocations.flatMap((a, i) => (a === null ? [] : [[String(i), b.sequenceNumber ?? 0]])),
    );
  return {
    cidr,
    affinity: b.affinity ?? null,
    allocations,
    unallocated,
    attributes: b.attributes ?? [],
    sequenceNumber: b.sequenceNumber ?? 0,
    sequenceNumberForAllocation,
    deleted: b.deleted ?? false,
  };
}

/** Fills in what clientv3's Create stamps: a uid and the creation time. */
export function storedObject(obj: V3Object, createdAt: string): V3Object {
  const meta: V3Metadata = {
    ...obj.metadata,
    uid: obj.metadata.uid ?? stableUid(obj.kind, obj.metadata.namespace ?? "", obj.metadata.name),
    creationTimestamp: obj.metadata.creationTimestamp ?? createdAt,
  };
  return { ...obj, apiVersion: V3_API_VERSION, metadata: meta };
}

/** Every etcd key and value the fixture stands for, in the bytes libcalico-go would write. Pure. */
export function fixtureToEtcdEntries(fixture: CalicoFixture): [string, string][] {
  const entries: [string, string][] = [];
  if (fixture.clusterInformation) {
    const info: V3Object = {
      kind: "ClusterInformation",
      apiVersion: V3_API_VERSION,
      metadata: { name: "default" },
      spec: fixture.clusterInformation,
    };
    entries.push([
      resourceKey("ClusterInformation", "default"),
      encodeResourceValue(storedObject(info, fixture.createdAt)),
    ]);
  }
  for (const obj of fixture.resources) {
    entries.push([
      resourceKey(obj.kind, obj.metadata.name, obj.metadata.namespace),
      encodeResourceValue(storedObject(obj, fixture.createdAt)),
    ]);
  }
  for (const b of fixture.ipam.blocks) entries.push([blockKey(b.cidr), JSON.stringify(expandBlock(b))]);
  for (const a of fixture.ipam.affinities) {
    entries.push([
      affinityKey(a.host, a.cidr, a.type ?? "host"),
      JSON.stringify({ state: a.state ?? "confirmed", deleted: a.deleted ?? false }),
    ]);
  }
  for (const h of fixture.ipam.handles)
    entries.push([handleKey(h.id), JSON.stringify({ block: h.block, deleted: h.deleted ?? false })]);
  if (fixture.ipam.config) entries.push([IPAM_CONFIG_KEY, JSON.stringify(fixture.ipam.config)]);
  return entries;
}

/** Writes the fixture into etcd with create semantics; fails naming the first key that already exists. */
export async function seedCalicoEtcd(endpoints: string[], fixture: CalicoFixture): Promise<{ keys: number }> {
  const etcd = new CalicoEtcd(endpoints);
  try {
    const entries = fixtureToEtcdEntries(fixture);
    const existing = await etcd.createMany(entries);
    if (existing.length > 0)
      throw new InputError(`seed Calico etcd: ${existing.length} key(s) already exist, first ${existing[0]}`);
    return { keys: entries.length };
  } finally {
    etcd.close();
  }
}

import { etcdClient } from "../common/etcd-client.js";
import type { Difference } from "../diff/types.js";
import { type ExpectedV3, expectedV3FromV2, type MappingOptions, normalisePrefix } from "./expected.js";
import { type OnlineMigrationResult, v3Failure } from "./online.js";
import { treeFingerprint, type V2Tree } from "./tree.js";
import { readV2Tree } from "./v2-client.js";
import { hashKvAll, type MemberHash, readV3Range, type V3Kv } from "./v3.js";

export type MigrationMode = "offline" | "online";

export interface CompareOptions {
  mode: MigrationMode;
  prefix?: string;
  /** Online: the run's result, for the v2 index → v3 revision mapping and known collisions. */
  result?: OnlineMigrationResult;
}

function idOf(key: string): string {
  return `etcd:${key}`;
}

function kindOf(key: string): string {
  return key.split("/").filter(Boolean)[0] ?? "/";
}

function changed(key: string, path: string, expected: unknown, actual: unknown): Difference {
  return { class: "changed", id: idOf(key), kind: kindOf(key), path, expected, actual };
}

/**
 * Compares the v3 keys under `<prefix>/` with what the v2 tree maps to. Pure. Offline (`etcdctl
 * migrate`) revisions must equal the v2 indexes; online ones must equal the revisions the run recorded.
 */
export function compareV3(expected: ExpectedV3, actual: V3Kv[], options: CompareOptions): Difference[] {
  const differences: Difference[] = [];
  const byKey = new Map(actual.map((kv) => [kv.key.toString("utf8"), kv]));
  const recorded = new Map<string, number>();
  const collided = new Set<string>();
  for (const m of options.result?.migrated ?? []) recorded.set(m.key, m.revision);
  for (const m of options.result?.alreadyPresent ?? []) recorded.set(m.key, m.revision);
  for (const c of options.result?.collisions ?? []) collided.add(c.key);
  const expectedKeys = new Set<string>();
  for (const kv of expected.kvs) {
    expectedKeys.add(kv.key);
    const got = byKey.get(kv.key);
    if (!got) {
      differences.push({
        class: "missing",
        id: idOf(kv.key),
        kind: kindOf(kv.key),
        path: "",
        expected: kv.value,
      });
      continue;
    }
    if (collided.has(kv.key)) {
      differences.push({
        class: "accounted",
        id: idOf(kv.key),
        kind: kindOf(kv.key),
        path: "value",
        rule: "etcd-v2v3/collision-kept",
        expected: kv.value,
        actual: got.value.toString("utf8"),
      });
      continue;
    }
    if (!got.value.equals(Buffer.from(kv.value, "utf8")))
      differences.push(changed(kv.key, "value", kv.value, got.value.toString("utf8")));
    if (options.mode === "offline") {
      if (got.createRevision !== kv.createdIndex)
        differences.push(changed(kv.key, "createRevision", kv.createdIndex, got.createRevision));
      if (got.modRevision !== kv.modifiedIndex)
        differences.push(changed(kv.key, "modRevision", kv.modifiedIndex, got.modRevision));
    } else {
      const revision = recorded.get(kv.key);
      if (options.result && revision === undefined)
        differences.push(changed(kv.key, "modRevision", "recorded by the run", got.modRevision));
      else if (revision !== undefined && got.modRevision !== revision)
        differences.push(changed(kv.key, "modRevision", revision, got.modRevision));
    }
    if (got.version !== 1) differences.push(changed(kv.key, "version", 1, got.version));
    const wantsLease = kv.leaseTtl !== undefined;
    if (wantsLease !== (got.lease !== "0"))
      differences.push(changed(kv.key, "lease", wantsLease ? "a lease" : "0", got.lease));
  }
  for (const [key, kv] of byKey) {
    if (!expectedKeys.has(key))
      differences.push({
        class: "unexpected",
        id: idOf(key),
        kind: kindOf(key),
        path: "",
        actual: kv.value.toString("utf8"),
      });
  }
  return differences;
}

/** Members must agree: same revision and same `hashkv`. */
export function compareHashes(hashes: MemberHash[]): Difference[] {
  const first = hashes[0];
  if (!first) return [];
  const out: Difference[] = [];
  for (const h of hashes.slice(1)) {
    if (h.revision !== first.revision || h.hash !== first.hash) {
      out.push({
        class: "changed",
        id: `etcd-member:${h.endpoint}`,
        kind: "hashkv",
        path: "hashkv",
        expected: { endpoint: first.endpoint, revision: first.revision, hash: first.hash },
        actual: { revision: h.revision, hash: h.hash },
      });
    }
  }
  return out;
}

/** v2 must be untouched by the migration: same nodes, values, indexes and expiries (ttl counts down). */
export function compareV2Trees(before: V2Tree, after: V2Tree): Difference[] {
  const lines = (t: V2Tree) =>
    new Map(
      treeFingerprint(t.root)
        .split("\n")
        .map((line) => [(JSON.parse(line) as [string])[0], line] as const),
    );
  const a = lines(before);
  const b = lines(after);
  const out: Difference[] = [];
  for (const [key, line] of a) {
    const other = b.get(key);
    if (other === undefined)
      out.push({ class: "missing", id: `etcd-v2:${key}`, kind: "v2", path: "", expected: line });
    else if (other !== line)
      out.push({
        class: "changed",
        id: `etcd-v2:${key}`,
        kind: "v2",
        path: "",
        expected: line,
        actual: other,
      });
  }
  for (const [key, line] of b)
    if (!a.has(key))
      out.push({ class: "unexpected", id: `etcd-v2:${key}`, kind: "v2", path: "", actual: line });
  return out;
}

export interface VerifyOptions extends MappingOptions {
  v2Endpoint: string;
  /** Every member's endpoint: each is read (serializable) and their hashes compared. */
  v3Endpoints: string[];
  mode: MigrationMode;
  result?: OnlineMigrationResult;
  /** The v2 tree read before migrating, to prove v2 unchanged. */
  v2Before?: V2Tree;
}

export interface VerifyReport {
  discrepancies: Difference[];
  expectedKeys: number;
  /** v3 keys under the scope, per endpoint. */
  actualKeys: Record<string, number>;
  hashkv: MemberHash[];
}

/**
 * Checks a finished migration against the live stores: each member's v3 keys under `<prefix>/` equal
 * the mapping of the current v2 tree, members agree on `hashkv`, offline runs left no leases, and v2
 * is unchanged. An empty `discrepancies` means verified.
 */
export async function verifyMigration(options: VerifyOptions): Promise<VerifyReport> {
  try {
    return await verifyMigrationUnwrapped(options);
  } catch (err) {
    throw v3Failure("verify etcd v2→v3 migration", options.v3Endpoints, err);
  }
}

async function verifyMigrationUnwrapped(options: VerifyOptions): Promise<VerifyReport> {
  const prefix = normalisePrefix(options.prefix ?? options.result?.options.prefix);
  const ttlPolicy = options.ttlPolicy ?? options.result?.options.ttlPolicy ?? "permanent";
  const includeHidden = options.includeHidden ?? options.result?.options.includeHidden ?? [];
  const tree = await readV2Tree(options.v2Endpoint, { quorum: true, includeHidden });
  const mapping = { ...options, prefix, ttlPolicy, includeHidden };
  // a lease run already skipped keys that had expired; compare against the keys still alive in v2
  const expected = expectedV3FromV2(tree, mapping);
  const discrepancies: Difference[] = [];
  const actualKeys: Record<string, number> = {};
  for (const endpoint of options.v3Endpoints) {
    const client = etcdClient([endpoint], { purpose: "v2→v3 verification" });
    try {
      // linearizable, yet answered from this member's own store: a member migrated differently shows it
      const { kvs } = await readV3Range(client, `${prefix}/`);
      actualKeys[endpoint] = kvs.length;
      const diffs = compareV3(expected, kvs, { mode: options.mode, prefix, result: options.result });
      for (const d of diffs)
        discrepancies.push(options.v3Endpoints.length > 1 ? { ...d, kind: `${d.kind}@${endpoint}` } : d);
      if (options.mode === "offline" && ttlPolicy !== "lease") {
        const leases = await client.leaseClient.leaseLeases();
        if (leases.leases.length > 0)
          discrepancies.push({
            class: "unexpected",
            id: `etcd-leases:${endpoint}`,
            kind: "lease",
            path: "",
            actual: leases.leases.map((l) => String(l.ID)),
          });
      }
    } finally {
      client.close();
    }
  }
  const hashkv = await hashKvAll(options.v3Endpoints);
  discrepancies.push(...compareHashes(hashkv));
  if (options.v2Before) discrepancies.push(...compareV2Trees(options.v2Before, tree));
  return { discrepancies, expectedKeys: expected.kvs.length, actualKeys, hashkv };
}

import { type Etcd3, type ICompare, type IRequestOp, type ITxnResponse, isRecoverableError } from "etcd3";
import { throwIfAborted } from "../common/attempt.js";
import { envVar } from "../common/environment.js";
import { errorMessage, StoreshiftError, wrapError } from "../common/errors.js";
import { etcdClient } from "../common/etcd-client.js";
import { sleep } from "../common/wait.js";
import {
  DEFAULT_MAX_REQUEST_BYTES,
  type ExclusionReason,
  type ExpectedKv,
  type ExpectedV3,
  expectedV3FromV2,
  type MappingOptions,
  normalisePrefix,
  putRequestBytes,
  type TtlPolicy,
} from "./expected.js";
import { readV2Index, readV2Tree } from "./v2-client.js";
import { countV3Prefix, type V3Kv, v3Pages } from "./v3.js";

/** etcd's default `--max-txn-ops`: a Txn may hold at most this many compares, and as many ops per branch. */
export const MAX_TXN_OPS = 128;

export interface OnlineMigrationOptions extends MappingOptions {
  v2Endpoint: string;
  v3Endpoints: string[];
  /** `refuse` (default): any existing v3 key with another value stops the run before a write. */
  onCollision?: "refuse" | "skip";
  /** The server's `--max-request-bytes`; the v3 API cannot tell it, so it is an option. */
  maxRequestBytes?: number;
  /** Puts per Txn, at most 128. */
  txnOps?: number;
  /** Txns in flight at once; 1 makes v3 revisions follow v2 modifiedIndex order exactly. */
  concurrency?: number;
  /** Called after each transaction with the keys written so far and the keys to write in all. */
  onProgress?: (done: number, total: number) => void;
  /** Cancels the run: no Txn or lease grant is sent after it aborts (common/attempt.ts). */
  signal?: AbortSignal;
}

/** One key the migrator wrote (or found already written with the same value). */
export interface MigratedKey {
  v2Key: string;
  key: string;
  createdIndex: number;
  modifiedIndex: number;
  /** The v3 revision of the put: create_revision = mod_revision = this. */
  revision: number;
  /** Lease id as a decimal string, "0" for none. */
  lease: string;
}

export interface Collision {
  v2Key: string;
  key: string;
  existingModRevision: number;
}

export interface OnlineMigrationResult {
  kind: "online";
  startedAt: string;
  durationMs: number;
  v2Endpoint: string;
  v3Endpoints: string[];
  options: { ttlPolicy: TtlPolicy; prefix: string; includeHidden: string[]; maxRequestBytes: number };
  /** v2 store index the copy was read at, and after the writes: different means v2 changed meanwhile. */
  v2Index: number;
  v2IndexAfter: number;
  v3RevisionBefore: number;
  v3RevisionAfter: number;
  /** Written by this run, with the v2 index → v3 revision mapping. Rollback deletes exactly these. */
  migrated: MigratedKey[];
  /** Found with the same value (a re-run); left alone, never deleted by rollback. */
  alreadyPresent: MigratedKey[];
  /** Existing v3 keys with another value: reported, never overwritten. */
  collisions: Collision[];
  excluded: Record<ExclusionReason, number>;
  leases: { id: string; ttl: number; keys: number }[];
  txns: number;
  /** Where the time went: the v2 read (with mapping), the v3 scan for collisions, the Txns. */
  phasesMs: { readV2: number; scanV3: number; write: number };
  warnings: string[];
}

export class CollisionError extends StoreshiftError {
  constructor(
    message: string,
    readonly collisions: Collision[],
  ) {
    super(message, { exitCode: 1 });
  }
}

function listKeys(keys: string[], max = 5): string {
  const shown = keys.slice(0, max).join(", ");
  return keys.length > max ? `${shown} and ${keys.length - max} more` : shown;
}

/** Errors from the v3 client (gRPC) get the operation and endpoints; storeshift's own pass unchanged. */
export function v3Failure(operation: string, endpoints: string[], err: unknown): StoreshiftError {
  if (err instanceof StoreshiftError) return err;
  return wrapError(`${operation}: etcd v3 at ${endpoints.join(",")}`, err);
}

/**
 * Copies the v2 key space into v3 while etcd runs: one consistent v2 read, then guarded Txns of at
 * most 128 puts, each `create_revision == 0`, so existing v3 data is never overwritten and a re-run
 * writes nothing new.
 */
export async function migrateOnline(options: OnlineMigrationOptions): Promise<OnlineMigrationResult> {
  try {
    return await migrateOnlineUnwrapped(options);
  } catch (err) {
    throw v3Failure("migrate etcd v2→v3 online", options.v3Endpoints, err);
  }
}

/**
 * The v2 tree read and mapped; only the expected key-values leave this function, so the tree (and
 * every directory node) can be collected before anything is written.
 */
async function readExpected(
  options: OnlineMigrationOptions,
  mapping: MappingOptions,
): Promise<{ kvs: ExpectedKv[]; excluded: ExpectedV3["excluded"]; etcdIndex: number }> {
  const tree = await readV2Tree(options.v2Endpoint, {
    quorum: true,
    includeHidden: mapping.includeHidden ?? [],
  });
  const expected = expectedV3FromV2(tree, { ...mapping, nowMs: Date.now() });
  return { kvs: expected.kvs, excluded: expected.excluded, etcdIndex: tree.etcdIndex };
}

/**
 * Classifies the v3 keys that already exist under the prefix, page by page at one revision: same
 * value is already present, another value a collision. Returns the keys still to write and the
 * revision read at. Only when v3 holds keys there is an index of the expected keys built.
 */
async function scanExisting(
  client: Etcd3,
  prefix: string,
  kvs: ExpectedKv[],
  result: OnlineMigrationResult,
): Promise<{ pending: ExpectedKv[]; revision: number }> {
  const scope = `${prefix}/`;
  const counted = await countV3Prefix(client, scope);
  if (counted.count === 0) return { pending: kvs, revision: counted.revision };
  const indexOf = new Map<string, number>();
  kvs.forEach((kv, i) => {
    indexOf.set(kv.key, i);
  });
  const found = new Uint8Array(kvs.length);
  let revision = counted.revision;
  for await (const page of v3Pages(client, scope, { revision: counted.revision })) {
    revision = page.revision;
    for (const existing of page.kvs) {
      const i = indexOf.get(existing.key.toString("utf8"));
      const kv = i === undefined ? undefined : kvs[i];
      if (i === undefined || !kv) continue;
      found[i] = 1;
      classifyExisting(kv, existing, result);
    }
  }
  return { pending: kvs.filter((_, i) => found[i] === 0), revision };
}

async function migrateOnlineUnwrapped(options: OnlineMigrationOptions): Promise<OnlineMigrationResult> {
  const started = Date.now();
  const op = "migrate etcd v2→v3 online";
  const ttlPolicy = options.ttlPolicy ?? "permanent";
  const prefix = normalisePrefix(options.prefix);
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const txnOps = Math.min(MAX_TXN_OPS, Math.max(1, options.txnOps ?? MAX_TXN_OPS));
  const includeHidden = options.includeHidden ?? [];

  const expected = await readExpected(options, { ...options, prefix, ttlPolicy, includeHidden });
  const readV2Ms = Date.now() - started;

  const tooLarge = expected.kvs.filter((kv) => putRequestBytes(kv) > maxRequestBytes);
  if (tooLarge.length > 0) {
    const named = tooLarge.map((kv) => `${kv.v2Key} (${Buffer.byteLength(kv.value)} B)`);
    throw new StoreshiftError(
      `${op}: ${tooLarge.length} value(s) exceed the v3 request limit of ${maxRequestBytes} bytes ` +
        `(--max-request-bytes): ${listKeys(named)}; nothing written`,
    );
  }

  throwIfAborted(options.signal, `${op}: connect to ${options.v3Endpoints.join(",")}`);
  const client = etcdClient(options.v3Endpoints, { purpose: "online v2→v3 migration" });
  const closeOnAbort = () => client.close();
  options.signal?.addEventListener("abort", closeOnAbort, { once: true });
  try {
    const result: OnlineMigrationResult = {
      kind: "online",
      startedAt: new Date(started).toISOString(),
      durationMs: 0,
      v2Endpoint: options.v2Endpoint,
      v3Endpoints: options.v3Endpoints,
      options: { ttlPolicy, prefix, includeHidden, maxRequestBytes },
      v2Index: expected.etcdIndex,
      v2IndexAfter: expected.etcdIndex,
      v3RevisionBefore: 0,
      v3RevisionAfter: 0,
      migrated: [],
      alreadyPresent: [],
      collisions: [],
      excluded: { directory: 0, hidden: 0, "ttl-dropped": 0, expired: 0 },
      leases: [],
      txns: 0,
      phasesMs: { readV2: readV2Ms, scanV3: 0, write: 0 },
      warnings: [],
    };
    for (const e of expected.excluded) result.excluded[e.reason]++;

    // all v2 keys start with "/", so only `<prefix>/` can collide
    const scanStarted = Date.now();
    const { pending, revision } = await scanExisting(client, prefix, expected.kvs, result);
    // from here the pending list (emptied as it is written) is the only holder of the key-values
    expected.kvs = [];
    result.v3RevisionBefore = revision;
    result.v3RevisionAfter = revision;
    result.phasesMs.scanV3 = Date.now() - scanStarted;
    if (result.collisions.length > 0 && (options.onCollision ?? "refuse") === "refuse") {
      throw new CollisionError(
        `${op}: refused: ${result.collisions.length} v3 key(s) already exist with other values: ` +
          `${listKeys(result.collisions.map((c) => c.key))}; nothing written`,
        result.collisions,
      );
    }

    const writeStarted = Date.now();
    await writePending(client, pending, { ...options, txnOps, maxRequestBytes }, result);
    result.phasesMs.write = Date.now() - writeStarted;
    result.migrated.sort((a, b) => a.revision - b.revision || (a.key < b.key ? -1 : 1));
    result.v3RevisionAfter = result.migrated.reduce(
      (max, m) => Math.max(max, m.revision),
      result.v3RevisionBefore,
    );
    result.v2IndexAfter = await readV2Index(options.v2Endpoint);
    if (result.v2IndexAfter !== result.v2Index) {
      result.warnings.push(
        `the v2 index moved from ${result.v2Index} to ${result.v2IndexAfter} during the copy: ` +
          "v2 was written (or TTL keys expired) meanwhile; verify before switching clients",
      );
    }
    result.durationMs = Date.now() - started;
    return result;
  } finally {
    options.signal?.removeEventListener("abort", closeOnAbort);
    client.close();
  }
}

/**
 * Writes the keys in v2 modifiedIndex order (so v3 revisions follow the order v2 last modified them),
 * at most `concurrency` Txns in flight. `pending` is emptied: from then on each key-value is held by
 * its batch only, and let go once its Txn is answered, so what a run keeps is the keys it wrote, not
 * every value it read.
 */
async function writePending(
  client: Etcd3,
  pending: ExpectedKv[],
  options: OnlineMigrationOptions & { txnOps: number; maxRequestBytes: number },
  result: OnlineMigrationResult,
): Promise<void> {
  pending.sort((a, b) => a.modifiedIndex - b.modifiedIndex);
  const total = pending.length;
  const leaseOf = await grantLeases(client, pending, result, options.signal);
  const batches: (ExpectedKv[] | undefined)[] = splitBatches(
    pending,
    options.txnOps,
    options.maxRequestBytes,
  );
  pending.length = 0;
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let i = next++; i < batches.length; i = next++) {
      const batch = batches[i];
      batches[i] = undefined;
      if (!batch) continue;
      await writeBatch(client, batch, leaseOf, result, options.signal);
      done += batch.length;
      options.onProgress?.(done, total);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
}

function classifyExisting(kv: ExpectedKv, found: V3Kv, result: OnlineMigrationResult): void {
  if (found.value.equals(Buffer.from(kv.value, "utf8"))) {
    result.alreadyPresent.push({
      v2Key: kv.v2Key,
      key: kv.key,
      createdIndex: kv.createdIndex,
      modifiedIndex: kv.modifiedIndex,
      revision: found.modRevision,
      lease: found.lease,
    });
  } else {
    result.collisions.push({ v2Key: kv.v2Key, key: kv.key, existingModRevision: found.modRevision });
  }
}

/** How long a Txn is retried while etcd is unreachable (a restart); STORESHIFT_ETCD_RECONNECT_MS. */
export const RECONNECT_WINDOW_MS = Number(envVar("STORESHIFT_ETCD_RECONNECT_MS") ?? 15_000);

/** Connection-level failures: the request may or may not have reached etcd, and etcd may come back. */
function isConnectionLoss(err: unknown): boolean {
  if (err instanceof Error && (isRecoverableError(err) || err.name === "BrokenCircuitError")) return true;
  return /UNAVAILABLE|No connection established|ECONNREFUSED|ECONNRESET|circuit/i.test(errorMessage(err));
}

/**
 * Sends a Txn again after a lost connection until etcd answers or the window closes (faults finding
 * 9: a restart between batches failed the run). Safe because every put is guarded by
 * `create_revision == 0`: if the lost Txn was applied after all, the resend's guard fails, its failure
 * branch reads the keys back, and they are classified as already present with the same value.
 */
async function txnAcrossReconnect(
  send: () => Promise<ITxnResponse>,
  signal: AbortSignal | undefined,
): Promise<ITxnResponse> {
  const started = Date.now();
  for (;;) {
    try {
      return await send();
    } catch (err) {
      if (!isConnectionLoss(err) || Date.now() - started > RECONNECT_WINDOW_MS) throw err;
      await sleep(250);
      throwIfAborted(signal, "txn resent after a lost connection");
    }
  }
}

/** One lease per distinct TTL; keys under a TTL dir already carry their ancestors' earliest expiry. */
async function grantLeases(
  client: Etcd3,
  pending: ExpectedKv[],
  result: OnlineMigrationResult,
  signal: AbortSignal | undefined,
): Promise<Map<number, string>> {
  const byTtl = new Map<number, string>();
  const counts = new Map<number, number>();
  for (const kv of pending)
    if (kv.leaseTtl !== undefined) counts.set(kv.leaseTtl, (counts.get(kv.leaseTtl) ?? 0) + 1);
  for (const [ttl, keys] of [...counts].sort((a, b) => a[0] - b[0])) {
    throwIfAborted(signal, `grant a lease of ${ttl} s`);
    const granted = await client.leaseClient.leaseGrant({ TTL: ttl, ID: 0 });
    const id = String(granted.ID);
    byTtl.set(ttl, id);
    result.leases.push({ id, ttl: Number(granted.TTL), keys });
  }
  return byTtl;
}

export function splitBatches<T extends Pick<ExpectedKv, "key" | "value">>(
  kvs: T[],
  maxOps: number,
  maxBytes: number,
): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const kv of kvs) {
    const size = putRequestBytes(kv);
    if (current.length > 0 && (current.length >= maxOps || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(kv);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * Puts a batch in one Txn guarded by `create_revision == 0` on every key. When a guard fails (a v3
 * client wrote one of the keys since the scan), the failure branch reads those keys; they are
 * classified and the rest is retried, so nothing existing is ever overwritten.
 */
async function writeBatch(
  client: Etcd3,
  batch: ExpectedKv[],
  leaseOf: Map<number, string>,
  result: OnlineMigrationResult,
  signal: AbortSignal | undefined,
): Promise<void> {
  let remaining = batch;
  while (remaining.length > 0) {
    throwIfAborted(signal, `txn of ${remaining.length} puts from ${remaining[0]?.key}`);
    const keys = remaining.map((kv) => Buffer.from(kv.key, "utf8"));
    const compare: ICompare[] = keys.map((key) => ({
      key,
      target: "Create",
      result: "Equal",
      create_revision: 0,
    }));
    const success: IRequestOp[] = remaining.map((kv, i) => ({
      request_put: {
        key: keys[i],
        value: Buffer.from(kv.value, "utf8"),
        lease: kv.leaseTtl === undefined ? 0 : (leaseOf.get(kv.leaseTtl) ?? 0),
      },
    }));
    const failure: IRequestOp[] = keys.map((key) => ({ request_range: { key } }));
    const response: ITxnResponse = await txnAcrossReconnect(
      () => client.kv.txn({ compare, success, failure }),
      signal,
    );
    result.txns++;
    if (response.succeeded) {
      const revision = Number(response.header.revision);
      for (const kv of remaining) {
        const lease = kv.leaseTtl === undefined ? "0" : (leaseOf.get(kv.leaseTtl) ?? "0");
        result.migrated.push({
          v2Key: kv.v2Key,
          key: kv.key,
          createdIndex: kv.createdIndex,
          modifiedIndex: kv.modifiedIndex,
          revision,
          lease,
        });
      }
      return;
    }
    const stillFree: ExpectedKv[] = [];
    remaining.forEach((kv, i) => {
      const found = response.responses[i]?.response_range?.kvs?.[0];
      if (!found) stillFree.push(kv);
      else
        classifyExisting(
          kv,
          {
            key: found.key,
            value: found.value,
            createRevision: Number(found.create_revision),
            modRevision: Number(found.mod_revision),
            version: Number(found.version),
            lease: String(found.lease),
          },
          result,
        );
    });
    remaining = stillFree;
  }
}

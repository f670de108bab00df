import type { Etcd3 } from "etcd3";
import { StoreshiftError, wrapError } from "../common/errors.js";
import { etcdClient } from "../common/etcd-client.js";
import { sleep } from "../common/wait.js";
import { readV3Range } from "../etcd-v2v3/v3.js";
import type { MemberView } from "./compare.js";

/**
 * A member that was just restarted can answer /health before its gRPC side takes calls from a new
 * client; one attempt is flaky there, so reads retry for up to `ms` (15 s by default).
 */
export async function retrying<T>(what: string, fn: () => Promise<T>, ms = 15_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() - started > ms) throw wrapError(what, err);
      await sleep(500);
    }
  }
}

async function withClient<T>(endpoint: string, fn: (client: Etcd3) => Promise<T>): Promise<T> {
  const client = etcdClient([endpoint], { purpose: "etcd v3 oracle read" });
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

/** One member's whole v3 key space at one revision, and the granted TTL of every lease in use. */
export async function readMember(endpoint: string): Promise<MemberView> {
  return retrying(`read the v3 key space of etcd member ${endpoint}`, () =>
    withClient(endpoint, async (client) => {
      const { kvs, revision } = await readV3Range(client, "");
      const leaseTtls = new Map<string, number>();
      for (const lease of new Set(kvs.map((kv) => kv.lease).filter((l) => l !== "0"))) {
        const ttl = await client.leaseClient.leaseTimeToLive({ ID: lease, keys: false });
        leaseTtls.set(lease, Number(ttl.grantedTTL));
      }
      return { endpoint, revision, kvs, leaseTtls };
    }),
  );
}

type Exec = { exec(service: string, method: string, payload: unknown): Promise<Record<string, unknown>> };

/**
 * `etcdctl endpoint hashkv --rev=R` on every member: the hash of the key space up to one revision
 * that all members must share (the lowest current one), so members at different revisions still
 * compare like for like.
 */
export async function hashKvAtOneRevision(
  endpoints: string[],
): Promise<{ endpoint: string; revision: number; hash: string }[]> {
  const current = await Promise.all(
    endpoints.map((e) =>
      retrying(`read the revision of etcd member ${e}`, () =>
        withClient(e, async (c) => Number((await c.maintenance.status()).header.revision)),
      ),
    ),
  );
  const revision = Math.min(...current);
  return Promise.all(
    endpoints.map((endpoint) =>
      retrying(`hashkv of etcd member ${endpoint} at revision ${revision}`, () =>
        withClient(endpoint, async (client) => {
          // etcd3 1.1.2's typed hashKV names a method grpc-js does not have; the proto name works
          const inner = (client.maintenance as unknown as { client: Exec }).client;
          const h = await inner.exec("Maintenance", "HashKV", { revision });
          return { endpoint, revision, hash: String(h.hash) };
        }),
      ),
    ),
  );
}

/** v2 created/modified index of each key, read one exact key at a time (quorum). */
export async function readV2Indexes(
  v2Endpoint: string,
  keys: string[],
): Promise<Map<string, { createdIndex: number; modifiedIndex: number }>> {
  const out = new Map<string, { createdIndex: number; modifiedIndex: number }>();
  const base = v2Endpoint.replace(/\/+$/, "");
  for (const key of keys) {
    const path = key
      .split("/")
      .map((s) => encodeURIComponent(s))
      .join("/");
    const url = `${base}/v2/keys${path}?quorum=true`;
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (response.status === 404) continue;
    if (!response.ok)
      throw new StoreshiftError(`read v2 key ${key} at ${v2Endpoint}: HTTP ${response.status}`);
    const body = (await response.json()) as { node?: { createdIndex?: number; modifiedIndex?: number } };
    out.set(key, {
      createdIndex: body.node?.createdIndex ?? 0,
      modifiedIndex: body.node?.modifiedIndex ?? 0,
    });
  }
  return out;
}

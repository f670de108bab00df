import { InputError } from "../common/errors.js";
import { etcdClient } from "../common/etcd-client.js";
import type { V2Node } from "../etcd-v2v3/tree.js";
import { readV2Tree } from "../etcd-v2v3/v2-client.js";
import { readEtcdV3Pages } from "../snapshot/etcd-v3.js";

/**
 * A live etcd a user may only read: every call here is a read (GET /version, v2 GET, v3 Range).
 * What is read is written only into the local store that holds the copy.
 */
export function isEndpoint(spec: string): boolean {
  return /^https?:\/\//.test(spec);
}

/** One GET of /version: refuses an endpoint that does not answer as etcd, naming it. */
export async function probeEndpoint(url: string): Promise<{ server: string }> {
  const base = url.replace(/\/+$/, "");
  let response: Response;
  try {
    response = await fetch(`${base}/version`, { signal: AbortSignal.timeout(5_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    const why =
      cause?.code ?? ((err as Error).name === "TimeoutError" ? "no answer in 5 s" : (err as Error).message);
    throw new InputError(`etcd endpoint ${url}: ${why}`);
  }
  const text = await response.text();
  let body: { etcdserver?: unknown };
  try {
    body = JSON.parse(text) as { etcdserver?: unknown };
  } catch {
    throw new InputError(`etcd endpoint ${url}: /version answered HTTP ${response.status}, not etcd`);
  }
  if (!response.ok || typeof body.etcdserver !== "string")
    throw new InputError(`etcd endpoint ${url}: /version answered HTTP ${response.status}, not etcd`);
  return { server: body.etcdserver };
}

/** Copies the whole v3 keyspace page by page (Range reads only) into the target with plain puts. */
export async function copyV3Keyspace(url: string, targetEndpoints: string[]): Promise<{ keys: number }> {
  const source = etcdClient([url], { purpose: "live etcd source" });
  const target = etcdClient(targetEndpoints, { purpose: "live etcd source" });
  let keys = 0;
  try {
    for await (const page of readEtcdV3Pages(source, { pageSize: 500 })) {
      for (let i = 0; i < page.length; i += 100) {
        const batch = page.slice(i, i + 100);
        await Promise.all(batch.map((kv) => target.put(kv.key).value(kv.value).exec()));
        keys += batch.length;
      }
    }
  } catch (err) {
    throw new InputError(`copy etcd endpoint ${url}: ${(err as Error).message.split("\n")[0]}`);
  } finally {
    source.close();
    target.close();
  }
  return { keys };
}

/** The v2 key tree of a live member, by one recursive GET (no quorum write, no watch). */
export async function readLiveV2(url: string): Promise<V2Node> {
  try {
    return (await readV2Tree(url, { quorum: false })).root;
  } catch (err) {
    throw new InputError(`etcd endpoint ${url}: ${(err as Error).message.split("\n")[0]}`);
  }
}

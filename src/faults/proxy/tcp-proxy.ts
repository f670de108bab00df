import { connect, createServer, type Server, type Socket } from "node:net";
import { registerCleanup } from "../../common/cleanup.js";
import { StoreshiftError } from "../../common/errors.js";

/**
 * A network fault between a migrator and a store, in the spirit of Toxiproxy's toxics:
 *   none     bytes pass through untouched
 *   latency  every chunk in either direction is held `ms` before it is passed on
 *   reset    open connections are reset (RST) and new ones are reset on arrival
 *   timeout  connections are accepted and nothing is passed on in either direction, as behind a dead
 *            link; the client sees no error until its own deadline (if it has one)
 * See docs/faults.md for why this is a small proxy of our own rather than Toxiproxy.
 */
export type NetworkFault =
  | { kind: "none" }
  | { kind: "latency"; ms: number }
  | { kind: "reset" }
  | { kind: "timeout" };

export interface ProxyStats {
  connections: number;
  bytesUp: number;
  bytesDown: number;
  resets: number;
}

export interface StartedFaultProxy {
  /** 127.0.0.1:port the migrator connects to instead of the store. */
  readonly host: string;
  readonly port: number;
  readonly target: string;
  readonly stats: ProxyStats;
  fault(): NetworkFault;
  setFault(fault: NetworkFault): void;
  /** Calls `fn` once, as soon as `bytesUp` reaches `bytes` (a fault "after N requests' worth"). */
  onBytesUp(bytes: number, fn: () => void): void;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<StartedFaultProxy> {
  let current: NetworkFault = { kind: "none" };
  const stats: ProxyStats = { connections: 0, bytesUp: 0, bytesDown: 0, resets: 0 };
  const pairs = new Set<Pair>();
  const watchers: { bytes: number; fn: () => void }[] = [];

  const fireWatchers = () => {
    for (const w of [...watchers]) {
      if (stats.bytesUp >= w.bytes) {
        watchers.splice(watchers.indexOf(w), 1);
        w.fn();
      }
    }
  };

  const reset = (pair: Pair) => {
    stats.resets++;
    pair.client.resetAndDestroy();
    pair.upstream.resetAndDestroy();
    pairs.delete(pair);
  };

  /** Passes a chunk on now, later, or never, depending on the fault in force when it arrived. */
  const forward = (pair: Pair, to: Socket, chunk: Buffer) => {
    const f = current;
    if (f.kind === "timeout") return;
    if (f.kind === "reset") return reset(pair);
    if (f.kind === "latency") {
      // pause the source so chunks keep their order and memory stays bounded
      const from = to === pair.upstream ? pair.client : pair.upstream;
      from.pause();
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
        if (!from.destroyed) from.resume();
      }, f.ms);
      return;
    }
    to.write(chunk);
  };

  const server: Server = createServer((client) => {
    stats.connections++;
    if (current.kind === "reset") {
      stats.resets++;
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    const pair: Pair = { client, upstream };
    pairs.add(pair);
    client.on("data", (chunk: Buffer) => {
      stats.bytesUp += chunk.length;
      forward(pair, upstream, chunk);
      fireWatchers();
    });
    upstream.on("data", (chunk: Buffer) => {
      stats.bytesDown += chunk.length;
      forward(pair, client, chunk);
    });
    const close = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", close);
    upstream.on("close", close);
    client.on("error", close);
    upstream.on("error", close);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) =>
      reject(new StoreshiftError(`start fault proxy to ${target.host}:${target.port}: ${err.message}`)),
    );
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const pair of [...pairs]) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    pairs.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    unregister();
  };
  const unregister = registerCleanup(`fault proxy :${port}`, stop);

  return {
    host: "127.0.0.1",
    port,
    target: `${target.host}:${target.port}`,
    stats,
    fault: () => current,
    setFault(fault) {
      const before = current;
      current = fault;
      // chunks held by a timeout are gone: those connections can never answer, so they are reset
      // and the client sees an error instead of waiting forever on a healed link
      if (fault.kind === "reset" || (before.kind === "timeout" && fault.kind !== "timeout"))
        for (const pair of [...pairs]) reset(pair);
    },
    onBytesUp(bytes, fn) {
      watchers.push({ bytes, fn });
      fireWatchers();
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** Parses the words a scenario uses: "latency of 200 ms", "connection reset", "timeout". */
export function parseNetworkFault(text: string): NetworkFault {
  const latency = /^latency(?: of)? (\d+) ?ms$/.exec(text.trim());
  if (latency) return { kind: "latency", ms: Number(latency[1]) };
  if (/^(connection )?resets?$/.test(text.trim())) return { kind: "reset" };
  if (/^(a )?timeouts?$/.test(text.trim())) return { kind: "timeout" };
  if (text.trim() === "none") return { kind: "none" };
  throw new StoreshiftError(
    `network fault "${text}": expected "latency of N ms", "connection reset", "timeout" or "none"`,
  );
}

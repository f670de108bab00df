import { Etcd3, type IOptions } from "etcd3";
import { envVar } from "./environment.js";
import { StoreshiftError } from "./errors.js";

/**
 * Default deadline of one unary etcd v3 call, in ms (30_000); STORESHIFT_ETCD_CALL_TIMEOUT_MS overrides
 * it. Without one, a call on a dead link (packets dropped, no reset) waits forever; a 128-put Txn or a
 * 2000-key page answers in milliseconds on a healthy member. Streams (watches) never get a deadline.
 */
export const DEFAULT_ETCD_CALL_DEADLINE_MS = 30_000;

/** How long to wait for a connection, in ms (5_000; etcd3's own default is 30 s). */
export const ETCD_DIAL_TIMEOUT_MS = 5_000;

/** The deadline a client made now uses when none is given: the environment's, else the default. */
export function etcdCallDeadlineMs(): number {
  const fromEnv = Number(envVar("STORESHIFT_ETCD_CALL_TIMEOUT_MS"));
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_ETCD_CALL_DEADLINE_MS;
}

export interface EtcdClientOptions {
  /** What the client is for ("calico etcd", "snapshot read"); named in the errors this factory raises. */
  purpose: string;
  /** Deadline of each unary call in ms; default `etcdCallDeadlineMs()`. A site that differs says why. */
  deadlineMs?: number;
  /** Anything else for etcd3 (credentials, a retry policy); applied last, except `hosts`. */
  extra?: Partial<IOptions>;
}

/** etcd3 wants `http://` hosts; etcdctl users often give bare `host:port`. */
export function normaliseEndpoint(endpoint: string): string {
  const trimmed = endpoint.trim().replace(/\/+$/, "");
  return /^https?:\/\//.test(trimmed) ? trimmed : `http://${trimmed}`;
}

/**
 * The one way storeshift opens an etcd v3 client: endpoints normalised, the same dial timeout, a
 * deadline on every unary call, and no gRPC receive limit (grpc-js' 4 MiB default would fail a page of
 * large values, and etcd3's circuit breaker would then refuse the retry; etcd's own send limit stays
 * the bound). etcd3 retries recoverable failures; that is safe for storeshift's writes because every
 * migrator write is guarded by a compare, so a replayed Txn cannot clobber anything. Close it after use.
 */
export function etcdClient(endpoints: string[], options: EtcdClientOptions): Etcd3 {
  if (endpoints.length === 0)
    throw new StoreshiftError(`${options.purpose}: connect to etcd v3: no endpoints given`);
  const deadlineMs = options.deadlineMs ?? etcdCallDeadlineMs();
  const extra = options.extra ?? {};
  return new Etcd3({
    dialTimeout: ETCD_DIAL_TIMEOUT_MS,
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + deadlineMs }),
    ...extra,
    grpcOptions: { "grpc.max_receive_message_length": -1, ...extra.grpcOptions },
    hosts: endpoints.map(normaliseEndpoint),
  });
}

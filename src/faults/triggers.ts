import type { Watcher } from "etcd3";
import { StoreshiftError } from "../common/errors.js";
import { etcdClient } from "../common/etcd-client.js";
import { sleep } from "../common/wait.js";

/**
 * When a fault fires. The migration code has no hooks for faults, and should not: a fault is placed
 * by watching the store the migration writes to. etcd's watch reports every put under a prefix in
 * revision order, so "after N objects" is counted on the target store itself, whoever writes it
 * (the Calico import through kube-apiserver, the online migrator through gRPC). The fault lands after
 * at least N writes; writes already in flight may still land.
 */
export interface ArmedTrigger {
  readonly description: string;
  /** Resolves with the number of writes seen when the trigger fired. */
  readonly fired: Promise<number>;
  readonly hasFired: boolean;
  cancel(): Promise<void>;
}

export async function afterPuts(options: {
  endpoints: string[];
  prefix: string;
  count: number;
  /** Counts only keys it accepts (e.g. IPAM kinds under the Calico CRD prefix). */
  keyFilter?: (key: string) => boolean;
  description?: string;
}): Promise<ArmedTrigger> {
  const client = etcdClient(options.endpoints, { purpose: "fault trigger" });
  let seen = 0;
  let hasFired = false;
  let resolveFired: (n: number) => void = () => {};
  const fired = new Promise<number>((resolve) => {
    resolveFired = resolve;
  });
  let watcher: Watcher | undefined;
  const cancel = async () => {
    const w = watcher;
    watcher = undefined;
    await w?.cancel().catch(() => undefined);
    client.close();
  };
  try {
    watcher = await client.watch().prefix(options.prefix).create();
  } catch (err) {
    client.close();
    throw new StoreshiftError(
      `arm fault trigger on ${options.prefix} at ${options.endpoints.join(",")}: ${(err as Error).message}`,
    );
  }
  watcher.on("put", (kv) => {
    if (options.keyFilter && !options.keyFilter(kv.key.toString())) return;
    seen++;
    if (!hasFired && seen >= options.count) {
      hasFired = true;
      resolveFired(seen);
    }
  });
  // a killed store breaks the watch stream; the trigger has done its work by then
  watcher.on("error", () => undefined);
  if (options.count <= 0) {
    hasFired = true;
    resolveFired(0);
  }
  return {
    description: options.description ?? `after ${options.count} writes under ${options.prefix}`,
    fired,
    get hasFired() {
      return hasFired;
    },
    cancel,
  };
}

/** Fires when `isTrue` holds, polled every `intervalMs` (e.g. a member stopped by the offline roll). */
export function whenTrue(
  description: string,
  isTrue: () => boolean | Promise<boolean>,
  intervalMs = 5,
): ArmedTrigger {
  let cancelled = false;
  let hasFired = false;
  const fired = (async () => {
    while (!cancelled) {
      if (await isTrue()) {
        hasFired = true;
        return 1;
      }
      await sleep(intervalMs);
    }
    return new Promise<number>(() => {});
  })();
  return {
    description,
    fired,
    get hasFired() {
      return hasFired;
    },
    cancel: async () => {
      cancelled = true;
    },
  };
}

/** Where kube-apiserver stores Calico custom resources in its etcd. */
export const CALICO_CRD_PREFIX = "/registry/crd.projectcalico.org/";

const IPAM_PLURALS = ["/ipamblocks/", "/blockaffinities/", "/ipamhandles/", "/ipamconfigs/"];

/** A key of an IPAM custom resource (blocks, affinities, handles, config) under the registry. */
export function isIpamKey(key: string): boolean {
  return IPAM_PLURALS.some((p) => key.includes(p));
}

/**
 * Fires once the control plane's etcd has stored `count` Calico custom resources (only IPAM ones
 * with `ipamOnly`): the import counted on the target itself. Needs the local control plane's etcd.
 */
export async function afterCalicoObjects(options: {
  etcdEndpoint: string | undefined;
  count: number;
  ipamOnly: boolean;
}): Promise<ArmedTrigger> {
  const { etcdEndpoint, count, ipamOnly } = options;
  if (!etcdEndpoint) throw new Error("counting objects needs the local control plane's etcd");
  return afterPuts({
    endpoints: [etcdEndpoint],
    prefix: CALICO_CRD_PREFIX,
    count,
    keyFilter: ipamOnly ? isIpamKey : undefined,
    description: `after ${count} ${ipamOnly ? "IPAM" : "Calico"} objects reached Kubernetes`,
  });
}

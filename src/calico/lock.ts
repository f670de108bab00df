import { randomUUID } from "node:crypto";
import { StoreshiftError } from "../common/errors.js";
import type { CalicoEtcd } from "./etcd/store.js";
import { BUILTIN_TIERS, V3_API_VERSION } from "./kinds.js";
import { createMetadata, type KubeObject, toCustomResource } from "./kube/encoding.js";
import type { CalicoKube } from "./kube/store.js";
import type { V3Object } from "./model.js";

/**
 * The migration lock is one field, ClusterInformation default `spec.datastoreReady`: false = locked.
 * Lock first ensures initialisation (ClusterInformation with a new GUID, the built-in tiers), as
 * `calicoctl datastore migrate lock` does through clientv3's EnsureInitialized. Both updates are
 * optimistic (compare on the revision read) and not retried, as upstream.
 */

export const LOCKED_MESSAGE = "Datastore locked.";
export const UNLOCKED_MESSAGE = "Datastore unlocked.";
export const NOT_LOCKED_MESSAGE =
  "datastore is not locked. Run the `calicoctl datastore migrate lock` command in order to begin migration";

export function nowTimestamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, "Z");
}

function newGuid(): string {
  return randomUUID().replaceAll("-", "");
}

function tierObject(tier: (typeof BUILTIN_TIERS)[number], now: string): V3Object {
  return {
    kind: "Tier",
    apiVersion: V3_API_VERSION,
    metadata: { name: tier.name, uid: randomUUID(), creationTimestamp: now },
    spec: { order: tier.order, defaultAction: tier.defaultAction },
    status: {},
  };
}

// ---- etcd ----

export async function ensureInitializedEtcd(etcd: CalicoEtcd): Promise<void> {
  const now = nowTimestamp();
  const info = await etcd.getResource("ClusterInformation", "default");
  if (!info) {
    await etcd.createResource({
      kind: "ClusterInformation",
      apiVersion: V3_API_VERSION,
      metadata: { name: "default", uid: randomUUID(), creationTimestamp: now },
      spec: { clusterGUID: newGuid(), datastoreReady: true },
    });
  } else {
    const spec = { ...(info.spec ?? {}) };
    let changed = false;
    if (!spec.clusterGUID) {
      spec.clusterGUID = newGuid();
      changed = true;
    }
    if (spec.datastoreReady === undefined || spec.datastoreReady === null) {
      spec.datastoreReady = true;
      changed = true;
    }
    if (changed && !(await etcd.updateResource({ ...info, spec })))
      throw new StoreshiftError("initialise etcd datastore: ClusterInformation default changed concurrently");
  }
  for (const tier of BUILTIN_TIERS) await etcd.createResource(tierObject(tier, now));
}

async function setReadyEtcd(etcd: CalicoEtcd, ready: boolean): Promise<void> {
  const operation = ready ? "unlock" : "lock";
  const info = await etcd.getResource("ClusterInformation", "default");
  if (!info)
    throw new StoreshiftError(`${operation} etcd: error retrieving ClusterInformation for ${operation}ing`);
  const ok = await etcd.updateResource({ ...info, spec: { ...(info.spec ?? {}), datastoreReady: ready } });
  if (!ok)
    throw new StoreshiftError(
      `${operation} etcd: ClusterInformation default was modified concurrently (resourceVersion ${info.metadata.resourceVersion}); retry`,
    );
}

export async function lockEtcdStore(etcd: CalicoEtcd): Promise<void> {
  await ensureInitializedEtcd(etcd);
  await setReadyEtcd(etcd, false);
}

export async function unlockEtcdStore(etcd: CalicoEtcd): Promise<void> {
  await setReadyEtcd(etcd, true);
}

/** True when locked; a missing ClusterInformation or a nil flag count as "not locked" (upstream panics). */
export async function isEtcdLocked(etcd: CalicoEtcd): Promise<boolean> {
  const info = await etcd.getResource("ClusterInformation", "default");
  return info?.spec?.datastoreReady === false;
}

// ---- Kubernetes ----

export async function ensureInitializedKube(kube: CalicoKube): Promise<void> {
  const now = nowTimestamp();
  const current = await kube.get("ClusterInformation", "default");
  if (!current) {
    const info: V3Object = {
      kind: "ClusterInformation",
      apiVersion: V3_API_VERSION,
      metadata: { name: "default" },
      spec: { clusterGUID: newGuid(), clusterType: "kdd", datastoreReady: true },
    };
    await kube.create(toCustomResource({ ...info, metadata: createMetadata(info, now) }));
  } else {
    const spec = { ...((current.spec ?? {}) as Record<string, unknown>) };
    let changed = false;
    if (!spec.clusterGUID) {
      spec.clusterGUID = newGuid();
      changed = true;
    }
    if (spec.datastoreReady === undefined || spec.datastoreReady === null) {
      spec.datastoreReady = true;
      changed = true;
    }
    const types = String(spec.clusterType ?? "")
      .split(",")
      .filter((t) => t !== "");
    if (!types.includes("kdd")) {
      spec.clusterType = [...types, "kdd"].join(",");
      changed = true;
    }
    if (changed) await kube.replace({ ...current, spec });
  }
  await createBuiltinTiersKube(kube, now);
}

/**
 * The built-in tiers default, kube-admin and kube-baseline, created where missing. Calico creates them
 * on any initialisation, and protects them from deletion, so a real target often has them already.
 */
export async function createBuiltinTiersKube(kube: CalicoKube, now = nowTimestamp()): Promise<void> {
  for (const tier of BUILTIN_TIERS) {
    const obj = tierObject(tier, now);
    const res = await kube.rest.request(
      "POST",
      kube.collectionPath("Tier"),
      toCustomResource({ ...obj, metadata: createMetadata(obj, now) }),
    );
    if (res.status > 299 && res.status !== 409 && res.status !== 401 && res.status !== 403)
      throw new StoreshiftError(
        `initialise Kubernetes datastore: create tier ${tier.name}: HTTP ${res.status}`,
      );
  }
}

async function setReadyKube(kube: CalicoKube, ready: boolean): Promise<void> {
  const operation = ready ? "unlock" : "lock";
  const info = await kube.get("ClusterInformation", "default");
  if (!info)
    throw new StoreshiftError(
      `${operation} kubernetes: error retrieving ClusterInformation for ${operation}ing`,
    );
  const updated: KubeObject = { ...info, spec: { ...((info.spec ?? {}) as object), datastoreReady: ready } };
  await kube.replace(updated);
}

export async function lockKubeStore(kube: CalicoKube): Promise<void> {
  await ensureInitializedKube(kube);
  await setReadyKube(kube, false);
}

export async function unlockKubeStore(kube: CalicoKube): Promise<void> {
  await setReadyKube(kube, true);
}

export async function isKubeLocked(kube: CalicoKube): Promise<boolean> {
  const info = await kube.get("ClusterInformation", "default");
  return (info?.spec as { datastoreReady?: boolean } | undefined)?.datastoreReady === false;
}

import type { EtcdMember, StartedLocalEtcd } from "../providers/etcd/local-etcd.js";
import type { StartedLocalControlPlane } from "../providers/kube/local-control-plane.js";
import {
  apiserverTarget,
  controlPlaneEtcdTarget,
  etcdMemberTarget,
  type FaultTarget,
} from "./process-faults.js";
import type { FaultTargetRef } from "./words.js";

/**
 * The stores a scenario runs, as fault targets are resolved against them: a process fault needs the
 * process, so only stores storeshift started itself qualify (the local control plane, local etcd).
 */
export interface FaultStores {
  /** The local control plane, when the scenario's Kubernetes is one. */
  plane: StartedLocalControlPlane | undefined;
  /** Named in the error when there is no local control plane. */
  backend: string;
  /** A scenario's etcd by name; throws naming the name when there is none. */
  etcd(name: string): StartedLocalEtcd;
}

function localPlane(stores: FaultStores): StartedLocalControlPlane {
  if (!stores.plane)
    throw new Error(`process faults need the local control plane (backend ${stores.backend})`);
  return stores.plane;
}

/**
 * The process a fault phrase names. Resolved when the fault is applied, not when it is armed, so a
 * process restarted meanwhile is the one hit.
 */
export function resolveFaultTarget(ref: FaultTargetRef, stores: FaultStores): FaultTarget {
  if (ref.kind === "kube-apiserver") return apiserverTarget(localPlane(stores));
  if (ref.kind === "control-plane-etcd") return controlPlaneEtcdTarget(localPlane(stores));
  return etcdMemberTarget(stores.etcd(ref.cluster).member(ref.member), ref.label);
}

/** The member a "once member N is stopped" trigger watches: member N of the target's own cluster. */
export function watchedMember(ref: FaultTargetRef, member: number, stores: FaultStores): EtcdMember {
  if (ref.kind !== "etcd-member")
    throw new Error(`"once member ${member} is stopped" needs an etcd cluster as the fault's target`);
  return stores.etcd(ref.cluster).member(member);
}

/** Where a fault proxy in front of the target forwards to: the API server, or an etcd's member 0. */
export function proxyUpstream(ref: FaultTargetRef, stores: FaultStores): { host: string; port: number } {
  if (ref.kind === "control-plane-etcd")
    throw new Error("no fault proxy in front of the control plane's etcd: the migrator never reaches it");
  const url = new URL(
    ref.kind === "kube-apiserver" ? localPlane(stores).server : stores.etcd(ref.cluster).member(0).clientUrl,
  );
  return { host: url.hostname, port: Number(url.port) };
}

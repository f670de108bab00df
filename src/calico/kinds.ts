/**
 * The one registry of every Calico kind the migration touches. Everything else (etcd keys, export
 * order, CRD manifests, Kubernetes REST paths, skip rules) is derived from these entries, so adding a
 * kind is one line here.
 */

export const V3_API_VERSION = "projectcalico.org/v3";
export const CRD_GROUP = "crd.projectcalico.org";
export const CRD_API_VERSION = `${CRD_GROUP}/v1`;
export const RESOURCES_PREFIX = "/calico/resources/v3/projectcalico.org/";
export const IPAM_PREFIX = "/calico/ipam/v2/";
/** Where libcalico-go keeps a v3 object's own metadata (etcd: policy name; Kubernetes: all of it). */
export const METADATA_ANNOTATION = "projectcalico.org/metadata";

export type Scope = "Cluster" | "Namespaced";

export interface CalicoKind {
  kind: string;
  /** Lower-case plural: the etcd key segment, the CRD plural and the REST path segment. */
  plural: string;
  scope: Scope;
  /**
   * Position in calicoctl's fixed export order (`allV3Resources`), or undefined when the kind is not
   * exported as YAML (ClusterInformation has its own section; the rest are not migrated).
   */
  exportOrder?: number;
  /** etcd stores `{"name": ...}` in the metadata annotation and Kubernetes keeps the name in it. */
  policy?: boolean;
  /** Where it lives in Kubernetes: a Calico CRD, annotations on core/v1 Nodes, or nowhere. */
  kube: "crd" | "node-annotations" | "generated" | "none";
  /** The CRD has a status subresource (a create or update of the main resource ignores status). */
  statusSubresource?: boolean;
  /** Why a kind in etcd is not carried over; shown in reports and the leftovers list. */
  notMigratedBecause?: string;
}

const kinds: CalicoKind[] = [
  {
    kind: "IPPool",
    plural: "ippools",
    scope: "Cluster",
    exportOrder: 0,
    kube: "crd",
    statusSubresource: true,
  },
  { kind: "BGPPeer", plural: "bgppeers", scope: "Cluster", exportOrder: 1, kube: "crd" },
  { kind: "Tier", plural: "tiers", scope: "Cluster", exportOrder: 2, kube: "crd", statusSubresource: true },
  {
    kind: "GlobalNetworkPolicy",
    plural: "globalnetworkpolicies",
    scope: "Cluster",
    exportOrder: 3,
    policy: true,
    kube: "crd",
  },
  {
    kind: "StagedGlobalNetworkPolicy",
    plural: "stagedglobalnetworkpolicies",
    scope: "Cluster",
    exportOrder: 4,
    policy: true,
    kube: "crd",
  },
  { kind: "GlobalNetworkSet", plural: "globalnetworksets", scope: "Cluster", exportOrder: 5, kube: "crd" },
  { kind: "HostEndpoint", plural: "hostendpoints", scope: "Cluster", exportOrder: 6, kube: "crd" },
  {
    kind: "KubeControllersConfiguration",
    plural: "kubecontrollersconfigurations",
    scope: "Cluster",
    exportOrder: 7,
    kube: "crd",
    statusSubresource: true,
  },
  {
    kind: "NetworkPolicy",
    plural: "networkpolicies",
    scope: "Namespaced",
    exportOrder: 8,
    policy: true,
    kube: "crd",
  },
  {
    kind: "StagedNetworkPolicy",
    plural: "stagednetworkpolicies",
    scope: "Namespaced",
    exportOrder: 9,
    policy: true,
    kube: "crd",
  },
  {
    kind: "StagedKubernetesNetworkPolicy",
    plural: "stagedkubernetesnetworkpolicies",
    scope: "Namespaced",
    exportOrder: 10,
    kube: "crd",
  },
  { kind: "NetworkSet", plural: "networksets", scope: "Namespaced", exportOrder: 11, kube: "crd" },
  { kind: "Node", plural: "nodes", scope: "Cluster", exportOrder: 12, kube: "node-annotations" },
  { kind: "BGPConfiguration", plural: "bgpconfigurations", scope: "Cluster", exportOrder: 13, kube: "crd" },
  {
    kind: "FelixConfiguration",
    plural: "felixconfigurations",
    scope: "Cluster",
    exportOrder: 14,
    kube: "crd",
  },
  { kind: "IPReservation", plural: "ipreservations", scope: "Cluster", exportOrder: 15, kube: "crd" },
  { kind: "BGPFilter", plural: "bgpfilters", scope: "Cluster", exportOrder: 16, kube: "crd" },
  { kind: "ClusterInformation", plural: "clusterinformations", scope: "Cluster", kube: "crd" },
  {
    kind: "CalicoNodeStatus",
    plural: "caliconodestatuses",
    scope: "Cluster",
    kube: "crd",
    statusSubresource: true,
    notMigratedBecause: "status written by calico-node; not exported by calicoctl",
  },
  {
    kind: "WorkloadEndpoint",
    plural: "workloadendpoints",
    scope: "Namespaced",
    kube: "generated",
    notMigratedBecause: "regenerated from Pods in the Kubernetes datastore",
  },
  {
    kind: "Profile",
    plural: "profiles",
    scope: "Cluster",
    kube: "generated",
    notMigratedBecause: "generated from Namespaces and ServiceAccounts in the Kubernetes datastore",
  },
  {
    kind: "IPAMConfiguration",
    plural: "ipamconfigurations",
    scope: "Cluster",
    kube: "none",
    notMigratedBecause: "calicoctl migrates /calico/ipam/v2/config, not the v3 resource",
  },
  {
    kind: "BlockAffinity",
    plural: "blockaffinities",
    scope: "Cluster",
    kube: "crd",
    notMigratedBecause: "affinities are migrated from the IPAM tree, not the v3 resource",
  },
  {
    kind: "LiveMigration",
    plural: "livemigrations",
    scope: "Namespaced",
    kube: "none",
    notMigratedBecause: "backed by KubeVirt objects in the Kubernetes datastore",
  },
  // IPAM objects: stored under /calico/ipam/v2/ in etcd, as CRs in Kubernetes.
  { kind: "IPAMBlock", plural: "ipamblocks", scope: "Cluster", kube: "crd" },
  { kind: "IPAMHandle", plural: "ipamhandles", scope: "Cluster", kube: "crd" },
  { kind: "IPAMConfig", plural: "ipamconfigs", scope: "Cluster", kube: "crd" },
];

export const CALICO_KINDS: readonly CalicoKind[] = kinds;

/** The 17 kinds `calicoctl datastore migrate export` writes, in its fixed order. */
export const EXPORTED_KINDS: readonly CalicoKind[] = kinds
  .filter((k) => k.exportOrder !== undefined)
  .sort((a, b) => (a.exportOrder ?? 0) - (b.exportOrder ?? 0));

/** Every kind that has a Calico CRD (what import installs and rollback deletes). */
export const CRD_KINDS: readonly CalicoKind[] = kinds.filter((k) => k.kube === "crd");

export const IPAM_KIND_NAMES = ["BlockAffinity", "IPAMBlock", "IPAMHandle", "IPAMConfig"] as const;

const byKind = new Map(kinds.map((k) => [k.kind, k]));
const byPlural = new Map(kinds.map((k) => [k.plural, k]));

export function kindByName(kind: string): CalicoKind | undefined {
  return byKind.get(kind);
}
export function kindByPlural(plural: string): CalicoKind | undefined {
  return byPlural.get(plural);
}

export function requireKind(kind: string, where: string): CalicoKind {
  const k = byKind.get(kind);
  if (!k) throw new Error(`${where}: unknown Calico kind "${kind}"`);
  return k;
}

/** The built-in tiers EnsureInitialized creates, with their order and default action. */
export const BUILTIN_TIERS = [
  { name: "default", order: 1_000_000, defaultAction: "Deny" },
  { name: "kube-admin", order: 1_000, defaultAction: "Pass" },
  { name: "kube-baseline", order: 10_000_000, defaultAction: "Pass" },
] as const;

export function isProtectedTier(name: string): boolean {
  return BUILTIN_TIERS.some((t) => t.name === name);
}

/** Prefix of Kubernetes NetworkPolicies mirrored into etcd by the etcd-mode policy controller. */
export const KNP_MIRROR_PREFIX = "knp.default.";

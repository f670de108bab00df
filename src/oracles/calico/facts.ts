/**
 * What the oracles know about Calico, written down here from Calico's documentation and CRDs, not
 * taken from the migrator (src/calico): if the migrator's tables are wrong, these must disagree.
 */

export type Scope = "Cluster" | "Namespaced";

/** etcd plural (the key segment under /calico/resources/v3/projectcalico.org/) → v3 kind and scope. */
export const V3_PLURALS: Readonly<Record<string, { kind: string; scope: Scope }>> = {
  bgpconfigurations: { kind: "BGPConfiguration", scope: "Cluster" },
  bgpfilters: { kind: "BGPFilter", scope: "Cluster" },
  bgppeers: { kind: "BGPPeer", scope: "Cluster" },
  caliconodestatuses: { kind: "CalicoNodeStatus", scope: "Cluster" },
  clusterinformations: { kind: "ClusterInformation", scope: "Cluster" },
  felixconfigurations: { kind: "FelixConfiguration", scope: "Cluster" },
  globalnetworkpolicies: { kind: "GlobalNetworkPolicy", scope: "Cluster" },
  globalnetworksets: { kind: "GlobalNetworkSet", scope: "Cluster" },
  hostendpoints: { kind: "HostEndpoint", scope: "Cluster" },
  ippools: { kind: "IPPool", scope: "Cluster" },
  ipreservations: { kind: "IPReservation", scope: "Cluster" },
  kubecontrollersconfigurations: { kind: "KubeControllersConfiguration", scope: "Cluster" },
  networkpolicies: { kind: "NetworkPolicy", scope: "Namespaced" },
  networksets: { kind: "NetworkSet", scope: "Namespaced" },
  nodes: { kind: "Node", scope: "Cluster" },
  profiles: { kind: "Profile", scope: "Cluster" },
  stagedglobalnetworkpolicies: { kind: "StagedGlobalNetworkPolicy", scope: "Cluster" },
  stagedkubernetesnetworkpolicies: { kind: "StagedKubernetesNetworkPolicy", scope: "Namespaced" },
  stagednetworkpolicies: { kind: "StagedNetworkPolicy", scope: "Namespaced" },
  tiers: { kind: "Tier", scope: "Cluster" },
  workloadendpoints: { kind: "WorkloadEndpoint", scope: "Namespaced" },
};

/**
 * Source keys that are deliberately not migrated, and why (docs/oracles.md prints this list). Each
 * entry matches a v3 kind, and optionally a name prefix.
 */
export interface Exclusion {
  kind: string;
  namePrefix?: string;
  reason: string;
}

export const EXCLUSIONS: readonly Exclusion[] = [
  {
    kind: "WorkloadEndpoint",
    reason: "the Kubernetes datastore derives workload endpoints from Pods; there is nothing to store",
  },
  {
    kind: "Profile",
    reason:
      "the Kubernetes datastore derives kns./ksa. profiles from Namespaces and ServiceAccounts, and projectcalico-default-allow is built in",
  },
  {
    kind: "CalicoNodeStatus",
    reason: "status requests are per running calico-node; the guide's export does not carry them",
  },
  {
    kind: "NetworkPolicy",
    namePrefix: "knp.default.",
    reason:
      "a copy of a Kubernetes NetworkPolicy that the etcd datastore keeps; the Kubernetes datastore reads the original",
  },
];

/** Tunnel address handles carry their node's name; a migration renames them with the node. */
export const TUNNEL_HANDLE_PREFIXES: readonly string[] = [
  "ipip-tunnel-addr-",
  "vxlan-tunnel-addr-",
  "vxlan-v6-tunnel-addr-",
  "wireguard-tunnel-addr-",
  "wireguard-v6-tunnel-addr-",
];

/** Per-node configurations are named `node.<node name>`. */
export const PER_NODE_CONFIG_KINDS: readonly string[] = ["FelixConfiguration", "BGPConfiguration"];

/** Kinds whose spec names a tier (absent means "default"). */
export const TIERED_POLICY_KINDS: readonly string[] = [
  "NetworkPolicy",
  "GlobalNetworkPolicy",
  "StagedNetworkPolicy",
  "StagedGlobalNetworkPolicy",
];

export const CRD_GROUP = "crd.projectcalico.org";
/** Annotation under which the Kubernetes backend keeps the v3 metadata a CR cannot hold. */
export const V3_METADATA_ANNOTATION = "projectcalico.org/metadata";

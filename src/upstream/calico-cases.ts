/**
 * The Calico half of the upstream regression corpus (`../shared/reference/upstream-cases.md`, part A):
 * one entry per case id, with what it protects against and where upstream discussed it. The ids are
 * stable; features/upstream/calico.feature has one scenario per id, tagged with it.
 */

export interface UpstreamCalicoCase {
  id: string;
  title: string;
  /** Upstream issues, PRs or code the case comes from. */
  links: string[];
  /**
   * The calicoctl release that fixed it; absent while upstream still has it (open, documented or
   * inferred from the code at v3.32.1). storeshift's own verdict depends on it: avoiding a bug
   * upstream still has is "fixed-by-storeshift", avoiding one upstream fixed is "not-reproduced".
   */
  fixedUpstreamIn?: string;
  /** Releases upstream says show the bug (for the version rows that are not run here). */
  affected?: string;
}

export const CALICO_CASES: readonly UpstreamCalicoCase[] = [
  {
    id: "C-01",
    title: "node-name mismatch leaves IPAM pointing at etcd node names",
    links: ["https://github.com/projectcalico/calicoctl/pull/2186", "projectcalico/calicoctl#2196, #2198"],
    fixedUpstreamIn: "3.15 / 3.16 (cherry-picks #2198, #2196)",
    affected: "< 3.15.x",
  },
  {
    id: "C-02",
    title: "IPv6 tunnel handles are not renamed",
    links: ["calicoctl/calicoctl/commands/datastore/migrate/migrateipam.go (ipamHandlePrefixes)"],
  },
  {
    id: "C-03",
    title: "two etcd Nodes that map to one Kubernetes Node overwrite each other",
    links: ["calicoctl/tests/st/utils/data.py (node_name4_rev1, node_name5_rev1)", "test_migrate.py"],
  },
  {
    id: "C-04",
    title: "Nodes without a usable k8s orchRef: half-written export; skipped nodes keep their IPAM",
    links: [
      "calicoctl/calicoctl/commands/datastore/migrate/export.go",
      "import.go (nonexistent node warning)",
    ],
  },
  {
    id: "C-05",
    title: "Kubernetes NetworkPolicies mirrored into etcd as knp.default.*",
    links: ["https://github.com/projectcalico/calicoctl/pull/2141", "projectcalico/calicoctl#2142"],
    fixedUpstreamIn: "3.x (2019, calicoctl#2141)",
  },
  {
    id: "C-06",
    title: "whole kinds missing from older exports",
    links: [
      "projectcalico/calicoctl#2173, #2175, #2176 (KubeControllersConfiguration, v3.16)",
      "https://github.com/projectcalico/calico/pull/8971 (IPReservation, BGPFilter, v3.29.0)",
      "https://github.com/projectcalico/calico/pull/9493 (Tier, v3.30.0)",
      "https://github.com/projectcalico/calico/pull/9746 (staged policies, v3.30.0)",
    ],
    fixedUpstreamIn: "3.30.0",
    affected:
      "≤ 3.15 (KubeControllersConfiguration), ≤ 3.28 (IPReservation, BGPFilter), ≤ 3.29 (Tier, staged)",
  },
  {
    id: "C-07",
    title: "built-in tiers in the target make import refuse it",
    links: [
      "https://github.com/projectcalico/calico/pull/12884",
      "https://github.com/projectcalico/calico/pull/13031",
    ],
    fixedUpstreamIn: "3.32.1",
    affected: "3.30.0 – 3.32.0",
  },
  {
    id: "C-08",
    title: "staged namespaced policies exported only from namespace default",
    links: ["calicoctl/calicoctl/commands/datastore/migrate/export.go (--all-namespaces)"],
  },
  {
    id: "C-09",
    title: "virtual (LoadBalancer) block affinities not exported",
    links: [
      "libcalico-go/lib/backend/model/block_affinity.go (defaultPathRoot)",
      "projectcalico/calico#9221",
    ],
  },
  {
    id: "C-10",
    title: 'the export file\'s "===\\n" delimiter is matched inside the data',
    links: ["calicoctl/calicoctl/commands/datastore/migrate/import.go (splitImportFile)"],
  },
  {
    id: "C-11",
    title: "import is not atomic: it fails after writing",
    links: ["calicoctl/tests/st/calicoctl/test_migrate.py (NO_IPAM)", "import.go (Partial success)"],
  },
  {
    id: "C-12",
    title: "a calicoctl config file silently wins over DATASTORE_TYPE",
    links: [
      "https://github.com/projectcalico/calico/issues/5837",
      "calicoctl/tests/st/calicoctl/test_flags.py",
    ],
  },
  {
    id: "C-13",
    title: "writes during the lock window are lost",
    links: [
      "https://github.com/projectcalico/calico/pull/5676",
      "projectcalico/cni-plugin#928, #968, #1013",
      "https://github.com/projectcalico/calico/issues/13421",
    ],
  },
  {
    id: "C-14",
    title: "IPAM field shapes that differ between versions",
    links: [
      "https://github.com/projectcalico/calico/pull/11894 (AllocationAttribute, v3.32.0)",
      "https://github.com/projectcalico/calico/pull/13257 (policy names)",
    ],
    // the fields arrived with 3.32.0; what stays open is pairing an older export with a newer import
    fixedUpstreamIn: "3.32.0 (#11894; an export by 3.31 still lacks them)",
    affected: "exports by ≤ 3.31 imported by ≥ 3.32",
  },
  {
    id: "C-15",
    title: "rollback leaves Calico annotations on core/v1 Nodes",
    links: ["tigera/docs calico/operations/datastore-migration.mdx (rollback)"],
  },
];

export function calicoCase(id: string): UpstreamCalicoCase {
  const found = CALICO_CASES.find((c) => c.id === id);
  if (!found)
    throw new Error(
      `upstream case ${id}: not a Calico case (known: ${CALICO_CASES.map((c) => c.id).join(", ")})`,
    );
  return found;
}

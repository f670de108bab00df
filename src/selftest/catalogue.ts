/**
 * The bundled mutants: deliberately broken migrators, each a module under mutants/ that wraps the
 * builtin and breaks one thing. `storeshift selftest` runs the suite once per mutant; a mutant the
 * suite does not catch shows a claim the suite makes but does not check.
 */

export type Migration = "calico" | "etcd-v2v3";

export interface ScenarioPick {
  feature: string;
  scenario: string;
}

export interface MutantEntry {
  /** Also the module's file name under mutants/. */
  name: string;
  migration: Migration;
  /** The bug class, for the catch table. */
  bugClass: string;
  /** Which check should catch it (an issue 10 deliverable when none does yet). */
  shouldBeCaughtBy: string;
  /**
   * In the fast subset (CI): the @smoke scenario(s) that catch it, by feature file and exact name
   * (names survive edits that move lines). Only mutants a @smoke scenario catches belong here.
   */
  fast?: ScenarioPick[];
  /**
   * Full subset: when the mutant breaks only a step some scenarios take (rollback), the tag that
   * selects every scenario taking it; the others behave exactly as on the builtin, so they are not run.
   */
  onlyTagged?: string;
  /** Full subset: only these feature files of its migration (the others never call what it breaks). */
  onlyFeatures?: string[];
}

const FORWARD_SMOKE: ScenarioPick = {
  feature: "features/calico/forward.feature",
  scenario: "the forward migration moves every object the guide says it moves",
};
const ONLINE_SHAPES_SMOKE: ScenarioPick = {
  feature: "features/etcd-v2v3/online.feature",
  scenario: "the online migration of shapes verifies",
};

export const MUTANTS: MutantEntry[] = [
  {
    name: "lock-etcd-noop",
    migration: "calico",
    bugClass: "lock no-op",
    shouldBeCaughtBy: "export's lock check (forward scenarios)",
  },
  {
    name: "rollback-leaves-etcd-locked",
    migration: "calico",
    bugClass: "lock left set (rollback)",
    shouldBeCaughtBy: "final lock state asserted after rollback (deliverable 2)",
    onlyTagged: "@rollback",
  },
  {
    name: "unlock-kube-noop",
    migration: "calico",
    bugClass: "lock left set (forward)",
    shouldBeCaughtBy: "final lock state asserted after the forward migration (deliverable 2)",
  },
  {
    name: "export-skips-lock-check",
    migration: "calico",
    bugClass: "precondition skipped",
    shouldBeCaughtBy: "export refused while unlocked (forward.feature)",
  },
  {
    name: "export-drops-kind",
    migration: "calico",
    bugClass: "kind dropped",
    shouldBeCaughtBy: "forward diff / golden targets / raw-scan completeness (deliverable 1)",
    fast: [FORWARD_SMOKE],
  },
  {
    name: "block-affinity-rename-forgotten",
    migration: "calico",
    bugClass: "rename forgotten: block affinity",
    shouldBeCaughtBy: "forward diff / referential integrity (deliverable 1)",
  },
  {
    name: "block-owner-rename-forgotten",
    migration: "calico",
    bugClass: "rename forgotten: block affinity field",
    shouldBeCaughtBy: "forward diff / referential integrity (deliverable 1)",
  },
  {
    name: "handle-rename-forgotten",
    migration: "calico",
    bugClass: "rename forgotten: handle",
    shouldBeCaughtBy: "forward diff / referential integrity: attribute handle_id resolves (deliverable 1)",
  },
  {
    name: "attribute-node-rename-forgotten",
    migration: "calico",
    bugClass: "rename forgotten: attribute secondary.node",
    shouldBeCaughtBy: "forward diff / referential integrity (deliverable 1)",
  },
  {
    name: "per-node-config-rename-forgotten",
    migration: "calico",
    bugClass: "rename forgotten: per-node configuration",
    shouldBeCaughtBy: "forward diff / referential integrity (deliverable 1)",
  },
  {
    name: "encoder-drops-field",
    migration: "calico",
    bugClass: "encoder drops a spec field",
    shouldBeCaughtBy: "forward diff / golden targets (deliverable 1)",
  },
  {
    name: "labels-dropped",
    migration: "calico",
    bugClass: "encoder drops metadata",
    shouldBeCaughtBy: "forward diff / golden targets (deliverable 1)",
  },
  {
    name: "ipam-attribute-lost",
    migration: "calico",
    bugClass: "IPAM attribute lost",
    shouldBeCaughtBy: "forward diff / golden targets (deliverable 1)",
  },
  {
    name: "node-collision-merged",
    migration: "calico",
    bugClass: "collision merged",
    shouldBeCaughtBy: "one-to-one check (deliverable 1) / forward diff",
  },
  {
    name: "import-skips-emptiness-check",
    migration: "calico",
    bugClass: "precondition skipped",
    shouldBeCaughtBy: "import refused on a non-empty target (forward.feature)",
  },
  {
    name: "missing-node-warning-dropped",
    migration: "calico",
    bugClass: "silent skip",
    shouldBeCaughtBy: "the missing-node warning scenario (forward.feature)",
  },
  {
    name: "crd-left-on-rollback",
    migration: "calico",
    bugClass: "CRD left behind on rollback",
    shouldBeCaughtBy: "Kubernetes holds no Calico objects after rollback (rollback.feature)",
    onlyTagged: "@rollback",
  },
  {
    name: "online-ttl-key-skipped",
    migration: "etcd-v2v3",
    bugClass: "TTL key skipped",
    shouldBeCaughtBy: "online verification / hand-written expected trees (deliverable 1)",
    fast: [ONLINE_SHAPES_SMOKE],
    onlyFeatures: ["online.feature"],
  },
  {
    name: "online-value-encoding",
    migration: "etcd-v2v3",
    bugClass: "value encoding broken",
    shouldBeCaughtBy: "online verification / hand-written expected trees (deliverable 1)",
    fast: [ONLINE_SHAPES_SMOKE],
    onlyFeatures: ["online.feature"],
  },
  {
    name: "online-v2-consumed",
    migration: "etcd-v2v3",
    bugClass: "source modified",
    shouldBeCaughtBy: "v2 unchanged check (online verification)",
    fast: [ONLINE_SHAPES_SMOKE],
    onlyFeatures: ["online.feature"],
  },
  {
    name: "online-overwrites-existing",
    migration: "etcd-v2v3",
    bugClass: "existing v3 key overwritten",
    shouldBeCaughtBy: "collision scenario; concurrent v3 writer (deliverable 4)",
    onlyFeatures: ["online.feature"],
  },
  {
    name: "online-rollback-deletes-found",
    migration: "etcd-v2v3",
    bugClass: "rollback deletes found keys",
    shouldBeCaughtBy: "rollback after a re-run (deliverable 4)",
    onlyFeatures: ["online.feature"],
    onlyTagged: "@rollback",
  },
  {
    name: "online-rollback-incomplete",
    migration: "etcd-v2v3",
    bugClass: "rollback incomplete",
    shouldBeCaughtBy: "online round trip (online.feature @rollback)",
    onlyFeatures: ["online.feature"],
    onlyTagged: "@rollback",
  },
  {
    name: "offline-member-skipped",
    migration: "etcd-v2v3",
    bugClass: "member skipped in an offline roll",
    shouldBeCaughtBy: "3-member offline roll checking every member (deliverable 4)",
    onlyFeatures: ["offline.feature"],
  },
  {
    name: "offline-rollback-noop",
    migration: "etcd-v2v3",
    bugClass: "rollback restores nothing",
    shouldBeCaughtBy: "offline rollback round trip (offline.feature @rollback)",
    onlyFeatures: ["offline.feature"],
    onlyTagged: "@rollback",
  },
];

export function mutantByName(name: string): MutantEntry | undefined {
  return MUTANTS.find((m) => m.name === name);
}

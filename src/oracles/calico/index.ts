/**
 * Independent oracles for the Calico etcdv3 → Kubernetes migration (docs/oracles.md). Nothing here
 * imports the migrator (src/calico): test/unit/oracles-independence.test.ts keeps it so.
 */
export { type CompletenessResult, checkCompleteness, type Finding, nodeRenames } from "./completeness.js";
export { EXCLUSIONS, V3_PLURALS } from "./facts.js";
export {
  compareGolden,
  type GoldenTarget,
  loadGolden,
  normalise as normaliseForGolden,
  renderGolden,
} from "./golden.js";
export { checkIntegrity, type Dangling } from "./integrity.js";
export {
  etcdLockState,
  type KubeCalicoState,
  kubeLockState,
  type LockWord,
  readEtcdPrefix,
  readKubeCalico,
} from "./read.js";
export { checkReadiness, ordinalIn, type ReadinessFinding, type ReadinessReport } from "./readiness.js";

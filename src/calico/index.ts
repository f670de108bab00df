/** Calico etcdv3 → Kubernetes datastore migration: the library API (see docs/calico-migrate.md). */
export {
  type CalicoKubeData,
  type ExportResult as CalicoExportResult,
  exportFromEtcd,
  importToKube,
  lockEtcd,
  lockKube,
  prepareKubeTarget,
  readCalicoFromEtcd,
  readCalicoFromKube,
  rollback,
  unlockEtcd,
  unlockKube,
  withEtcd,
  withKube,
} from "./api.js";
export { Calicoctl, type CalicoctlRun, type CalicoDatastore, calicoctlEnv } from "./calicoctl/adapter.js";
export {
  CALICO_RELEASES,
  type CalicoctlLocation,
  DEFAULT_CALICOCTL_VERSION,
  installCalicoctl,
  locateCalicoctl,
} from "./calicoctl/install.js";
export { CalicoEtcd, decodeCalicoEntries } from "./etcd/store.js";
export { buildExport, type ExportOptions, type QuirkMode, type SkippedObject } from "./export/build.js";
export { type ParsedExport, parseExport } from "./export/format.js";
export {
  type CalicoFixture,
  fixtureToEtcdEntries,
  loadFixture as loadCalicoFixture,
  parseFixture as parseCalicoFixture,
  seedCalicoEtcd,
} from "./fixture.js";
export { generateFixture as generateCalicoFixture } from "./generate.js";
export type { ImportOptions, ImportResult } from "./import.js";
export { CALICO_KINDS, type CalicoKind, EXPORTED_KINDS } from "./kinds.js";
export { generatedCrds, loadCrdManifests } from "./kube/crds.js";
export { CalicoKube } from "./kube/store.js";
export { LOCKED_MESSAGE, NOT_LOCKED_MESSAGE, UNLOCKED_MESSAGE } from "./lock.js";
export { mapping as calicoMapping } from "./mapping.js";
export { BuiltinMigrator, CalicoctlMigrator, type MigrationStores, type Migrator } from "./migrator.js";
export type { NodeLeftover, RollbackResult } from "./rollback.js";

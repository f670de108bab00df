/** etcd v2store → v3store migration: the library API (see docs/etcd-v2v3.md). */
export {
  DEFAULT_MAX_REQUEST_BYTES,
  type ExpectedKv,
  type ExpectedV3,
  expectedV3FromV2,
  type MappingOptions,
  TTL_POLICIES,
  type TtlPolicy,
} from "./expected.js";
export {
  generateSets,
  loadFixture,
  parseFixture,
  type SeedResult,
  seedV2,
  type V2Fixture,
} from "./fixture.js";
export { etcdV2V3Mapping, etcdV2V3OnlineMapping } from "./mapping.js";
export { builtinV2V3Migrator, type OfflineRollbackOptions, type V2V3Migrator } from "./migrator.js";
export {
  type MemberBackup,
  migrateOffline,
  type OfflineMigrationOptions,
  type OfflineMigrationResult,
  type OfflineRollbackResult,
  resolveMigrateEtcdctl,
  rollbackOffline,
  runEtcdctlMigrate,
} from "./offline.js";
export {
  CollisionError,
  type MigratedKey,
  migrateOnline,
  type OnlineMigrationOptions,
  type OnlineMigrationResult,
} from "./online.js";
export { type OnlineRollbackResult, rollbackOnline } from "./rollback.js";
export { treeFingerprint, type V2Node, type V2Tree } from "./tree.js";
export { readV2Tree } from "./v2-client.js";
export { type VerifyOptions, type VerifyReport, verifyMigration } from "./verify.js";

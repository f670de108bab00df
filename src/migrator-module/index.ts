/** `--migrator module=PATH[#EXPORT]`: migrators from a user module, injected through the public interfaces. */
export {
  calicoMigrator,
  formatMigratorSpec,
  loadMigratorModule,
  type MigratorModule,
  type MigratorSpec,
  parseMigratorSpec,
  v2v3Migrator,
} from "./module.js";

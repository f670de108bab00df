import type { MigrationStores, Migrator } from "../../src/calico/migrator.js";
import type { V2V3Migrator } from "../../src/etcd-v2v3/migrator.js";
import { calicoMigrator, v2v3Migrator } from "../../src/migrator-module/module.js";
import type { StoreshiftWorld } from "./world.js";

/**
 * The Calico migrator this run uses: storeshift's own core, a real calicoctl (`--migrator
 * calicoctl=PATH`) or a module's (`--migrator module=PATH`). Every step that migrates goes through
 * here, fault steps included, so `--migrator` and the selftest's broken migrators reach all of them.
 * `stores` overrides the endpoints (a fault proxy in front of a store) and adds a cancellation signal.
 */
export function calicoMigratorFor(
  world: StoreshiftWorld,
  stores: Partial<MigrationStores> = {},
): Promise<Migrator> {
  const source = world.calico.source.get();
  const defaults = { etcdEndpoints: world.endpoints(source), kubeconfigPath: world.kube().kubeconfigPath };
  // a @real-calicoctl scenario always drives the located calicoctl, whatever --migrator says
  const chosen = world.calico.migrator ?? world.params.migrator;
  const { crds, mode } = world.calico;
  return calicoMigrator(
    chosen,
    { ...defaults, ...stores },
    { ...(crds ? { crds } : {}), ...(mode ? { mode } : {}) },
  );
}

/** The v2→v3 migrator this run uses: storeshift's own, or a module's (`--migrator module=PATH`). */
export function v2v3MigratorFor(world: StoreshiftWorld): Promise<V2V3Migrator> {
  return v2v3Migrator(world.params.migrator);
}

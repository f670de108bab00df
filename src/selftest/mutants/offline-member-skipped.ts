import type { StartedLocalEtcd } from "../../providers/etcd/local-etcd.js";
import { applied, v2v3Mutant } from "./support.js";

const name = "offline-member-skipped";

/**
 * The offline roll forgets the last member: it stays on its unmigrated store. The migrator's own
 * verification then sees only the members it rolled, so its result looks clean.
 */
export default v2v3Mutant(
  { name, description: "the offline roll skips the last member of a multi-member cluster" },
  (builtin) => ({
    migrateOffline(cluster, options) {
      if (cluster.members.length < 2) return builtin.migrateOffline(cluster, options);
      const last = cluster.members.at(-1);
      // the same cluster, one member short: `endpoints` is derived from `members`
      const view = Object.create(cluster, {
        members: { value: cluster.members.slice(0, -1) },
      }) as StartedLocalEtcd;
      applied(name, `member ${last?.name} not migrated`);
      return builtin.migrateOffline(view, options);
    },
  }),
);

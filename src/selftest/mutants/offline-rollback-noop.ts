import { applied, v2v3Mutant } from "./support.js";

const name = "offline-rollback-noop";

/** Offline rollback reports success without restoring any member's backup. */
export default v2v3Mutant(
  { name, description: "offline rollback restores nothing and reports success" },
  (builtin) => ({
    async rollbackOffline(backups, options) {
      if (backups.length === 0) return builtin.rollbackOffline(backups, options);
      applied(name, `${backups.length} member backup(s) not restored`);
      return { members: [], notes: [] };
    },
  }),
);

import { applied, v2v3Mutant } from "./support.js";

const name = "online-rollback-incomplete";

/** Rollback forgets the last key the run wrote (an off-by-one over the written list). */
export default v2v3Mutant(
  { name, description: "online rollback leaves the last migrated key in v3" },
  (builtin) => ({
    rollbackOnline(result, options) {
      if (result.migrated.length === 0) return builtin.rollbackOnline(result, options);
      applied(name, `${result.migrated.at(-1)?.key} left in v3`);
      return builtin.rollbackOnline({ ...result, migrated: result.migrated.slice(0, -1) }, options);
    },
  }),
);

import { applied, v2v3Mutant } from "./support.js";

const name = "online-rollback-deletes-found";

/** Rollback also deletes keys the run only found already present (written by an earlier run or a client). */
export default v2v3Mutant(
  { name, description: "online rollback also deletes keys the run found already present" },
  (builtin) => ({
    rollbackOnline(result, options) {
      if (result.alreadyPresent.length === 0) return builtin.rollbackOnline(result, options);
      applied(name, `${result.alreadyPresent.length} found key(s) deleted too`);
      return builtin.rollbackOnline(
        { ...result, migrated: [...result.migrated, ...result.alreadyPresent] },
        options,
      );
    },
  }),
);

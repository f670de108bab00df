import { v2Delete } from "../../etcd-v2v3/v2-client.js";
import { applied, v2v3Mutant } from "./support.js";

const name = "online-v2-consumed";

/** The migrator moves instead of copying: it deletes a v2 key once it is in v3. */
export default v2v3Mutant(
  { name, description: "the online migrator deletes a v2 key it copied (moves, not copies)" },
  (builtin) => ({
    async migrateOnline(options) {
      const result = await builtin.migrateOnline(options);
      const first = result.migrated[0];
      if (first) {
        await v2Delete(options.v2Endpoint, first.v2Key);
        applied(name, `v2 ${first.v2Key} deleted`);
      }
      return result;
    },
  }),
);

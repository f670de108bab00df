import { NOT_LOCKED_MESSAGE } from "../../calico/lock.js";
import { applied, calicoMutant } from "./support.js";

const name = "export-skips-lock-check";

/** Export no longer insists on a locked etcd: it locks, exports and unlocks by itself. */
export default calicoMutant(
  { name, description: "export runs on an unlocked etcd datastore instead of refusing" },
  (builtin) => ({
    async export() {
      try {
        return await builtin.export();
      } catch (err) {
        if (!(err as Error).message.includes(NOT_LOCKED_MESSAGE)) throw err;
        await builtin.lock("etcdv3");
        try {
          const text = await builtin.export();
          applied(name, "exported an unlocked datastore");
          return text;
        } finally {
          await builtin.unlock("etcdv3");
        }
      }
    },
  }),
);

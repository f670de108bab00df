import { applied, calicoMutant } from "./support.js";

const name = "lock-etcd-noop";

/** Lock does nothing on etcd: calico-node keeps writing while the export runs. */
export default calicoMutant(
  { name, description: "locking the etcd datastore is a no-op (datastoreReady stays true)" },
  (builtin) => ({
    async lock(datastore) {
      if (datastore !== "etcdv3") return builtin.lock(datastore);
      applied(name, "etcd lock skipped");
    },
  }),
);

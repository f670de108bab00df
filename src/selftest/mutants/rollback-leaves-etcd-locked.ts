import { applied, calicoMutant } from "./support.js";

const name = "rollback-leaves-etcd-locked";

/** Rollback deletes the CRDs but etcd stays locked: the cluster is back on etcd with Calico frozen. */
export default calicoMutant(
  { name, description: "rollback leaves the etcd datastore locked (datastoreReady false)" },
  (builtin) => ({
    async rollback() {
      const result = await builtin.rollback();
      await builtin.lock("etcdv3");
      applied(name, "etcd locked again after rollback");
      return result;
    },
  }),
);

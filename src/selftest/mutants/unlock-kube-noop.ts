import { applied, calicoMutant } from "./support.js";

const name = "unlock-kube-noop";

/** Unlock does nothing on Kubernetes: after the migration Calico never starts on the new datastore. */
export default calicoMutant(
  { name, description: "unlocking the Kubernetes datastore is a no-op (it stays locked after import)" },
  (builtin) => ({
    async unlock(datastore) {
      if (datastore !== "kubernetes") return builtin.unlock(datastore);
      applied(name, "kubernetes unlock skipped");
    },
  }),
);

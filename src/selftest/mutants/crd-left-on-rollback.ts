import { KubeConfig } from "@kubernetes/client-node";
import { withEtcd, withKube } from "../../calico/api.js";
import { lockKubeStore, unlockEtcdStore } from "../../calico/lock.js";
import { findNodeLeftovers } from "../../calico/rollback.js";
import { applied, calicoMutant } from "./support.js";

const name = "crd-left-on-rollback";
const KEPT = "ippools.crd.projectcalico.org";

/** Rollback deletes every Calico CRD but one, so its objects stay in Kubernetes. */
export default calicoMutant(
  { name, description: `rollback leaves the ${KEPT} CRD (and its IPPools) in Kubernetes` },
  (_builtin, stores) => ({
    async rollback() {
      const kc = new KubeConfig();
      kc.loadFromFile(stores.kubeconfigPath);
      return withKube(kc, (kube) =>
        withEtcd(stores.etcdEndpoints, async (etcd) => {
          const crds = await kube.calicoCrdNames();
          const deleted = crds.filter((c) => c !== KEPT);
          if (crds.length > 0) {
            await lockKubeStore(kube);
            await kube.deleteCrds(deleted);
            await kube.waitCrdsGone(deleted);
          }
          await unlockEtcdStore(etcd);
          if (deleted.length < crds.length) applied(name, `${KEPT} left behind`);
          return { crdsDeleted: deleted, leftovers: await findNodeLeftovers(kube), annotationsRemoved: 0 };
        }),
      );
    },
  }),
);

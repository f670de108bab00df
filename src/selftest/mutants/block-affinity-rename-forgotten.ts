import { affinityKey } from "../../calico/etcd/keys.js";
import { calicoMutant, editedExport } from "./support.js";

const name = "block-affinity-rename-forgotten";

/** BlockAffinity entries keep the etcd node name: the Kubernetes node owns no blocks any more. */
export default calicoMutant(
  { name, description: "block affinities keep the etcd node name instead of the Kubernetes node name" },
  (builtin, stores) => ({
    export: () =>
      editedExport(name, builtin, stores, (e, source) => {
        const original = source.affinities.map((a) => ({
          Key: affinityKey(a.host, a.cidr, a.type),
          Value: a.value,
          TTL: 0,
        }));
        const before = new Set((e.ipam.block_affinities ?? []).map((a) => a.Key));
        const reverted = original.filter((a) => !before.has(a.Key)).length;
        if (reverted === 0) return undefined;
        e.ipam.block_affinities = original;
        return `${reverted} affinity key(s) keep the etcd node name`;
      }),
  }),
);

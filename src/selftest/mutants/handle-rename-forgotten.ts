import { handleKey } from "../../calico/etcd/keys.js";
import { calicoMutant, editedExport } from "./support.js";

const name = "handle-rename-forgotten";

/**
 * Tunnel-address handles (named after their node) keep the etcd node name, while the blocks'
 * attributes are renamed: calico-node then looks for a handle that does not exist.
 */
export default calicoMutant(
  { name, description: "IPAM handles named after a node keep the etcd node name" },
  (builtin, stores) => ({
    export: () =>
      editedExport(name, builtin, stores, (e, source) => {
        const original = source.handles.map((h) => ({ Key: handleKey(h.id), Value: h.value, TTL: 0 }));
        const before = new Set((e.ipam.handles ?? []).map((h) => h.Key));
        const reverted = original.filter((h) => !before.has(h.Key)).length;
        if (reverted === 0) return undefined;
        e.ipam.handles = original;
        return `${reverted} handle(s) keep the etcd node name`;
      }),
  }),
);

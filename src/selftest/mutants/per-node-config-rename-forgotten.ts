import { calicoMutant, editedExport, listOf } from "./support.js";

const name = "per-node-config-rename-forgotten";
const KINDS = ["FelixConfiguration", "BGPConfiguration"];

/** Per-node configurations (`node.<name>`) keep the etcd node name: they no longer apply to any node. */
export default calicoMutant(
  { name, description: "per-node FelixConfiguration/BGPConfiguration keep the etcd node name" },
  (builtin, stores) => ({
    export: () =>
      editedExport(name, builtin, stores, (e, source) => {
        let reverted = 0;
        for (const kind of KINDS) {
          // the export keeps etcd's order within a kind
          const original = source.resources.filter((r) => r.kind === kind);
          listOf(e, kind).forEach((item, i) => {
            const was = original[i]?.metadata.name;
            if (was !== undefined && was !== item.metadata.name && was.startsWith("node.")) {
              item.metadata.name = was;
              reverted++;
            }
          });
        }
        return reverted > 0 ? `${reverted} per-node configuration(s) keep the etcd node name` : undefined;
      }),
  }),
);

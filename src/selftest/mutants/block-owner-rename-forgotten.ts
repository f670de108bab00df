import { calicoMutant, editedExport } from "./support.js";

const name = "block-owner-rename-forgotten";

/** Each IPAM block's own `affinity` field ("host:<node>") keeps the etcd node name. */
export default calicoMutant(
  { name, description: "IPAM blocks' affinity field keeps the etcd node name" },
  (builtin, stores) => ({
    export: () =>
      editedExport(name, builtin, stores, (e, source) => {
        const originalOf = new Map(source.blocks.map((b) => [b.value.cidr, b.value.affinity]));
        let reverted = 0;
        for (const block of e.ipam.blocks ?? []) {
          const original = originalOf.get(block.Value.cidr);
          if (original !== undefined && original !== block.Value.affinity) {
            block.Value.affinity = original;
            reverted++;
          }
        }
        return reverted > 0 ? `${reverted} block affinity field(s) keep the etcd node name` : undefined;
      }),
  }),
);

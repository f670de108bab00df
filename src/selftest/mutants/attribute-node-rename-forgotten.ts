import { calicoMutant, editedExport } from "./support.js";

const name = "attribute-node-rename-forgotten";

/** Block attributes' `secondary.node` (the allocation's owner) keeps the etcd node name. */
export default calicoMutant(
  { name, description: "IPAM block attributes' secondary.node keeps the etcd node name" },
  (builtin, stores) => ({
    export: () =>
      editedExport(name, builtin, stores, (e, source) => {
        const originalOf = new Map(source.blocks.map((b) => [b.value.cidr, b.value.attributes ?? []]));
        let reverted = 0;
        for (const block of e.ipam.blocks ?? []) {
          const original = originalOf.get(block.Value.cidr) ?? [];
          block.Value.attributes?.forEach((attr, i) => {
            const node = original[i]?.secondary?.node;
            if (attr.secondary?.node !== undefined && node !== undefined && node !== attr.secondary.node) {
              attr.secondary = { ...attr.secondary, node };
              reverted++;
            }
          });
        }
        return reverted > 0 ? `${reverted} attribute(s) keep the etcd node name` : undefined;
      }),
  }),
);

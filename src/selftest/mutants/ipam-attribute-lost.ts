import { applied, calicoMutant, openExport, renderExport } from "./support.js";

const name = "ipam-attribute-lost";

/** Import loses the blocks' `alternateOwnerAttrs`: who held an address before is forgotten. */
export default calicoMutant(
  { name, description: "import drops alternateOwnerAttrs from IPAM block attributes" },
  (builtin) => ({
    async import(text) {
      const opened = openExport(text);
      let lost = 0;
      for (const block of opened.ipam.blocks ?? []) {
        for (const attr of block.Value.attributes ?? []) {
          if (attr.alternateOwnerAttrs !== undefined) {
            delete attr.alternateOwnerAttrs;
            lost++;
          }
        }
      }
      if (lost === 0) return builtin.import(text);
      applied(name, `alternateOwnerAttrs lost from ${lost} attribute(s)`);
      return builtin.import(renderExport(opened));
    },
  }),
);

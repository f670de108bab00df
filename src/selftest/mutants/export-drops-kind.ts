import { calicoMutant, editedExport } from "./support.js";

const name = "export-drops-kind";
const KIND = "GlobalNetworkSet";

/** The export leaves out every object of one kind (as a kind missing from the export list would). */
export default calicoMutant({ name, description: `the export drops every ${KIND}` }, (builtin, stores) => ({
  export: () =>
    editedExport(name, builtin, stores, (e) => {
      const list = e.lists.find((l) => l.kind === KIND);
      if (!list || list.items.length === 0) return undefined;
      const dropped = list.items.length;
      list.items = [];
      return `${dropped} ${KIND}(s) dropped`;
    }),
}));

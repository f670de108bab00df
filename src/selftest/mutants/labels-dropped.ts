import { applied, calicoMutant, openExport, renderExport } from "./support.js";

const name = "labels-dropped";
const KIND = "NetworkSet";

/** Import writes one kind without its metadata labels: selectors on those labels stop matching. */
export default calicoMutant({ name, description: `import drops the labels of every ${KIND}` }, (builtin) => ({
  async import(text) {
    const opened = openExport(text);
    let dropped = 0;
    for (const list of opened.lists) {
      if (list.kind !== KIND) continue;
      for (const item of list.items) {
        if (item.metadata.labels && Object.keys(item.metadata.labels).length > 0) {
          delete item.metadata.labels;
          dropped++;
        }
      }
    }
    if (dropped === 0) return builtin.import(text);
    applied(name, `labels dropped from ${dropped} ${KIND}(s)`);
    return builtin.import(renderExport(opened));
  },
}));

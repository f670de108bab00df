import { applied, calicoMutant, listOf, openExport, renderExport } from "./support.js";

const name = "encoder-drops-field";
const KIND = "BGPPeer";
const FIELD = "asNumber";

/** Import writes one kind without one spec field, as an encoder that forgot a field would. */
export default calicoMutant(
  { name, description: `import drops spec.${FIELD} from every ${KIND}` },
  (builtin) => ({
    async import(text) {
      const opened = openExport(text);
      let dropped = 0;
      for (const item of listOf(opened, KIND)) {
        if (item.spec && FIELD in item.spec) {
          delete item.spec[FIELD];
          dropped++;
        }
      }
      if (dropped === 0) return builtin.import(text);
      applied(name, `spec.${FIELD} dropped from ${dropped} ${KIND}(s)`);
      return builtin.import(renderExport(opened));
    },
  }),
);

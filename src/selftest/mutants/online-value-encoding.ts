import { etcdClient } from "../../common/etcd-client.js";
import { applied, v2v3Mutant } from "./support.js";

const name = "online-value-encoding";

/**
 * Non-ASCII values land in v3 as Latin-1 instead of UTF-8 bytes. Each broken key is written afresh
 * (deleted, then put) and its new revision recorded, so only the bytes of the value are wrong.
 */
export default v2v3Mutant(
  { name, description: "the online migrator writes non-ASCII values as Latin-1, not UTF-8" },
  (builtin) => ({
    async migrateOnline(options) {
      const result = await builtin.migrateOnline(options);
      const client = etcdClient(options.v3Endpoints, { purpose: "selftest mutant online-value-encoding" });
      let broken = 0;
      try {
        for (const m of result.migrated) {
          const value = await client.get(m.key).buffer();
          if (!value) continue;
          const text = value.toString("utf8");
          // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII is exactly \x00-\x7f
          if (/^[\x00-\x7f]*$/.test(text)) continue;
          await client.delete().key(m.key).exec();
          const put = await client.put(m.key).value(Buffer.from(text, "latin1")).exec();
          m.revision = Number(put.header.revision);
          broken++;
        }
      } finally {
        client.close();
      }
      if (broken > 0) applied(name, `${broken} value(s) re-encoded as Latin-1`);
      result.v3RevisionAfter = Math.max(result.v3RevisionAfter, ...result.migrated.map((m) => m.revision));
      return result;
    },
  }),
);

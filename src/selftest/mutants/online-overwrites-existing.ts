import { etcdClient } from "../../common/etcd-client.js";
import { CollisionError } from "../../etcd-v2v3/online.js";
import { applied, v2v3Mutant } from "./support.js";

const name = "online-overwrites-existing";

/** A v3 key that already holds another value is overwritten with the v2 value instead of refused. */
export default v2v3Mutant(
  { name, description: "the online migrator overwrites existing v3 keys that hold other values" },
  (builtin) => ({
    async migrateOnline(options) {
      try {
        return await builtin.migrateOnline(options);
      } catch (err) {
        if (!(err instanceof CollisionError)) throw err;
        const client = etcdClient(options.v3Endpoints, {
          purpose: "selftest mutant online-overwrites-existing",
        });
        try {
          for (const c of err.collisions) await client.delete().key(c.key).exec();
        } finally {
          client.close();
        }
        applied(name, `${err.collisions.length} existing v3 key(s) overwritten`);
        return builtin.migrateOnline(options);
      }
    },
  }),
);

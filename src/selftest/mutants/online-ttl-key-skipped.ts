import { applied, v2v3Mutant } from "./support.js";

const name = "online-ttl-key-skipped";

/** The online migrator skips every key with a TTL while claiming to keep them (policy "permanent"). */
export default v2v3Mutant(
  { name, description: "the online migrator silently skips v2 keys that carry a TTL" },
  (builtin) => ({
    async migrateOnline(options) {
      const asked = options.ttlPolicy ?? "permanent";
      if (asked === "drop") return builtin.migrateOnline(options);
      const result = await builtin.migrateOnline({ ...options, ttlPolicy: "drop" });
      const skipped = result.excluded["ttl-dropped"];
      if (skipped > 0) applied(name, `${skipped} TTL key(s) skipped`);
      return {
        ...result,
        options: { ...result.options, ttlPolicy: asked },
        excluded: { ...result.excluded, "ttl-dropped": 0 },
      };
    },
  }),
);

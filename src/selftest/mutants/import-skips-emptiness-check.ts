import { applied, calicoMutant } from "./support.js";

const name = "import-skips-emptiness-check";

/** Import into a datastore that already holds Calico data "succeeds" instead of refusing. */
export default calicoMutant(
  { name, description: "import into a non-empty Kubernetes datastore reports success instead of refusing" },
  (builtin) => ({
    async import(text) {
      const result = await builtin.import(text);
      if (result.exitCode === 0 || !/already has Calico resources/.test(result.error ?? "")) return result;
      applied(name, "refusal turned into success");
      return { exitCode: 0, output: "Successfully applied 0 resource(s)", warnings: [] };
    },
  }),
);

import { applied, calicoMutant } from "./support.js";

const name = "missing-node-warning-dropped";

/** A Calico Node whose Kubernetes Node is missing is skipped without the warning that says so. */
export default calicoMutant(
  { name, description: "import skips Calico Nodes of missing Kubernetes Nodes silently (no warning)" },
  (builtin) => ({
    async import(text) {
      const result = await builtin.import(text);
      const kept = result.warnings.filter((w) => !w.includes("nonexistent Kubernetes node"));
      if (kept.length === result.warnings.length) return result;
      applied(name, `${result.warnings.length - kept.length} warning(s) dropped`);
      const output = result.output
        .split("\n")
        .filter((l) => !l.includes("nonexistent Kubernetes node"))
        .join("\n");
      return { ...result, output, warnings: kept };
    },
  }),
);

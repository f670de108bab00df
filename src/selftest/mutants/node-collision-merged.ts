import { calicoMutant, editedExport, listOf } from "./support.js";

const name = "node-collision-merged";

/**
 * Two different Calico Nodes are exported under one Kubernetes name (a mapping bug), and the import
 * silently merges them: one node's BGP address and tunnel addresses overwrite the other's.
 */
export default calicoMutant(
  { name, description: "two Calico Nodes land on one Kubernetes Node and are silently merged" },
  (builtin, stores) => ({
    export: () =>
      editedExport(name, builtin, stores, (e) => {
        const nodes = listOf(e, "Node");
        const names = [...new Set(nodes.map((n) => n.metadata.name))];
        const [first, second] = names;
        if (first === undefined || second === undefined) return undefined;
        for (const n of nodes) if (n.metadata.name === second) n.metadata.name = first;
        return `Node ${second} exported as ${first}`;
      }),
  }),
);

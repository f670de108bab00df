import { InputError } from "../../common/errors.js";
import { log } from "../../common/log.js";
import { saveSnapshot } from "../../snapshot/file.js";
import { openStore } from "../../store-uri/store-uri.js";
import { type Command, parseFlags } from "../command.js";

export const snapshotCommand: Command = {
  name: "snapshot",
  usage: `storeshift snapshot <store> -o <file.ndjson> [--page-size <n>]

  <store>  etcd://host:port[/prefix]      raw etcd v3 keyspace (paged reads at one revision)
           etcdv2://host:port[/prefix]    etcd v2 tree
           calico-etcd://host:port        Calico resources and IPAM decoded from etcd
           calico-kube://[kubeconfig][#context]  Calico resources from Kubernetes CRDs
           kube-registry://host:port      raw /registry/ keys of a control plane's etcd
           file:path.ndjson               a saved snapshot (re-sorted and checked)`,
  async run(argv) {
    const { values, positionals } = parseFlags(
      "snapshot",
      argv,
      { output: { type: "string", short: "o" }, "page-size": { type: "string" } },
      true,
    );
    if (positionals.length !== 1) throw new InputError("snapshot: expected exactly one <store>");
    const output = values.output;
    if (typeof output !== "string" || output === "") throw new InputError("snapshot: -o <file> is required");
    const pageSizeText = values["page-size"];
    const pageSize = typeof pageSizeText === "string" ? Number(pageSizeText) : undefined;
    if (pageSize !== undefined && !(Number.isInteger(pageSize) && pageSize > 0)) {
      throw new InputError(`snapshot: --page-size "${pageSizeText}" is not a positive integer`);
    }
    const store = positionals[0] ?? "";
    const snapshot = await openStore(store, pageSize ? { pageSize } : {});
    const count = await saveSnapshot(snapshot, output);
    log.info(`${count} records from ${store} saved to ${output}`);
    process.stdout.write(`${output}\n`);
    return 0;
  },
};

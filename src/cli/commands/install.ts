import { ALL_TOOLS, installBinary, OPTIONAL_TOOLS } from "../../binaries/install.js";
import { installKind } from "../../binaries/kind.js";
import type { Tool } from "../../binaries/locate.js";
import { InputError } from "../../common/errors.js";
import { log } from "../../common/log.js";
import { type Command, parseFlags } from "../command.js";

export const installCommand: Command = {
  name: "install",
  usage: `storeshift install [--tool NAME]...

Looks for user-supplied binaries first (TEST_ASSET_ETCD, TEST_ASSET_KUBE_APISERVER,
KUBEBUILDER_ASSETS, PATH), then storeshift's cache; builds what is missing:
  etcd-v2, etcdctl-v2   Debian's etcd-server/etcd-client 3.4.23 (apt-get)
  etcd, etcdctl         etcd 3.6 from the Go module proxy
  kube-apiserver        Kubernetes v1.3x from the Go module proxy (~10 min cold on 2 cores)
  etcd-3.5, etcdutl-3.5 only when named: etcd 3.5 from the Go module proxy (the lifecycle
                        scenarios' upgrade step 3.4 → 3.5 → 3.6; ~3 min cold)
  kind                  only when named: the kind CLI from the Go module proxy (sigs.k8s.io/kind)`,
  async run(argv) {
    const { values } = parseFlags("install", argv, { tool: { type: "string", multiple: true } });
    const tools = (values.tool as string[] | undefined) ?? ALL_TOOLS;
    for (const t of tools) {
      if (![...ALL_TOOLS, ...OPTIONAL_TOOLS].includes(t as Tool) && t !== "kind") {
        throw new InputError(
          `storeshift install: --tool ${t}: unknown tool (expected one of ${[...ALL_TOOLS, ...OPTIONAL_TOOLS, "kind"].join(", ")})`,
        );
      }
    }
    for (const tool of tools) {
      if (tool === "kind") {
        // optional: kind also needs an engine that runs privileged containers (`storeshift doctor`)
        const kind = await installKind();
        log.info(`kind: ${kind.path} (${kind.source})`);
        continue;
      }
      const binary = await installBinary(tool as Tool);
      log.info(`${tool}: ${binary.version} at ${binary.path} (${binary.source})`);
    }
    return 0;
  },
};

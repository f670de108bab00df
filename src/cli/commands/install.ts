import { ALL_TOOLS, installBinary, OPTIONAL_TOOLS } from "../../binaries/install.js";
import { installKind } from "../../binaries/kind.js";
import type { Tool } from "../../binaries/locate.js";
import { InputError } from "../../common/errors.js";
import { log } from "../../common/log.js";
import { type Command, parseFlags } from "../command.js";

export const installCommand: Command = {
  name: "install",
  usage: `storeshift install [--tool NAME]... [--no-download | --no-build] [--mirror URL]

Looks for user-supplied binaries first (TEST_ASSET_ETCD, TEST_ASSET_KUBE_APISERVER,
KUBEBUILDER_ASSETS, PATH), then storeshift's cache; installs what is missing:
  etcd-v2, etcdctl-v2   Debian's etcd-server/etcd-client 3.4.23 (apt-get)
  etcd, etcdctl         etcd 3.6's official release, SHA-256 checked; else built from the Go module proxy
  kube-apiserver        Kubernetes v1.3x's official binary, SHA-256 checked; else built from the Go
                        module proxy (minutes to tens of minutes; progress and the measured time are shown)
  etcd-3.5, etcdutl-3.5 only when named: etcd 3.5 likewise (the lifecycle scenarios' upgrade step
                        3.4 → 3.5 → 3.6)
  kind                  only when named: the kind CLI from the Go module proxy (sigs.k8s.io/kind)

  --mirror URL     where to download releases (default $STORESHIFT_BINARY_MIRROR, else upstream);
                   http(s):// or file:// with the layout of docs/binaries.md
  --no-download    build from source without trying the official release
  --no-build       fail (exit 2) instead of building when the download is refused`,
  async run(argv) {
    const { values } = parseFlags("install", argv, {
      tool: { type: "string", multiple: true },
      mirror: { type: "string" },
      "no-download": { type: "boolean" },
      "no-build": { type: "boolean" },
    });
    if (values["no-download"] && values["no-build"])
      throw new InputError("storeshift install: --no-download and --no-build leave no way to install");
    const options = {
      download: values["no-download"] !== true,
      build: values["no-build"] !== true,
      mirror: values.mirror as string | undefined,
    };
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
      const binary = await installBinary(tool as Tool, options);
      log.info(`${tool}: ${binary.version} at ${binary.path} (${binary.source})`);
    }
    return 0;
  },
};

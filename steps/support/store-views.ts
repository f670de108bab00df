import { defineParameterType } from "@cucumber/cucumber";
import { docsOnly } from "./define.js";
import type { StoreshiftWorld } from "./world.js";

/**
 * A "store view" names what a snapshot reads, in words a QA engineer writes:
 *   etcd "x"              every v3 key of etcd x (raw bytes, revisions, leases)
 *   etcd v2 "x"           the v2 tree of etcd x
 *   Calico etcd "x"       Calico resources and IPAM decoded from etcd x
 *   Calico in Kubernetes  Calico CRs of the scenario's control plane, decoded back to v3
 *   Kubernetes registry   raw /registry/ keys in the control plane's etcd
 */
export const STORE_VIEW =
  /etcd v2 "[^"]+"|Calico etcd "[^"]+"|etcd "[^"]+"|Calico in Kubernetes|Kubernetes registry/;

if (!docsOnly()) {
  defineParameterType({
    name: "store",
    regexp: STORE_VIEW,
    transformer: (s: string) => s,
    useForSnippets: false,
  });
}

function hosts(endpoints: string[]): string {
  return endpoints.map((e) => new URL(e).host).join(",");
}

/** The store URI (the same syntax as the CLI's) for a view in this scenario. */
export function storeUri(world: StoreshiftWorld, view: string): string {
  const named = /^(etcd v2|Calico etcd|etcd) "([^"]+)"$/.exec(view);
  if (named) {
    const [, what, name = ""] = named;
    const endpoints = world.endpoints(name);
    if (what === "etcd v2") return `etcdv2://${hosts(endpoints.slice(0, 1))}`;
    if (what === "Calico etcd") return `calico-etcd://${hosts(endpoints)}`;
    return `etcd://${hosts(endpoints)}`;
  }
  if (view === "Calico in Kubernetes") return `calico-kube://${world.kube().kubeconfigPath}`;
  if (view === "Kubernetes registry") {
    const etcd = world.kube().etcdEndpoint;
    if (!etcd)
      throw new Error(
        `the Kubernetes registry view needs the local control plane's etcd (backend ${world.params.backend})`,
      );
    return `kube-registry://${hosts([etcd])}`;
  }
  throw new Error(`unknown store view "${view}"`);
}

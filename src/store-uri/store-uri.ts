import { readCalicoKubeSnapshot } from "../calico/kube-snapshot.js";
import { InputError } from "../common/errors.js";
import { readCalicoEtcdSnapshot } from "../snapshot/calico-etcd.js";
import { readEtcdV2Snapshot } from "../snapshot/etcd-v2.js";
import { readEtcdV3Snapshot } from "../snapshot/etcd-v3.js";
import { loadSnapshot } from "../snapshot/file.js";
import { readKubeRegistrySnapshot } from "../snapshot/kube-registry.js";
import type { Snapshot } from "../snapshot/record.js";

export type StoreUri =
  | {
      scheme: "etcd" | "etcdv2" | "calico-etcd" | "kube-registry";
      endpoints: string[];
      prefix?: string;
      uri: string;
    }
  | { scheme: "calico-kube"; kubeconfigPath?: string; context?: string; uri: string }
  | { scheme: "file"; path: string; uri: string };

const ETCD_SCHEMES = ["etcd", "etcdv2", "calico-etcd", "kube-registry"] as const;

/**
 * Parses a store URI, the same in the CLI, config files and steps:
 * `etcd://h:p[,h2:p2][/prefix]`, `etcdv2://h:p[/prefix]`, `calico-etcd://h:p`,
 * `calico-kube://[kubeconfig][#context]`, `kube-registry://h:p[/prefix]`, `file:path.ndjson`.
 */
export function parseStoreUri(uri: string): StoreUri {
  if (uri.startsWith("file:")) {
    const path = uri.slice("file:".length).replace(/^\/\/(?=\/)/, "");
    if (path === "") throw new InputError(`store "${uri}": file: needs a path`);
    return { scheme: "file", path, uri };
  }
  const match = /^([a-z0-9-]+):\/\/(.*)$/.exec(uri);
  if (!match) {
    throw new InputError(
      `store "${uri}": not a store URI (etcd://, etcdv2://, calico-etcd://, calico-kube://, kube-registry://, file:)`,
    );
  }
  const scheme = match[1] ?? "";
  const rest = match[2] ?? "";
  if (scheme === "calico-kube") {
    const hash = rest.indexOf("#");
    const path = hash >= 0 ? rest.slice(0, hash) : rest;
    const context = hash >= 0 ? rest.slice(hash + 1) : "";
    return {
      scheme,
      uri,
      ...(path ? { kubeconfigPath: path } : {}),
      ...(context ? { context } : {}),
    };
  }
  if (!(ETCD_SCHEMES as readonly string[]).includes(scheme)) {
    throw new InputError(`store "${uri}": unknown scheme "${scheme}"`);
  }
  const slash = rest.indexOf("/");
  const hosts = slash >= 0 ? rest.slice(0, slash) : rest;
  const prefix = slash >= 0 ? rest.slice(slash) : undefined;
  if (hosts === "") throw new InputError(`store "${uri}": no host:port`);
  const endpoints = hosts.split(",").map((host) => {
    if (!/^[A-Za-z0-9.\-[\]:]+:\d+$/.test(host))
      throw new InputError(`store "${uri}": "${host}" is not host:port`);
    return `http://${host}`;
  });
  if (scheme === "calico-etcd" && prefix && prefix !== "/") {
    throw new InputError(`store "${uri}": calico-etcd reads fixed prefixes; drop "${prefix}"`);
  }
  return {
    scheme: scheme as (typeof ETCD_SCHEMES)[number],
    endpoints,
    uri,
    ...(prefix && prefix !== "/" ? { prefix } : {}),
  };
}

/** Opens the store a URI names as a snapshot stream (nothing is read until the records are iterated). */
export async function openStore(
  uri: string | StoreUri,
  options: { pageSize?: number } = {},
): Promise<Snapshot> {
  const parsed = typeof uri === "string" ? parseStoreUri(uri) : uri;
  switch (parsed.scheme) {
    case "file":
      return loadSnapshot(parsed.path);
    case "etcd":
      return readEtcdV3Snapshot({
        endpoints: parsed.endpoints,
        prefix: parsed.prefix,
        store: parsed.uri,
        ...options,
      });
    case "kube-registry":
      return readKubeRegistrySnapshot({
        endpoints: parsed.endpoints,
        store: parsed.uri,
        ...(parsed.prefix ? { prefix: parsed.prefix } : {}),
        ...options,
      });
    case "calico-etcd":
      return readCalicoEtcdSnapshot({ endpoints: parsed.endpoints, store: parsed.uri, ...options });
    case "etcdv2":
      return readEtcdV2Snapshot({
        endpoint: parsed.endpoints[0] ?? "",
        prefix: parsed.prefix,
        store: parsed.uri,
      });
    case "calico-kube":
      return readCalicoKubeSnapshot({
        kubeconfigPath: parsed.kubeconfigPath,
        context: parsed.context,
        store: parsed.uri,
        ...options,
      });
  }
}

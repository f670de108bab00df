import type { GoBuildPlan } from "./go-build.js";

/**
 * Lists the staging modules that k8s.io/kubernetes requires at v0.0.0 (each mapped to
 * ./staging/src/... upstream). The set changes every minor release, so it is read from
 * k/k's own go.mod at the tag rather than written down here.
 */
export function stagingModules(kubernetesGoMod: string): string[] {
  const found = new Set<string>();
  for (const line of kubernetesGoMod.split("\n")) {
    const m = /^\s*(?:require\s+)?(k8s\.io\/[\w.-]+(?:\/[\w.-]+)*)\s+v0\.0\.0\s*(?:\/\/.*)?$/.exec(line);
    if (m?.[1]) found.add(m[1]);
  }
  return [...found].sort();
}

export function kubeApiserverPlan(kubeVersion: string, kubernetesGoMod: string): GoBuildPlan {
  const [major, minor] = kubeVersion.split(".");
  const stagingVersion = `v0.${minor}.${kubeVersion.split(".")[2]}`;
  const replaces: Record<string, string> = {};
  for (const mod of stagingModules(kubernetesGoMod)) replaces[mod] = stagingVersion;
  const versionPkg = "k8s.io/component-base/version";
  return {
    tool: "kube-apiserver",
    version: kubeVersion,
    requires: { "k8s.io/kubernetes": `v${kubeVersion}` },
    replaces,
    packages: { "k8s.io/kubernetes/cmd/kube-apiserver": "kube-apiserver" },
    // without these /version reports v0.0.0-master
    ldflags: [
      `-X ${versionPkg}.gitVersion=v${kubeVersion}`,
      `-X ${versionPkg}.gitMajor=${major}`,
      `-X ${versionPkg}.gitMinor=${minor}`,
      "-s -w",
    ],
  };
}

export function etcdPlan(etcdVersion: string): GoBuildPlan {
  return {
    tool: "etcd",
    version: etcdVersion,
    requires: {
      "go.etcd.io/etcd/server/v3": `v${etcdVersion}`,
      "go.etcd.io/etcd/etcdctl/v3": `v${etcdVersion}`,
      "go.etcd.io/etcd/etcdutl/v3": `v${etcdVersion}`,
    },
    replaces: {},
    // etcdutl: since 3.5 the offline snapshot restore lives there, not in etcdctl
    packages: {
      "go.etcd.io/etcd/server/v3": "etcd",
      "go.etcd.io/etcd/etcdctl/v3": "etcdctl",
      "go.etcd.io/etcd/etcdutl/v3": "etcdutl",
    },
    ldflags: ["-s -w"],
  };
}

import { access, constants } from "node:fs/promises";
import { join } from "node:path";
import { environment } from "../common/environment.js";
import { cachedBinaryPath } from "./cache.js";
import { tryOutput, which } from "./run-tool.js";
import { versions } from "./versions.js";

export type Tool =
  | "etcd-v2"
  | "etcdctl-v2"
  | "etcd"
  | "etcdctl"
  | "etcdutl"
  | "etcd-3.5"
  | "etcdutl-3.5"
  | "kube-apiserver";

/** The 3.5 tools: an upgrade step only, never on PATH or in envtest's variables, only in the cache. */
export function isEtcd35(tool: Tool): boolean {
  return tool === "etcd-3.5" || tool === "etcdutl-3.5";
}

export interface Binary {
  tool: Tool;
  path: string;
  version: string;
  /** Where it was found: an envtest variable, PATH, Debian's package, or storeshift's build cache. */
  source: string;
}

export interface Missing {
  tool: Tool;
  reason: string;
}

export async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export async function probeVersion(tool: Tool, path: string): Promise<string | undefined> {
  const isCtl = tool === "etcdctl" || tool === "etcdctl-v2" || tool === "etcdutl" || tool === "etcdutl-3.5";
  const out = isCtl ? await tryOutput(path, ["version"]) : await tryOutput(path, ["--version"]);
  if (!out) return undefined;
  const match =
    tool === "kube-apiserver"
      ? /Kubernetes v(\d+\.\d+\.\d+\S*)/.exec(out)
      : /[Vv]ersion:\s*v?(\d+\.\d+\.\d+)/.exec(out);
  return match?.[1];
}

/** Candidates in envtest's order: TEST_ASSET_<NAME>, $KUBEBUILDER_ASSETS/<name>, then PATH. */
function userCandidates(tool: Tool): Array<{ path: string; source: string }> {
  const out: Array<{ path: string; source: string }> = [];
  const env = environment();
  if (tool === "etcd" && env.TEST_ASSET_ETCD)
    out.push({ path: env.TEST_ASSET_ETCD, source: "TEST_ASSET_ETCD" });
  if (tool === "kube-apiserver" && env.TEST_ASSET_KUBE_APISERVER)
    out.push({ path: env.TEST_ASSET_KUBE_APISERVER, source: "TEST_ASSET_KUBE_APISERVER" });
  if ((tool === "etcd" || tool === "kube-apiserver") && env.KUBEBUILDER_ASSETS)
    out.push({ path: join(env.KUBEBUILDER_ASSETS, tool), source: "KUBEBUILDER_ASSETS" });
  if (tool === "etcd-v2" && env.STORESHIFT_ETCD_V2)
    out.push({ path: env.STORESHIFT_ETCD_V2, source: "STORESHIFT_ETCD_V2" });
  if (tool === "etcdctl-v2" && env.STORESHIFT_ETCDCTL_V2)
    out.push({ path: env.STORESHIFT_ETCDCTL_V2, source: "STORESHIFT_ETCDCTL_V2" });
  if (tool === "etcd-3.5" && env.STORESHIFT_ETCD35)
    out.push({ path: env.STORESHIFT_ETCD35, source: "STORESHIFT_ETCD35" });
  return out;
}

/** Does `version` fit what the tool is used for? v2-capable etcd must be <= 3.4; the others >= 3.5. */
export function versionFits(tool: Tool, version: string): boolean {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  if (tool === "etcd-v2" || tool === "etcdctl-v2") return major === 3 && minor <= 4;
  if (isEtcd35(tool)) return major === 3 && minor === 5;
  if (tool === "etcd" || tool === "etcdctl" || tool === "etcdutl") return major === 3 && minor >= 5;
  return major === 1 && minor >= 30;
}

function pathName(tool: Tool): string {
  return tool.replace(/-v2$/, "").replace(/-3\.5$/, "");
}

function cachedVersion(tool: Tool): string {
  if (isEtcd35(tool)) return versions.etcd35;
  return tool === "kube-apiserver" ? versions.kube : versions.etcd;
}

/** Finds a usable binary without installing anything; says why not when there is none. */
export async function locate(tool: Tool): Promise<Binary | Missing> {
  const rejected: string[] = [];
  const consider = async (path: string, source: string): Promise<Binary | undefined> => {
    if (!(await isExecutable(path))) {
      const expected = source !== "PATH" && source !== "debian" && source !== "cache";
      if (expected) rejected.push(`${source}=${path} is not executable`);
      return undefined;
    }
    const version = await probeVersion(tool, path);
    if (!version) {
      rejected.push(`${path} (${source}) did not report a version`);
      return undefined;
    }
    if (!versionFits(tool, version)) {
      rejected.push(`${path} (${source}) is ${version}`);
      return undefined;
    }
    return { tool, path, version, source };
  };

  for (const c of userCandidates(tool)) {
    const found = await consider(c.path, c.source);
    if (found) return found;
  }
  if (tool === "etcd-v2" || tool === "etcdctl-v2") {
    const found = await consider(`/usr/bin/${pathName(tool)}`, "debian");
    if (found) return found;
  }
  // PATH's etcd is another line (Debian's 3.4, or 3.6): 3.5 comes from its variable or the cache
  const onPath = isEtcd35(tool) ? undefined : await which(pathName(tool));
  if (onPath) {
    const found = await consider(onPath, "PATH");
    if (found) return found;
  }
  if (tool !== "etcd-v2" && tool !== "etcdctl-v2") {
    const found = await consider(cachedBinaryPath(pathName(tool), cachedVersion(tool)), "cache");
    if (found) return found;
  }
  const hint =
    tool === "etcd-v2" || tool === "etcdctl-v2"
      ? "install Debian's etcd-server and etcd-client (3.4.23), or run `storeshift install`"
      : isEtcd35(tool)
        ? `run \`storeshift install --tool ${tool}\` to download etcd ${versions.etcd35}'s official release (or build it from the Go module proxy)`
        : "run `storeshift install` to download its official release (or build it from the Go module proxy)";
  const why = rejected.length > 0 ? `; rejected: ${rejected.join("; ")}` : "";
  return { tool, reason: `no ${describeTool(tool)} found${why}; ${hint}` };
}

export function describeTool(tool: Tool): string {
  switch (tool) {
    case "etcd-v2":
      return "etcd <= 3.4 (v2 API)";
    case "etcdctl-v2":
      return "etcdctl <= 3.4 (with `migrate`)";
    case "etcd":
      return "etcd >= 3.5";
    case "etcdctl":
      return "etcdctl >= 3.5";
    case "etcdutl":
      return "etcdutl >= 3.5 (snapshot restore)";
    case "etcd-3.5":
      return `etcd 3.5 (${versions.etcd35}, the upgrade step to 3.6)`;
    case "etcdutl-3.5":
      return `etcdutl 3.5 (${versions.etcd35}, \`check v2store\`)`;
    case "kube-apiserver":
      return "kube-apiserver";
  }
}

export function isMissing(found: Binary | Missing): found is Missing {
  return !("path" in found);
}

import { readdir } from "node:fs/promises";
import { cachedBinaryPath, cacheRoot } from "./cache.js";
import { type Binary, isExecutable, isMissing, locate, type Missing, probeVersion } from "./locate.js";
import { versions } from "./versions.js";

/** "1.36" of "1.36.3" (or of "v1.36.3-rc.0"); undefined for anything that is not major.minor[.patch]. */
export function minorOf(version: string): string | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(version.trim());
  return m ? `${m[1]}.${m[2]}` : undefined;
}

/** Versions of the cache's `kube-apiserver-<version>` dirs for one minor, newest patch first. */
export function cachedPatchesOf(minor: string, dirNames: string[]): string[] {
  const patches: { version: string; patch: number }[] = [];
  for (const name of dirNames) {
    const m = /^kube-apiserver-(\d+\.\d+)\.(\d+)$/.exec(name);
    if (m?.[1] === minor) patches.push({ version: `${m[1]}.${m[2]}`, patch: Number(m[2]) });
  }
  return patches.sort((a, b) => b.patch - a.patch).map((p) => p.version);
}

/** The release named in the hint for a minor with no binary here: the pinned one, else the run's default's minor. */
export function pinnedPatchOf(minor: string, pins: Record<string, string>, fallback: string): string {
  return pins[minor] ?? (minorOf(fallback) === minor ? fallback : `${minor}.0`);
}

/** The reason a matrix row for `minor` is not run: what to install and how. */
export function notInstalledReason(version: string): string {
  return `kube-apiserver ${version} is not installed (storeshift install --tool kube-apiserver with STORESHIFT_KUBE_VERSION=${version})`;
}

async function cacheDirNames(): Promise<string[]> {
  try {
    return await readdir(`${cacheRoot()}/bin`);
  } catch {
    return [];
  }
}

/**
 * A kube-apiserver of one Kubernetes minor (e.g. "1.36"), without installing anything: the binary a
 * run would use anyway (envtest's variables, PATH, the cache's default release) when it is of that
 * minor, else the newest patch of that minor in storeshift's cache. Missing says which release to
 * install and how.
 */
export async function locateKubeApiserverMinor(minor: string): Promise<Binary | Missing> {
  const usual = await locate("kube-apiserver");
  if (!isMissing(usual) && minorOf(usual.version) === minor) return usual;
  for (const version of cachedPatchesOf(minor, await cacheDirNames())) {
    const path = cachedBinaryPath("kube-apiserver", version);
    if (!(await isExecutable(path))) continue; // a build still under way leaves only a .partial file
    const reported = await probeVersion("kube-apiserver", path);
    if (reported && minorOf(reported) === minor)
      return { tool: "kube-apiserver", path, version: reported, source: "cache" };
  }
  const wanted = pinnedPatchOf(minor, versions.kubeMatrix, versions.kube);
  return { tool: "kube-apiserver", reason: notInstalledReason(wanted) };
}

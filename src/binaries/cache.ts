import { homedir } from "node:os";
import { join } from "node:path";

/** Built binaries live outside the repository, keyed by tool and version, so clones share them. */
export function cacheRoot(): string {
  if (process.env.STORESHIFT_CACHE) return process.env.STORESHIFT_CACHE;
  const xdg = process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache");
  return join(xdg, "storeshift");
}

export function cachedBinaryPath(tool: string, version: string, root = cacheRoot()): string {
  return join(root, "bin", `${tool}-${version}`, tool);
}

export function buildDir(tool: string, version: string): string {
  return join(cacheRoot(), "build", `${tool}-${version}`);
}

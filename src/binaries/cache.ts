import { homedir } from "node:os";
import { join } from "node:path";
import { envVar } from "../common/environment.js";

/** Built binaries live outside the repository, keyed by tool and version, so clones share them. */
export function cacheRoot(): string {
  const configured = envVar("STORESHIFT_CACHE");
  if (configured) return configured;
  const xdg = envVar("XDG_CACHE_HOME") ?? join(homedir(), ".cache");
  return join(xdg, "storeshift");
}

export function cachedBinaryPath(tool: string, version: string, root = cacheRoot()): string {
  return join(root, "bin", `${tool}-${version}`, tool);
}

export function buildDir(tool: string, version: string): string {
  return join(cacheRoot(), "build", `${tool}-${version}`);
}

import { existsSync } from "node:fs";
import { envVar } from "../common/environment.js";
import { withBuildLock } from "./build-lock.js";
import { buildDir, cachedBinaryPath } from "./cache.js";
import { type GoBuildPlan, goBuild } from "./go-build.js";
import { isExecutable } from "./locate.js";
import { which } from "./run-tool.js";

/** The kind release `storeshift install --tool kind` builds; the Go module proxy serves it. */
export const KIND_VERSION = envVar("STORESHIFT_KIND_VERSION") ?? "0.33.0";

/** kind's CLI is the module's root package; it has no replace directives to work around. */
export function kindPlan(version: string): GoBuildPlan {
  return {
    tool: "kind",
    version,
    requires: { "sigs.k8s.io/kind": `v${version}` },
    replaces: {},
    packages: { "sigs.k8s.io/kind": "kind" },
    ldflags: ["-s -w"],
  };
}

export interface FoundKind {
  path: string;
  source: "KIND" | "PATH" | "cache";
}

/** Where storeshift's own build lives, when it exists; the CLI wrapper falls back to it. */
export function cachedKind(): string | undefined {
  const path = cachedBinaryPath("kind", KIND_VERSION);
  return existsSync(path) ? path : undefined;
}

/** The kind executable: $KIND, then PATH, then storeshift's cache. Nothing is built here. */
export async function locateKind(): Promise<FoundKind | undefined> {
  const fromEnv = envVar("KIND");
  if (fromEnv && (await isExecutable(fromEnv))) return { path: fromEnv, source: "KIND" };
  const onPath = await which("kind");
  if (onPath) return { path: onPath, source: "PATH" };
  const cached = cachedKind();
  if (cached && (await isExecutable(cached))) return { path: cached, source: "cache" };
  return undefined;
}

/** Builds kind from the Go module proxy into the cache unless some kind is already found. */
export async function installKind(): Promise<FoundKind> {
  const found = await locateKind();
  if (found) return found;
  return withBuildLock(`${buildDir("kind", "install")}.lock`, "install kind", async () => {
    const meanwhile = await locateKind();
    if (meanwhile) return meanwhile;
    const built = await goBuild(kindPlan(KIND_VERSION));
    return { path: built.kind ?? cachedBinaryPath("kind", KIND_VERSION), source: "cache" };
  });
}

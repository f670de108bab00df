import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { StoreshiftError } from "../common/errors.js";
import { log } from "../common/log.js";
import { buildDir, cachedBinaryPath } from "./cache.js";

/**
 * Builds Go programs from the module proxy inside a throwaway wrapper module.
 *
 * Why a wrapper: etcd's server module and k8s.io/kubernetes carry `replace` directives, so
 * `go install pkg@version` refuses them. A dependency's replace directives are ignored, so a module
 * that requires them (and, for Kubernetes, pins every staging module to its published v0.x.y)
 * builds with plain `go build`.
 */
export interface GoBuildPlan {
  tool: string;
  version: string;
  requires: Record<string, string>;
  replaces: Record<string, string>;
  /** Package path → output binary name inside the cache entry. */
  packages: Record<string, string>;
  ldflags?: string[];
}

export function renderGoMod(plan: GoBuildPlan): string {
  const lines = [`module storeshift.local/build/${plan.tool}`, "", "go 1.26.0", "", "require ("];
  for (const [mod, ver] of Object.entries(plan.requires).sort()) lines.push(`\t${mod} ${ver}`);
  lines.push(")", "");
  for (const [mod, ver] of Object.entries(plan.replaces).sort())
    lines.push(`replace ${mod} => ${mod} ${ver}`);
  return `${lines.join("\n")}\n`;
}

function renderToolsFile(plan: GoBuildPlan): string {
  const imports = Object.keys(plan.packages)
    .sort()
    .map((p) => `\t_ "${p}"`)
    .join("\n");
  return `//go:build tools\n\npackage tools\n\nimport (\n${imports}\n)\n`;
}

/** Runs the Go toolchain (CGO off, modules from the proxy, no toolchain switch) with progress lines. */
export async function go(args: string[], cwd: string, what: string): Promise<string> {
  const child = execa("go", args, {
    cwd,
    reject: false,
    all: true,
    stdin: "ignore",
    env: { CGO_ENABLED: "0", GOFLAGS: "-mod=mod", GOTOOLCHAIN: "local" },
  });
  let lastShown = Date.now();
  let downloads = 0;
  child.all?.on("data", (chunk: Buffer) => {
    downloads += (chunk.toString().match(/go: downloading/g) ?? []).length;
    if (Date.now() - lastShown > 15_000) {
      lastShown = Date.now();
      log.info(`  ${what}: still working (${downloads} modules downloaded so far)`);
    }
  });
  const result = await child;
  if (result.exitCode !== 0) {
    const tail = (result.all ?? "")
      .split("\n")
      .filter((l) => !l.startsWith("go: downloading"))
      .slice(-5)
      .join(" | ");
    throw new StoreshiftError(`${what}: go ${args[0]} failed (exit ${result.exitCode}): ${tail}`);
  }
  return result.stdout;
}

/** Builds every package of the plan into its version-keyed cache entry; returns the paths. */
export async function goBuild(plan: GoBuildPlan): Promise<Record<string, string>> {
  const dir = buildDir(plan.tool, plan.version);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "go.mod"), renderGoMod(plan));
  await rm(join(dir, "go.sum"), { force: true });
  await writeFile(join(dir, "tools.go"), renderToolsFile(plan));
  const out: Record<string, string> = {};
  for (const [pkg, name] of Object.entries(plan.packages)) {
    const target = cachedBinaryPath(name, plan.version);
    await mkdir(dirname(target), { recursive: true });
    const partial = `${target}.partial`;
    const started = Date.now();
    log.info(`building ${name} ${plan.version} from the Go module proxy (${pkg})`);
    const ldflags = plan.ldflags?.length ? ["-ldflags", plan.ldflags.join(" ")] : [];
    await go(["build", ...ldflags, "-o", partial, pkg], dir, `build ${name} ${plan.version}`);
    // rename is atomic: a half-built binary never sits at the cached path
    await rename(partial, target);
    log.info(`built ${name} ${plan.version} in ${Math.round((Date.now() - started) / 1000)} s → ${target}`);
    out[name] = target;
  }
  return out;
}

/** Reads a published module's own go.mod through the proxy (`go mod download -json`). */
export async function downloadGoMod(module: string, version: string, cwd: string): Promise<string> {
  const json = await go(
    ["mod", "download", "-json", `${module}@${version}`],
    cwd,
    `read ${module}@${version}`,
  );
  const info = JSON.parse(json) as { GoMod?: string; Error?: string };
  if (info.Error || !info.GoMod)
    throw new StoreshiftError(`read ${module}@${version}: ${info.Error ?? "no go.mod"}`);
  return readFile(info.GoMod, "utf8");
}

/** Checks that every module@version exists on the proxy, in one `go mod download` call. */
export async function assertModulesExist(modules: Record<string, string>, cwd: string): Promise<void> {
  const args = Object.entries(modules).map(([m, v]) => `${m}@${v}`);
  await go(["mod", "download", "-json", ...args], cwd, "check staging modules on the Go module proxy");
}

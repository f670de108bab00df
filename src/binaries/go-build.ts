import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { writeFileAtomicVia } from "../common/atomic-write.js";
import { StoreshiftError } from "../common/errors.js";
import { log } from "../common/log.js";
import { formatDuration, GoProgress } from "./build-progress.js";
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

/**
 * Runs the Go toolchain (CGO off, modules from the proxy, no toolchain switch) and returns its
 * stdout, with a progress line every 10 s while it runs.
 */
export async function go(args: string[], cwd: string, what: string): Promise<string> {
  return (await runGo(args, cwd, what)).stdout;
}

interface ProgressOptions {
  /** Every package of the build (`go list -deps`): progress is then "N/M packages". */
  packages?: ReadonlySet<string>;
  /** When the work began, for the elapsed time (default: now). */
  started?: number;
  /** At most one progress line this often (default 10 s). */
  everyMs?: number;
}

async function runGo(
  args: string[],
  cwd: string,
  what: string,
  options: ProgressOptions = {},
): Promise<{ stdout: string; progress: GoProgress }> {
  const { packages } = options;
  const started = options.started ?? Date.now();
  const child = execa("go", args, {
    cwd,
    reject: false,
    all: true,
    stdin: "ignore",
    env: { CGO_ENABLED: "0", GOFLAGS: "-mod=mod", GOTOOLCHAIN: "local" },
  });
  const progress = new GoProgress(what, started, packages);
  // stderr only: `go list` prints its answer on stdout, which must not be read as progress
  child.stderr?.on("data", (chunk: Buffer) => progress.feed(chunk.toString()));
  // a timer, not the output, paces the lines: one package can compile silently for a minute
  const ticker = setInterval(() => log.info(progress.line(Date.now())), options.everyMs ?? 10_000);
  const result = await child.finally(() => clearInterval(ticker));
  progress.end();
  if (result.exitCode !== 0) {
    const tail = (result.all ?? "")
      .split("\n")
      .filter((l) => !l.startsWith("go: downloading") && !packages?.has(l.trim()))
      .slice(-5)
      .join(" | ");
    throw new StoreshiftError(`${what}: go ${args[0]} failed (exit ${result.exitCode}): ${tail}`);
  }
  return { stdout: result.stdout, progress };
}

export interface BuildTiming {
  seconds: number;
  compiled: number;
  packages: number;
  at: string;
}

function timingFile(plan: Pick<GoBuildPlan, "tool" | "version">, name: string): string {
  return join(buildDir(plan.tool, plan.version), `last-build-${name}.json`);
}

async function lastTiming(file: string): Promise<BuildTiming | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as BuildTiming;
  } catch {
    return undefined;
  }
}

/**
 * Builds one package of a plan with progress; returns what it measured. Exported for the test that
 * builds a tiny module: the kube-apiserver build itself is far too long for a test.
 */
export async function buildPackage(
  dir: string,
  pkg: string,
  output: string,
  what: string,
  ldflags: string[] = [],
  everyMs?: number,
): Promise<{ ms: number; compiled: number; packages: number }> {
  const started = Date.now();
  const listed = await runGo(["list", "-deps", pkg], dir, `${what}: listing packages`, { started, everyMs });
  const packages = new Set(
    listed.stdout
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== ""),
  );
  const flags = ldflags.length ? ["-ldflags", ldflags.join(" ")] : [];
  const built = await runGo(["build", "-v", ...flags, "-o", output, pkg], dir, what, {
    packages,
    started,
    everyMs,
  });
  return { ms: Date.now() - started, compiled: built.progress.compiledCount, packages: packages.size };
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
    const previous = await lastTiming(timingFile(plan, name));
    const before = previous
      ? `the last source build here took ${formatDuration(previous.seconds * 1000)} (${previous.compiled} of ${previous.packages} packages compiled, ${previous.at})`
      : "no earlier build measured on this machine";
    log.info(`building ${name} ${plan.version} from the Go module proxy (${pkg}); ${before}`);
    // a half-built binary never sits at the cached path
    const took = await writeFileAtomicVia(target, (partial) =>
      buildPackage(dir, pkg, partial, `building ${name} ${plan.version}`, plan.ldflags),
    );
    log.info(
      `built ${name} ${plan.version} in ${formatDuration(took.ms)}: ${took.compiled} of ${took.packages} packages compiled (the rest from Go's build cache) → ${target}`,
    );
    const timing: BuildTiming = {
      seconds: Math.round(took.ms / 1000),
      compiled: took.compiled,
      packages: took.packages,
      at: new Date().toISOString(),
    };
    await writeFile(timingFile(plan, name), `${JSON.stringify(timing)}\n`).catch(() => undefined);
    out[name] = target;
  }
  return out;
}

/** The last measured source build of a binary on this machine (the bench reports it). */
export async function lastSourceBuild(
  plan: Pick<GoBuildPlan, "tool" | "version">,
  name: string,
): Promise<BuildTiming | undefined> {
  return lastTiming(timingFile(plan, name));
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

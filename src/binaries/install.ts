import { mkdir } from "node:fs/promises";
import { execa } from "execa";
import { envVar } from "../common/environment.js";
import { errorMessage, StoreshiftError } from "../common/errors.js";
import { log } from "../common/log.js";
import { withBuildLock } from "./build-lock.js";
import { buildDir } from "./cache.js";
import { DownloadRefused, installRelease } from "./download.js";
import { assertModulesExist, downloadGoMod, goBuild } from "./go-build.js";
import { type Binary, describeTool, isMissing, locate, type Tool } from "./locate.js";
import { etcdPlan, kubeApiserverPlan, stagingModules } from "./plans.js";
import { etcdRelease, kubeApiserverRelease, type ReleaseAsset } from "./releases.js";
import { which } from "./run-tool.js";
import { versions } from "./versions.js";

async function installDebianEtcd(): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new StoreshiftError(
      "install etcd 3.4.23: not root; run `sudo apt-get install etcd-server etcd-client`",
    );
  }
  log.info("installing Debian's etcd-server and etcd-client (etcd 3.4.23)");
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const apt = (args: string[]) => execa("apt-get", args, { env, stdin: "ignore", reject: false, all: true });
  let result = await apt(["install", "-y", "-q", "etcd-server", "etcd-client"]);
  if (result.exitCode !== 0) {
    await apt(["update", "-q"]);
    result = await apt(["install", "-y", "-q", "etcd-server", "etcd-client"]);
  }
  if (result.exitCode !== 0) {
    const tail = (result.all ?? "").trim().split("\n").slice(-2).join(" | ");
    throw new StoreshiftError(`install etcd 3.4.23 with apt-get: exit ${result.exitCode}: ${tail}`);
  }
}

async function buildEtcd(version: string): Promise<void> {
  await goBuild(etcdPlan(version));
}

async function buildKubeApiserver(): Promise<void> {
  const version = versions.kube;
  const dir = buildDir("kube-apiserver", version);
  await mkdir(dir, { recursive: true });
  log.info(`reading k8s.io/kubernetes v${version}'s go.mod for its staging modules`);
  const gomod = await downloadGoMod("k8s.io/kubernetes", `v${version}`, dir);
  const plan = kubeApiserverPlan(version, gomod);
  const count = Object.keys(plan.replaces).length;
  if (count === 0)
    throw new StoreshiftError(`build kube-apiserver v${version}: no staging modules found in go.mod`);
  log.info(`pinning ${count} staging modules to ${Object.values(plan.replaces)[0]}; checking they exist`);
  await assertModulesExist(plan.replaces, dir);
  await goBuild(plan);
}

export interface InstallOptions {
  /** Try the official release first (default true; `storeshift install --no-download`). */
  download?: boolean;
  /** Build from the Go module proxy when the download is refused (default true; `--no-build`). */
  build?: boolean;
  /** Default: `STORESHIFT_BINARY_MIRROR`, else upstream's own URLs. */
  mirror?: string;
}

/**
 * The official release first, the source build second. Every refusal says why in one line; a
 * checksum mismatch is a warning (someone served wrong bytes) but, like any refusal, only ever
 * leads to building from source, never to trusting the file. With `build: false` a refusal is the
 * install's error.
 */
export async function downloadOrBuild(
  tool: Tool,
  asset: ReleaseAsset | undefined,
  build: () => Promise<void>,
  options: InstallOptions,
): Promise<void> {
  const what = `${asset?.tool ?? tool} ${asset?.version ?? ""}`.trim();
  let why = "downloads are off (--no-download)";
  if (options.download !== false && !asset)
    why = `no official release for ${process.platform}/${process.arch}`;
  if (options.download !== false && asset) {
    try {
      await installRelease(asset, {
        mirror: options.mirror ?? (envVar("STORESHIFT_BINARY_MIRROR") || undefined),
      });
      return;
    } catch (err) {
      if (!(err instanceof DownloadRefused)) throw err;
      why = `download refused: ${err.message}`;
      if (options.build === false)
        throw new StoreshiftError(`install ${what}: ${why}; not building (--no-build)`);
      if (err.kind === "checksum") log.warn(`${what}: ${why}; the file was discarded`);
    }
  }
  if (options.build === false)
    throw new StoreshiftError(`install ${what}: ${why}; not building (--no-build)`);
  if (!(await which("go")))
    throw new StoreshiftError(`install ${what}: ${why}; cannot build either: no Go toolchain on PATH`);
  log.info(`${what}: ${why}; building from the Go module proxy`);
  await build();
}

async function installTool(tool: Tool, options: InstallOptions): Promise<void> {
  switch (tool) {
    case "etcd-v2":
    case "etcdctl-v2":
      return installDebianEtcd();
    case "etcd":
    case "etcdctl":
    case "etcdutl":
      return downloadOrBuild(tool, etcdRelease(versions.etcd), () => buildEtcd(versions.etcd), options);
    case "etcd-3.5":
    case "etcdutl-3.5":
      return downloadOrBuild(tool, etcdRelease(versions.etcd35), () => buildEtcd(versions.etcd35), options);
    case "kube-apiserver":
      return downloadOrBuild(tool, kubeApiserverRelease(versions.kube), buildKubeApiserver, options);
  }
}

/**
 * Returns a usable binary, downloading, installing or building it when it is missing. Only
 * `storeshift install` (and set-up scripts) call this: a run that finds a binary missing fails fast
 * instead of starting a download or a long build nobody asked for.
 */
export async function installBinary(tool: Tool, options: InstallOptions = {}): Promise<Binary> {
  const found = await locate(tool);
  if (!isMissing(found)) return found;
  const lock = `${buildDir(pathNameOf(tool), "install")}.lock`;
  return withBuildLock(lock, `install ${tool}`, async () => {
    // another process may have finished the same install while this one waited for the lock
    const meanwhile = await locate(tool);
    if (!isMissing(meanwhile)) return meanwhile;
    log.info(`${describeTool(tool)} not found; installing it`);
    try {
      await installTool(tool, options);
    } catch (err) {
      throw err instanceof StoreshiftError
        ? err
        : new StoreshiftError(`install ${tool}: ${errorMessage(err)}`);
    }
    const after = await locate(tool);
    if (isMissing(after))
      throw new StoreshiftError(`install ${tool}: still missing after install: ${after.reason}`);
    return after;
  });
}

/** Returns a usable binary or fails at once, naming the tool and how to install it. */
export async function requireBinary(tool: Tool): Promise<Binary> {
  const found = await locate(tool);
  if (isMissing(found)) throw new StoreshiftError(`find ${tool}: ${found.reason}`);
  return found;
}

function pathNameOf(tool: Tool): string {
  // etcd and etcdctl come from one build, as do the two Debian packages: they share a lock
  if (tool === "etcd-3.5" || tool === "etcdutl-3.5") return "etcd-3.5";
  return tool.replace(/-v2$/, "").replace(/(ctl|utl)$/, "");
}

export const ALL_TOOLS: Tool[] = ["etcd-v2", "etcdctl-v2", "etcd", "etcdctl", "etcdutl", "kube-apiserver"];

/**
 * Installed only when asked for by name (`storeshift install --tool etcd-3.5`): the lifecycle
 * scenarios' upgrade step. Scenarios that need them are not run, with the reason, where they are absent.
 */
export const OPTIONAL_TOOLS: Tool[] = ["etcd-3.5", "etcdutl-3.5"];

export { stagingModules };

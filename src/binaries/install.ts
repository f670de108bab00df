import { mkdir } from "node:fs/promises";
import { execa } from "execa";
import { errorMessage, StoreshiftError } from "../common/errors.js";
import { log } from "../common/log.js";
import { withBuildLock } from "./build-lock.js";
import { buildDir } from "./cache.js";
import { assertModulesExist, downloadGoMod, goBuild } from "./go-build.js";
import { type Binary, describeTool, isMissing, locate, type Tool } from "./locate.js";
import { etcdPlan, kubeApiserverPlan, stagingModules } from "./plans.js";
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
  log.info(`building kube-apiserver v${version}: a cold build takes about 10 minutes on 2 cores`);
  await goBuild(plan);
}

async function installTool(tool: Tool): Promise<void> {
  switch (tool) {
    case "etcd-v2":
    case "etcdctl-v2":
      return installDebianEtcd();
    case "etcd":
    case "etcdctl":
    case "etcdutl":
      if (!(await which("go")))
        throw new StoreshiftError(`build ${describeTool(tool)}: no Go toolchain on PATH`);
      return buildEtcd(versions.etcd);
    case "etcd-3.5":
    case "etcdutl-3.5":
      if (!(await which("go")))
        throw new StoreshiftError(`build ${describeTool(tool)}: no Go toolchain on PATH`);
      return buildEtcd(versions.etcd35);
    case "kube-apiserver":
      if (!(await which("go"))) throw new StoreshiftError("build kube-apiserver: no Go toolchain on PATH");
      return buildKubeApiserver();
  }
}

/**
 * Returns a usable binary, installing or building it when it is missing. Only `storeshift install`
 * (and set-up scripts) call this: a run that finds a binary missing fails fast instead of starting
 * a ten-minute build nobody asked for.
 */
export async function installBinary(tool: Tool): Promise<Binary> {
  const found = await locate(tool);
  if (!isMissing(found)) return found;
  const lock = `${buildDir(pathNameOf(tool), "install")}.lock`;
  return withBuildLock(lock, `install ${tool}`, async () => {
    // another process may have finished the same install while this one waited for the lock
    const meanwhile = await locate(tool);
    if (!isMissing(meanwhile)) return meanwhile;
    log.info(`${describeTool(tool)} not found; installing it`);
    try {
      await installTool(tool);
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

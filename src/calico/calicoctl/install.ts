import { access, cp, mkdir, readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { withBuildLock } from "../../binaries/build-lock.js";
import { buildDir, cachedBinaryPath } from "../../binaries/cache.js";
import { go } from "../../binaries/go-build.js";
import { isExecutable } from "../../binaries/locate.js";
import { writeFileAtomicVia } from "../../common/atomic-write.js";
import { envVar } from "../../common/environment.js";
import { StoreshiftError } from "../../common/errors.js";
import { log } from "../../common/log.js";
import { parseCalicoctlList } from "./found.js";

/**
 * Builds a real calicoctl from projectcalico/calico at a release tag's commit, cached by version.
 *
 * The module has no /v3 path suffix, so `@v3.x.y` is not a valid version: a release is addressed by
 * its commit as a pseudo-version. Its go.mod has `replace` directives (so `go install pkg@version`
 * refuses it) and points some of them at nested modules (./api, ./lib/std, ...) that a module zip
 * leaves out; we build inside a writable copy of the downloaded module and fill any missing nested
 * directory from a git checkout of the same commit when one is given.
 */

export const CALICO_MODULE = "github.com/projectcalico/calico";

export interface CalicoRelease {
  version: string;
  commit: string;
  /** The Go pseudo-version of that commit (base: the newest semver tag valid for the module path). */
  pseudoVersion: string;
}

export const CALICO_RELEASES: Record<string, CalicoRelease> = {
  "3.32.1": {
    version: "3.32.1",
    commit: "0ca9d1b93644778cafdf1812f3dda02ac0c361e8",
    pseudoVersion: "v1.11.0-cni-plugin.0.20260624183235-0ca9d1b93644",
  },
};

export const DEFAULT_CALICOCTL_VERSION = envVar("STORESHIFT_CALICOCTL_VERSION") ?? "3.32.1";

export type CalicoctlLocation =
  | { path: string; version: string; source: "env" | "cache" }
  | { missing: true; reason: string };

/**
 * STORESHIFT_CALICOCTL first, then the cache entry for the version. The variable may list several
 * paths (colon-separated, for the version matrix: calicoctl/found.ts); the first is the one used here.
 */
export async function locateCalicoctl(version = DEFAULT_CALICOCTL_VERSION): Promise<CalicoctlLocation> {
  const [fromEnv] = parseCalicoctlList(envVar("STORESHIFT_CALICOCTL"));
  if (fromEnv) {
    if (await isExecutable(fromEnv)) return { path: fromEnv, version, source: "env" };
    return { missing: true, reason: `STORESHIFT_CALICOCTL=${fromEnv} is not an executable file` };
  }
  const cached = cachedBinaryPath("calicoctl", version);
  if (await isExecutable(cached)) return { path: cached, version, source: "cache" };
  return {
    missing: true,
    reason: `calicoctl ${version} is not built (${cached} missing); run \`storeshift calico install-calicoctl\``,
  };
}

/** Relative directories named by `replace X => ./dir` lines. */
export function localReplaceDirs(goMod: string): string[] {
  const dirs: string[] = [];
  for (const m of goMod.matchAll(/=>\s+(\.\/[^\s]+)/g)) if (m[1]) dirs.push(m[1]);
  return [...new Set(dirs)];
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function gitArchive(gitSource: string, commit: string, paths: string[], into: string): Promise<void> {
  await mkdir(into, { recursive: true });
  const isDir = await exists(gitSource);
  const args = isDir
    ? [`--git-dir=${(await exists(join(gitSource, ".git"))) ? join(gitSource, ".git") : gitSource}`]
    : [];
  const archive = execa("git", [...args, "archive", "--format=tar", commit, ...paths], {
    cwd: into,
    reject: false,
    encoding: "buffer",
  });
  const result = await archive;
  if (result.exitCode !== 0)
    throw new StoreshiftError(
      `calicoctl source: git archive ${commit} from ${gitSource} failed: ${Buffer.from(result.stderr).toString().split("\n")[0]}`,
    );
  await execa("tar", ["-x", "-C", into], { input: Buffer.from(result.stdout) });
}

export interface InstallOptions {
  version?: string;
  /** A git repository (dir or bare dir) of projectcalico/calico, used for what the proxy cannot give. */
  gitSource?: string;
  force?: boolean;
}

/**
 * Downloads the module through the Go module proxy (`go mod download -json` → Dir), copies it to a
 * writable build dir, fills missing nested modules from `gitSource`, and builds ./calicoctl/calicoctl
 * with the version stamped in. Returns the cached binary's path.
 */
export async function installCalicoctl(
  options: InstallOptions = {},
): Promise<{ path: string; seconds: number; from: string }> {
  const version = options.version ?? DEFAULT_CALICOCTL_VERSION;
  const release = CALICO_RELEASES[version];
  if (!release)
    throw new StoreshiftError(
      `install calicoctl: unknown version ${version} (known: ${Object.keys(CALICO_RELEASES).join(", ")})`,
    );
  const target = cachedBinaryPath("calicoctl", version);
  if (!options.force && (await isExecutable(target))) return { path: target, seconds: 0, from: "cache" };
  const dir = buildDir("calicoctl", version);
  return withBuildLock(`${dir}.lock`, `install calicoctl ${version}`, async () => {
    // a concurrent install may have finished while this one waited
    if (!options.force && (await isExecutable(target))) return { path: target, seconds: 0, from: "cache" };
    const started = Date.now();
    const src = join(dir, "src");
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const gitSource = options.gitSource ?? envVar("STORESHIFT_CALICO_GIT");

    let from = `Go module proxy ${CALICO_MODULE}@${release.pseudoVersion}`;
    let downloaded: string | undefined;
    let proxyError = "";
    try {
      const json = await go(
        ["mod", "download", "-json", `${CALICO_MODULE}@${release.pseudoVersion}`],
        dir,
        `download ${CALICO_MODULE}@${release.pseudoVersion}`,
      );
      const info = JSON.parse(json) as { Dir?: string; Error?: string };
      if (info.Error || !info.Dir) throw new StoreshiftError(info.Error ?? "no Dir");
      downloaded = info.Dir;
    } catch (err) {
      proxyError = (err as Error).message.split("\n")[0] ?? "";
    }
    if (downloaded) {
      log.info(`calicoctl ${version}: module downloaded to ${downloaded}; copying to ${src}`);
      await cp(downloaded, src, { recursive: true });
      await execa("chmod", ["-R", "u+w", src]);
    } else {
      if (!gitSource)
        throw new StoreshiftError(
          `install calicoctl ${version}: the Go module proxy did not serve ${CALICO_MODULE}@${release.pseudoVersion} (${proxyError}); give a git checkout with --git DIR or STORESHIFT_CALICO_GIT`,
        );
      from = `git ${gitSource} at ${release.commit} (proxy: ${proxyError})`;
      log.info(
        `calicoctl ${version}: proxy refused the module; extracting ${release.commit} from ${gitSource}`,
      );
      await gitArchive(gitSource, release.commit, [], src);
    }
    const goMod = await readFile(join(src, "go.mod"), "utf8");
    const missing: string[] = [];
    for (const d of localReplaceDirs(goMod)) if (!(await exists(join(src, d)))) missing.push(d);
    if (missing.length > 0) {
      if (!gitSource)
        throw new StoreshiftError(
          `install calicoctl ${version}: the module zip lacks the nested modules its replace directives name (${missing.join(", ")}); give a git checkout with --git DIR`,
        );
      await gitArchive(
        gitSource,
        release.commit,
        missing.map((d) => d.replace(/^\.\//, "")),
        src,
      );
      from += ` + nested modules ${missing.join(", ")} from git`;
    }
    await mkdir(dirname(target), { recursive: true });
    const stamp = `-X ${CALICO_MODULE}/pkg/buildinfo.Version=v${version} -X ${CALICO_MODULE}/pkg/buildinfo.GitRevision=${release.commit.slice(0, 12)}`;
    log.info(`building calicoctl ${version} (several minutes cold on 2 cores)`);
    // a half-built binary never sits at the cached path
    await writeFileAtomicVia(target, (partial) =>
      go(
        ["build", "-ldflags", stamp, "-o", partial, "./calicoctl/calicoctl"],
        src,
        `build calicoctl ${version}`,
      ),
    );
    await rm(src, { recursive: true, force: true });
    const seconds = Math.round((Date.now() - started) / 1000);
    log.info(`built calicoctl ${version} in ${seconds} s → ${target}`);
    return { path: target, seconds, from };
  });
}

import { existsSync } from "node:fs";
import { copyFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { requireBinary } from "../../binaries/install.js";
import { isMissing, locate } from "../../binaries/locate.js";
import { versions } from "../../binaries/versions.js";
import { envVar } from "../../common/environment.js";
import { errorMessage, firstLine, StoreshiftError } from "../../common/errors.js";
import { log } from "../../common/log.js";
import { makeTempDir, removeDir } from "../../common/temp.js";
import { testcontainers } from "./runtime.js";

/** The two etcd lines scenarios use: 3.6 (v3 only) and 3.4 (the v2 API, `etcdctl migrate`). */
export type EtcdImageLine = "3.6" | "3.4";

export interface EtcdImage {
  /** A reference the engine has locally, ready for `docker run`. */
  image: string;
  /** official (pulled or already present), local (built here), or env (STORESHIFT_ETCD_IMAGE*). */
  source: "official" | "local" | "env";
}

/** The upstream images, used whenever the engine has them or a registry serves them. */
export function officialEtcdImage(line: EtcdImageLine): string {
  return line === "3.6" ? `quay.io/coreos/etcd:v${versions.etcd}` : "quay.io/coreos/etcd:v3.4.23";
}

/** The images storeshift builds from binaries it already has, tagged by the etcd version inside. */
export function localEtcdImage(line: EtcdImageLine, version: string): string {
  return line === "3.6" ? `storeshift/etcd:${version}` : `storeshift/etcd:${version}-debian`;
}

function envImage(line: EtcdImageLine): string | undefined {
  return line === "3.6" ? envVar("STORESHIFT_ETCD_IMAGE") : envVar("STORESHIFT_ETCD_V2_IMAGE");
}

/** The repository's docker/ folder (Dockerfiles), from src/ under tsx or dist/src/ once built. */
function dockerfileDir(line: EtcdImageLine): string {
  const name = line === "3.6" ? "etcd-3.6" : "etcd-3.4-debian";
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "docker", name);
    if (existsSync(join(candidate, "Dockerfile"))) return candidate;
    dir = dirname(dir);
  }
  throw new StoreshiftError(
    `build image for etcd ${line}: docker/${name}/Dockerfile not found in the package`,
  );
}

/** Shared libraries a dynamically linked executable loads, as absolute paths (from `ldd`). */
export function parseLdd(output: string): string[] {
  const libs = new Set<string>();
  for (const line of output.split("\n")) {
    const arrow = /=>\s*(\/\S+)/.exec(line);
    const bare = /^\s*(\/\S+)\s+\(/.exec(line);
    const path = arrow?.[1] ?? bare?.[1];
    if (path) libs.add(path);
  }
  return [...libs];
}

async function sharedLibraries(executable: string): Promise<string[]> {
  const result = await execa("ldd", [executable], { reject: false, stdin: "ignore" });
  // Go binaries built with CGO off are static: ldd says so and exits 1
  if (result.exitCode !== 0) return [];
  return parseLdd(result.stdout);
}

async function copyInto(root: string, from: string, to: string): Promise<void> {
  const target = join(root, to);
  await mkdir(dirname(target), { recursive: true });
  await copyFile(from, target);
}

interface ImageInputs {
  version: string;
  etcd: string;
  etcdctl: string;
}

/** The binaries storeshift runs locally for this line: its own etcd 3.6 build, Debian's 3.4.23. */
async function imageInputs(line: EtcdImageLine): Promise<ImageInputs> {
  if (line === "3.6") {
    const etcd = await requireBinary("etcd");
    const etcdctl = await requireBinary("etcdctl");
    return { version: etcd.version, etcd: etcd.path, etcdctl: etcdctl.path };
  }
  const etcd = await locate("etcd-v2");
  const etcdctl = await locate("etcdctl-v2");
  if (isMissing(etcd)) throw new StoreshiftError(`build image for etcd 3.4: ${etcd.reason}`);
  if (isMissing(etcdctl)) throw new StoreshiftError(`build image for etcd 3.4: ${etcdctl.reason}`);
  return { version: etcd.version, etcd: etcd.path, etcdctl: etcdctl.path };
}

/** Lays out the build context: the Dockerfile, the binaries and (when linked dynamically) their libraries. */
async function buildContext(line: EtcdImageLine, inputs: ImageInputs, dir: string): Promise<void> {
  await copyFile(join(dockerfileDir(line), "Dockerfile"), join(dir, "Dockerfile"));
  if (line === "3.6") {
    await copyFile(inputs.etcd, join(dir, "etcd"));
    await copyFile(inputs.etcdctl, join(dir, "etcdctl"));
    return;
  }
  const rootfs = join(dir, "rootfs");
  await copyInto(rootfs, inputs.etcd, "usr/local/bin/etcd");
  await copyInto(rootfs, inputs.etcdctl, "usr/local/bin/etcdctl");
  for (const bin of [inputs.etcd, inputs.etcdctl])
    for (const lib of await sharedLibraries(bin)) await copyInto(rootfs, lib, lib);
}

async function imageExists(image: string): Promise<boolean> {
  const { getContainerRuntimeClient, ImageName } = await testcontainers();
  const client = await getContainerRuntimeClient();
  return client.image.exists(ImageName.fromString(image));
}

/** A registry that does not answer at all must not stall a run: past this, the local build is used. */
const PULL_TIMEOUT_MS = Number(envVar("STORESHIFT_PULL_TIMEOUT_MS") ?? 120_000);

async function tryPull(image: string): Promise<boolean> {
  const { getContainerRuntimeClient, ImageName } = await testcontainers();
  const client = await getContainerRuntimeClient();
  try {
    await Promise.race([
      client.image.pull(ImageName.fromString(image)),
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`no answer within ${PULL_TIMEOUT_MS} ms`)),
          PULL_TIMEOUT_MS,
        ).unref(),
      ),
    ]);
    return true;
  } catch (err) {
    const reason = firstLine(errorMessage(err)).replace(/^\(HTTP code \d+\)\s*server error\s*-\s*/, "");
    log.info(`pull ${image}: ${reason.trim()}; using an image built from local binaries`);
    return false;
  }
}

const resolved = new Map<EtcdImageLine, Promise<EtcdImage>>();

/**
 * The etcd image for a line: STORESHIFT_ETCD_IMAGE / STORESHIFT_ETCD_V2_IMAGE when set; else the
 * official image when the engine has it or a registry serves it; else storeshift's own image, built
 * from the binaries it runs locally (the same etcd 3.6 build, Debian's 3.4.23) only when missing.
 */
export function ensureEtcdImage(line: EtcdImageLine): Promise<EtcdImage> {
  let pending = resolved.get(line);
  if (!pending) {
    pending = chooseEtcdImage(line);
    resolved.set(line, pending);
    pending.catch(() => resolved.delete(line));
  }
  return pending;
}

/**
 * An etcd image the engine already has for this line (the env override, the official image, or
 * storeshift's build of the pinned version), without pulling or building anything; for probes.
 */
export async function presentEtcdImage(line: EtcdImageLine): Promise<string | undefined> {
  const pinned = line === "3.6" ? versions.etcd : "3.4.23";
  const candidates = [envImage(line), officialEtcdImage(line), localEtcdImage(line, pinned)];
  for (const image of candidates) if (image && (await imageExists(image))) return image;
  return undefined;
}

async function chooseEtcdImage(line: EtcdImageLine): Promise<EtcdImage> {
  const fromEnv = envImage(line);
  if (fromEnv) return { image: fromEnv, source: "env" };
  const official = officialEtcdImage(line);
  if ((await imageExists(official)) || (await tryPull(official)))
    return { image: official, source: "official" };
  return buildLocalEtcdImage(line);
}

/** Builds storeshift/etcd:<version>[-debian] unless the engine already has it. */
export async function buildLocalEtcdImage(line: EtcdImageLine): Promise<EtcdImage> {
  const inputs = await imageInputs(line);
  const image = localEtcdImage(line, inputs.version);
  if (await imageExists(image)) return { image, source: "local" };
  const dir = await makeTempDir("image");
  try {
    const started = Date.now();
    await buildContext(line, inputs, dir);
    const { GenericContainer } = await testcontainers();
    // FROM scratch: nothing to pull and no RUN step, so the build needs no network
    await GenericContainer.fromDockerfile(dir).build(image, { deleteOnExit: false });
    log.info(`built image ${image} from local binaries in ${Date.now() - started} ms`);
    return { image, source: "local" };
  } catch (err) {
    throw new StoreshiftError(`build image ${image}: ${errorMessage(err).split("\n")[0]}`, { cause: err });
  } finally {
    await removeDir(dir);
  }
}

/**
 * The official release artefacts storeshift can download instead of building: where each lives
 * upstream, where it lives in a mirror, and how its SHA-256 is known. Pure data and URL arithmetic;
 * the IO is in download.ts.
 *
 * Mirror layout (`STORESHIFT_BINARY_MIRROR=https://host/path` or `file:///dir`), one folder per
 * project, below it the same path as upstream's below its release root:
 *
 *   <mirror>/etcd/v3.6.16/etcd-v3.6.16-linux-amd64.tar.gz
 *   <mirror>/etcd/v3.6.16/SHA256SUMS
 *   <mirror>/kubernetes/v1.37.2/bin/linux/amd64/kube-apiserver
 *   <mirror>/kubernetes/v1.37.2/bin/linux/amd64/kube-apiserver.sha256
 */

export type ReleaseTool = "etcd" | "kube-apiserver";

export interface ReleaseAsset {
  tool: ReleaseTool;
  version: string;
  /** Upstream's release root; the mirror's is `<mirror>/<project>`. */
  upstreamRoot: string;
  project: "etcd" | "kubernetes";
  /** Below the release root: the artefact itself. */
  path: string;
  /** `tar.gz`: an archive holding `members`; `binary`: the artefact is the one executable. */
  format: "tar.gz" | "binary";
  /** Archive member (or, for a bare binary, its file name) → the executable's name in the cache. */
  members: Record<string, string>;
  /**
   * How the expected SHA-256 is known: a hash written down here, or a checksum file published
   * beside the artefact (below the same root) and the name the artefact has in it.
   */
  checksum: { sha256: string } | { file: string; entry: string };
}

/**
 * SHA-256 values checked by hand against upstream's published checksums, by artefact file name.
 * Empty on purpose: the releases pinned by default (etcd 3.6.16, Kubernetes 1.37.2) could not be
 * fetched or cross-checked from where this was written, so their hash is read from the checksum file
 * that upstream publishes beside the artefact (etcd's SHA256SUMS, dl.k8s.io's `.sha256`), from the
 * same mirror. A pin added here takes precedence and no checksum file is fetched.
 */
export const PINNED_SHA256: Record<string, string> = {};

/** Go's names for the platforms both projects publish; undefined where they publish nothing we use. */
export function releasePlatform(
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
): { os: string; arch: string } | undefined {
  if (platform !== "linux") return undefined;
  const goArch = (
    { x64: "amd64", arm64: "arm64", ppc64: "ppc64le", s390x: "s390x" } as Record<string, string>
  )[arch];
  return goArch ? { os: "linux", arch: goArch } : undefined;
}

function withPin(file: string, fallback: { file: string; entry: string }): ReleaseAsset["checksum"] {
  const pinned = PINNED_SHA256[file];
  return pinned ? { sha256: pinned } : fallback;
}

export function etcdRelease(version: string, platform = releasePlatform()): ReleaseAsset | undefined {
  if (!platform) return undefined;
  const dir = `etcd-v${version}-${platform.os}-${platform.arch}`;
  const file = `${dir}.tar.gz`;
  return {
    tool: "etcd",
    version,
    upstreamRoot: "https://github.com/etcd-io/etcd/releases/download",
    project: "etcd",
    path: `v${version}/${file}`,
    format: "tar.gz",
    members: { [`${dir}/etcd`]: "etcd", [`${dir}/etcdctl`]: "etcdctl", [`${dir}/etcdutl`]: "etcdutl" },
    checksum: withPin(file, { file: `v${version}/SHA256SUMS`, entry: file }),
  };
}

export function kubeApiserverRelease(
  version: string,
  platform = releasePlatform(),
): ReleaseAsset | undefined {
  if (!platform) return undefined;
  const path = `v${version}/bin/${platform.os}/${platform.arch}/kube-apiserver`;
  return {
    tool: "kube-apiserver",
    version,
    upstreamRoot: "https://dl.k8s.io/release",
    project: "kubernetes",
    path,
    format: "binary",
    members: { "kube-apiserver": "kube-apiserver" },
    checksum: withPin(`kube-apiserver-v${version}-${platform.os}-${platform.arch}`, {
      file: `${path}.sha256`,
      entry: "kube-apiserver",
    }),
  };
}

/** The root URL an asset's paths hang from: the mirror's project folder, else upstream's root. */
export function releaseRoot(asset: ReleaseAsset, mirror: string | undefined): string {
  if (!mirror) return asset.upstreamRoot;
  return `${mirror.replace(/\/+$/, "")}/${asset.project}`;
}

export function assetUrl(asset: ReleaseAsset, mirror: string | undefined): string {
  return `${releaseRoot(asset, mirror)}/${asset.path}`;
}

export function checksumUrl(asset: ReleaseAsset, mirror: string | undefined): string | undefined {
  return "file" in asset.checksum ? `${releaseRoot(asset, mirror)}/${asset.checksum.file}` : undefined;
}

/**
 * Reads the expected hash for `entry` from a checksum file: either `sha256sum`'s format
 * (`<hex>  <name>` per line, `*` before the name in binary mode) or a bare hex digest (dl.k8s.io's
 * `.sha256`). A SHA256SUMS without the entry is an answer of "unknown", never "anything goes":
 * etcd has published incomplete SHA256SUMS before.
 */
export function parseChecksumFile(text: string, entry: string): string | undefined {
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  if (lines.length === 1 && /^[0-9a-fA-F]{64}$/.test(lines[0] ?? "")) return lines[0]?.toLowerCase();
  for (const line of lines) {
    const m = /^([0-9a-fA-F]{64})\s+\*?(?:\.\/)?(\S+)$/.exec(line);
    if (!m?.[1] || !m[2]) continue;
    const name = m[2];
    if (name === entry || name.endsWith(`/${entry}`)) return m[1].toLowerCase();
  }
  return undefined;
}

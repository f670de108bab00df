import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { chmod, mkdir, mkdtemp, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { Readable, pipeline as streamPipeline, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { moveIntoPlace } from "../common/atomic-write.js";
import { errorMessage, StoreshiftError } from "../common/errors.js";
import { log } from "../common/log.js";
import { cachedBinaryPath, cacheRoot } from "./cache.js";
import { probeVersion, type Tool } from "./locate.js";
import { assetUrl, checksumUrl, parseChecksumFile, type ReleaseAsset } from "./releases.js";

export type RefusalKind = "unreachable" | "missing" | "truncated" | "checksum" | "bad-artefact";

/**
 * A download that storeshift would not install. One line: the URL and why. `kind` lets the caller
 * treat a checksum mismatch (someone served the wrong bytes) differently from an unreachable host.
 */
export class DownloadRefused extends StoreshiftError {
  constructor(
    readonly url: string,
    readonly reason: string,
    readonly kind: RefusalKind,
  ) {
    super(`download ${url}: ${reason}`);
    this.name = "DownloadRefused";
  }
}

export interface DownloadOptions {
  /** `STORESHIFT_BINARY_MIRROR`: an http(s) or file URL with the layout of releases.ts. */
  mirror?: string;
  /** The cache root to install into (default: cacheRoot()); tests and the bench use their own. */
  root?: string;
  /** No response headers within this long: give up (refused connections and unknown hosts fail at once). */
  connectTimeoutMs?: number;
  /** No body bytes for this long: give up. */
  idleTimeoutMs?: number;
}

interface Opened {
  body: Readable;
  /** Content-Length when the server sent one; the file's size for file: URLs. */
  length?: number;
}

function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ""}`;
  return errorMessage(err);
}

/** Opens a URL for reading: http(s) through fetch with a connect deadline, file: from disk. */
async function open(url: string, options: DownloadOptions): Promise<Opened> {
  if (url.startsWith("file:")) {
    const path = fileURLToPath(url);
    try {
      const size = (await stat(path)).size;
      return { body: createReadStream(path), length: size };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new DownloadRefused(url, code === "ENOENT" ? "no such file" : errorMessage(err), "missing");
    }
  }
  const controller = new AbortController();
  const connectMs = options.connectTimeoutMs ?? 15_000;
  const timer = setTimeout(() => controller.abort(new Error(`no answer within ${connectMs} ms`)), connectMs);
  let response: Response;
  try {
    response = await fetch(url, { signal: controller.signal, redirect: "follow" });
  } catch (err) {
    const reason = controller.signal.aborted
      ? errorMessage(controller.signal.reason)
      : describeFetchError(err);
    throw new DownloadRefused(url, reason, "unreachable");
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    throw new DownloadRefused(url, `HTTP ${response.status} ${response.statusText}`.trim(), "missing");
  }
  const declared = response.headers.get("content-length");
  const length = declared !== null && /^\d+$/.test(declared) ? Number(declared) : undefined;
  const idleMs = options.idleTimeoutMs ?? 60_000;
  const guarded = idleGuard(idleMs);
  // web stream → node stream, through the guard: a stalled mirror cannot hang an install
  streamPipeline(
    Readable.fromWeb(response.body as Parameters<typeof Readable.fromWeb>[0]),
    guarded,
    (err) => {
      if (err) guarded.destroy(err);
    },
  );
  return { body: guarded, length };
}

/** A pass-through that fails when no bytes have come for `ms`. */
function idleGuard(ms: number): Transform {
  let timer: NodeJS.Timeout | undefined;
  const guard: Transform = new Transform({
    transform(chunk, _enc, done) {
      arm();
      done(null, chunk);
    },
    flush(done) {
      clearTimeout(timer);
      done();
    },
    destroy(err, done) {
      clearTimeout(timer);
      done(err);
    },
  });
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => guard.destroy(new Error(`no data for ${ms} ms`)), ms);
  };
  arm();
  return guard;
}

/** A small text file (a checksum list): at most 1 MiB, read whole. */
async function fetchText(url: string, options: DownloadOptions): Promise<string> {
  const { body } = await open(url, options);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      if (size > 1 << 20) throw new Error("larger than 1 MiB; not a checksum file");
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    body.destroy();
    throw new DownloadRefused(url, errorMessage(err), "truncated");
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Streams a URL into `file`, hashing as it goes; refuses a body shorter (or longer) than declared. */
async function downloadTo(
  url: string,
  file: string,
  options: DownloadOptions,
  what: string,
): Promise<{ sha256: string; bytes: number }> {
  const { body, length } = await open(url, options);
  const hash = createHash("sha256");
  let bytes = 0;
  let lastShown = Date.now();
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      if (Date.now() - lastShown > 10_000) {
        lastShown = Date.now();
        const total = length ? ` of ${(length / 1e6).toFixed(0)}` : "";
        log.info(`downloading ${what}: ${(bytes / 1e6).toFixed(0)}${total} MB`);
      }
      done(null, chunk);
    },
  });
  try {
    await pipeline(body, meter, createWriteStream(file, { mode: 0o600 }));
  } catch (err) {
    const got = length ? ` after ${bytes} of ${length} bytes` : ` after ${bytes} bytes`;
    throw new DownloadRefused(url, `body cut short${got}: ${errorMessage(err)}`, "truncated");
  }
  if (length !== undefined && bytes !== length)
    throw new DownloadRefused(url, `truncated: got ${bytes} of ${length} bytes`, "truncated");
  return { sha256: hash.digest("hex"), bytes };
}

async function expectedSha256(asset: ReleaseAsset, options: DownloadOptions): Promise<string> {
  if ("sha256" in asset.checksum) return asset.checksum.sha256.toLowerCase();
  const url = checksumUrl(asset, options.mirror) ?? "";
  const text = await fetchText(url, options);
  const sha = parseChecksumFile(text, asset.checksum.entry);
  if (!sha) throw new DownloadRefused(url, `no SHA-256 for ${asset.checksum.entry} in it`, "checksum");
  return sha;
}

async function extract(asset: ReleaseAsset, archive: string, into: string, url: string): Promise<void> {
  if (asset.format === "binary") {
    const [name] = Object.keys(asset.members);
    // within the private staging dir: nothing reads it until moveIntoPlace below
    await rename(archive, join(into, name ?? asset.tool));
    return;
  }
  const members = Object.keys(asset.members);
  const result = await execa("tar", ["-xzf", archive, "-C", into, "--", ...members], {
    reject: false,
    stdin: "ignore",
    all: true,
  });
  if (result.exitCode !== 0) {
    const tail = (result.all ?? "").trim().split("\n").slice(-2).join(" | ");
    throw new DownloadRefused(url, `tar -xzf failed (exit ${result.exitCode}): ${tail}`, "bad-artefact");
  }
}

/**
 * Downloads one official release into the binary cache: to a private directory beside the cache
 * entries, checked against its SHA-256, unpacked, made executable, asked for its version, and only
 * then renamed into `bin/<tool>-<version>/<tool>` (rename is atomic, so the cache never holds a
 * partial or unverified binary). Returns the installed paths by name. Every failure is a
 * DownloadRefused naming the URL; the private directory is always removed.
 */
export async function installRelease(
  asset: ReleaseAsset,
  options: DownloadOptions = {},
): Promise<Record<string, string>> {
  const root = options.root ?? cacheRoot();
  const url = assetUrl(asset, options.mirror);
  const binRoot = join(root, "bin");
  await mkdir(binRoot, { recursive: true });
  const staging = await mkdtemp(join(binRoot, `.download-${asset.tool}-${asset.version}-`));
  try {
    const started = Date.now();
    log.info(`downloading ${asset.tool} ${asset.version} from ${url}`);
    const expected = await expectedSha256(asset, options);
    const file = join(staging, basename(asset.path));
    const got = await downloadTo(url, file, options, `${asset.tool} ${asset.version}`);
    if (got.sha256 !== expected)
      throw new DownloadRefused(url, `SHA-256 mismatch: expected ${expected}, got ${got.sha256}`, "checksum");
    const unpacked = join(staging, "unpacked");
    await mkdir(unpacked);
    await extract(asset, file, unpacked, url);
    const ready: Array<{ from: string; to: string }> = [];
    for (const [member, name] of Object.entries(asset.members)) {
      const from = join(unpacked, asset.format === "binary" ? name : member);
      await chmod(from, 0o755).catch((err: unknown) => {
        throw new DownloadRefused(url, `${member} not in the artefact: ${errorMessage(err)}`, "bad-artefact");
      });
      const version = await probeVersion(name as Tool, from);
      if (version !== asset.version)
        throw new DownloadRefused(
          url,
          `${name} reports version ${version ?? "(none)"}, expected ${asset.version}`,
          "bad-artefact",
        );
      ready.push({ from, to: cachedBinaryPath(name, asset.version, root) });
    }
    for (const { from, to } of ready) {
      await mkdir(dirname(to), { recursive: true });
      // staging is beside the cache entries (one filesystem), so this is a rename of a whole file
      await moveIntoPlace(from, to);
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    log.info(
      `installed ${asset.tool} ${asset.version} (${(got.bytes / 1e6).toFixed(1)} MB, SHA-256 ${expected.slice(0, 12)}…) in ${seconds} s`,
    );
    return Object.fromEntries(ready.map(({ to }) => [basename(to), to]));
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

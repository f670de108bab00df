import { randomBytes } from "node:crypto";
import { mkdtemp, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** What `writeFileAtomic` accepts: the whole content, or its pieces in order (a Readable is one). */
export type AtomicData =
  | string
  | Uint8Array
  | Iterable<string | Uint8Array>
  | AsyncIterable<string | Uint8Array>;

/** Appends one piece to the temp file; resolves once the bytes are handed to the kernel. */
export type AtomicWriter = (chunk: string | Uint8Array) => Promise<void>;

export interface AtomicWriteOptions {
  /** File mode of the new file (default 0o644 less the umask); results naming keys pass 0o600. */
  mode?: number;
}

/**
 * A sibling of `path`, so the final rename stays on one filesystem (rename across filesystems is
 * not atomic, it fails with EXDEV). Hidden and unique per call: concurrent writers never share one.
 */
export function tempSibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString("hex")}.partial`);
}

/** Best effort: makes a rename durable across a crash; some filesystems refuse fsync on a directory. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r").catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close().catch(() => undefined);
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes a file whole or not at all. Readers of `path` see either what was there before or the
 * complete new content, never a part: the bytes go to a temp sibling, are fsynced, then renamed over
 * `path`. On any error (a throwing producer, a stream that errors, a full disk) the temp file is
 * removed and the error is rethrown unchanged, so the caller's message can name its operation.
 *
 * `produce` gets a writer and may stream any amount: nothing is buffered here beyond one chunk.
 * Concurrent calls on one path are safe; the last rename wins, and its content is whole.
 */
export async function writeFileAtomicWith<T>(
  path: string,
  produce: (write: AtomicWriter) => Promise<T>,
  options: AtomicWriteOptions = {},
): Promise<T> {
  const tmp = tempSibling(path);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(tmp, "wx", options.mode ?? 0o644);
    const h = handle;
    const result = await produce(async (chunk) => {
      // one write(2) may take fewer bytes than given; loop until the kernel has them all
      const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
      let offset = 0;
      while (offset < bytes.length) {
        const { bytesWritten } = await h.write(bytes, offset, bytes.length - offset, null);
        offset += bytesWritten;
      }
    });
    await h.sync();
    await h.close();
    handle = undefined;
    await rename(tmp, path);
    await syncDir(dirname(path));
    return result;
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
}

/** `writeFileAtomicWith` for content already in hand or arriving as (async) pieces. */
export async function writeFileAtomic(
  path: string,
  data: AtomicData,
  options: AtomicWriteOptions = {},
): Promise<void> {
  await writeFileAtomicWith(
    path,
    async (write) => {
      if (typeof data === "string" || data instanceof Uint8Array) {
        await write(data);
        return;
      }
      for await (const chunk of data) await write(chunk);
    },
    options,
  );
}

/**
 * For a file another program writes (`go build -o`, `tar -czf`, `etcdctl snapshot save`): `produce`
 * gets a temp sibling path to write to; once it resolves the file is fsynced and renamed over `path`.
 * If it throws, or leaves no file, the temp path is removed and `path` is untouched.
 */
export async function writeFileAtomicVia<T>(path: string, produce: (tmp: string) => Promise<T>): Promise<T> {
  const tmp = tempSibling(path);
  try {
    const result = await produce(tmp);
    await syncFile(tmp);
    await rename(tmp, path);
    await syncDir(dirname(path));
    return result;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Fills a directory whole or not at all: `produce` gets a fresh temp sibling directory, which is then
 * renamed to `dir`. `dir` must not exist (renaming onto a non-empty directory fails); if another
 * writer got there first, the error is rethrown (code ENOTEMPTY or EEXIST) and the caller may use
 * theirs. The temp directory is removed on any error.
 */
export async function writeDirAtomic<T>(dir: string, produce: (tmpDir: string) => Promise<T>): Promise<T> {
  const tmp = await mkdtemp(join(dirname(dir), `.${basename(dir)}.${process.pid}-`));
  try {
    const result = await produce(tmp);
    await rename(tmp, dir);
    await syncDir(dirname(dir));
    return result;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Moves a finished file (from a private staging dir on the same filesystem) to `to`, fsynced first,
 * so `to` is never a partial file. Replaces what `to` held.
 */
export async function moveIntoPlace(from: string, to: string): Promise<void> {
  await syncFile(from);
  await rename(from, to);
  await syncDir(dirname(to));
}

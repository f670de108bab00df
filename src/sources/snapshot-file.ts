import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { InputError } from "../common/errors.js";
import { fsReason } from "./fs-reason.js";

/**
 * What an etcd v3 snapshot file is made of: a bbolt database, and (when `etcdctl snapshot save`
 * wrote it) a SHA-256 of the database appended. Checked in full before anything is restored, so a
 * truncated or foreign file is refused in one line instead of half-restored.
 */
export const BOLT_MAGIC = 0xed0cdaed;
const HASH_BYTES = 32;
/** bbolt's page header is 16 bytes; the meta page's fields follow it. */
const META_OFFSET = 16;

export interface SnapshotFileInfo {
  size: number;
  pageSize: number;
  /** True when the file ends in the SHA-256 `snapshot save` appends (and it matched). */
  hasHash: boolean;
}

interface Meta {
  magic: number;
  version: number;
  pageSize: number;
  /** The high-water page id: every page below it is inside the database file. */
  pgid: bigint;
}

function readMeta(page: Buffer): Meta {
  return {
    magic: page.readUInt32LE(META_OFFSET),
    version: page.readUInt32LE(META_OFFSET + 4),
    pageSize: page.readUInt32LE(META_OFFSET + 8),
    pgid: page.readBigUInt64LE(META_OFFSET + 40),
  };
}

/** True when the first bytes are a bbolt meta page: used to tell a snapshot from other files. */
export function looksLikeBolt(head: Buffer): boolean {
  return head.length >= META_OFFSET + 8 && head.readUInt32LE(META_OFFSET) === BOLT_MAGIC;
}

/** Reads the whole file once (streamed through the hash), and refuses it if it cannot be a whole snapshot. */
export async function checkSnapshotFile(file: string): Promise<SnapshotFileInfo> {
  const refuse = (why: string) => new InputError(`etcd snapshot ${file}: ${why}`);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, "r");
  } catch (err) {
    throw refuse(fsReason(err));
  }
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    if (!looksLikeBolt(head.subarray(0, bytesRead)))
      throw refuse("not an etcd v3 snapshot (no bbolt header at byte 16)");
    const meta = readMeta(head);
    if (meta.version !== 2 || meta.pageSize < 512 || meta.pageSize > 65536)
      throw refuse(
        `bbolt header version ${meta.version}, page size ${meta.pageSize}: not a snapshot etcd writes`,
      );
    const hasHash = size % 512 === HASH_BYTES;
    const dbSize = hasHash ? size - HASH_BYTES : size;
    if (dbSize % meta.pageSize !== 0)
      throw refuse(`truncated: ${size} bytes is not whole ${meta.pageSize}-byte pages (plus a hash)`);
    // the second meta page may be the newer one: the file must hold the larger high-water mark
    const second = Buffer.alloc(META_OFFSET + 48);
    await handle.read(second, 0, second.length, meta.pageSize);
    const meta2 = readMeta(second);
    const pages = meta2.magic === BOLT_MAGIC && meta2.pgid > meta.pgid ? meta2.pgid : meta.pgid;
    const needed = pages * BigInt(meta.pageSize);
    if (BigInt(dbSize) < needed)
      throw refuse(`truncated: the database needs ${needed} bytes, the file holds ${dbSize}`);
    if (hasHash) {
      const hash = createHash("sha256");
      const chunk = Buffer.alloc(1 << 20);
      for (let pos = 0; pos < dbSize; ) {
        const n = Math.min(chunk.length, dbSize - pos);
        const { bytesRead: got } = await handle.read(chunk, 0, n, pos);
        if (got === 0) throw refuse(`short read at byte ${pos}`);
        hash.update(chunk.subarray(0, got));
        pos += got;
      }
      const tail = Buffer.alloc(HASH_BYTES);
      await handle.read(tail, 0, HASH_BYTES, dbSize);
      if (!hash.digest().equals(tail))
        throw refuse("the SHA-256 at its end does not match its contents (corrupt or truncated)");
    }
    return { size, pageSize: meta.pageSize, hasHash };
  } finally {
    await handle.close();
  }
}

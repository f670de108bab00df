import { readdir, readFile, readlink, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { InputError } from "../common/errors.js";
import { lockHolders } from "../etcd-v2v3/offline.js";
import { fsReason } from "./fs-reason.js";

/**
 * An etcd member's data dir handed in by a user: checked to be one, and not in use, before it is
 * copied. Only the copy is ever started or migrated.
 */
export interface DataDirInfo {
  /** The dir that holds `member/`. */
  dataDir: string;
  db: string;
  walFiles: string[];
}

async function isDir(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/** PIDs of processes whose command line or working dir names this data dir (a live member). */
export async function processesUsing(dataDir: string): Promise<number[]> {
  const abs = resolve(dataDir);
  const pids: number[] = [];
  const entries = await readdir("/proc").catch(() => [] as string[]);
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    const args = cmdline.split("\0");
    if (!/(^|\/)etcd$/.test(args[0] ?? "")) continue;
    const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => "");
    const named = args.some((a, i) => {
      const value = a.startsWith("--data-dir=") ? a.slice(11) : args[i - 1] === "--data-dir" ? a : undefined;
      return value !== undefined && resolve(cwd || "/", value) === abs;
    });
    if (named) pids.push(Number(entry));
  }
  return pids;
}

/** Refuses anything that is not a stopped member's data dir, in one line naming the dir. */
export async function checkDataDir(dir: string): Promise<DataDirInfo> {
  const refuse = (why: string) => new InputError(`etcd data directory ${dir}: ${why}`);
  const s = await stat(dir).catch((err: unknown) => {
    throw refuse(fsReason(err));
  });
  if (!s.isDirectory()) throw refuse("not a directory");
  const dataDir = resolve(dir);
  if (!(await isDir(join(dataDir, "member"))))
    throw refuse("no member/ inside: not an etcd data directory (give the dir passed as --data-dir)");
  const db = join(dataDir, "member", "snap", "db");
  if (!(await stat(db).catch(() => undefined))?.isFile()) throw refuse("no member/snap/db");
  const walDir = join(dataDir, "member", "wal");
  const walFiles = (await readdir(walDir).catch(() => [] as string[]))
    .filter((f) => f.endsWith(".wal"))
    .map((f) => join(walDir, f));
  if (walFiles.length === 0) throw refuse("no WAL files in member/wal");
  // a running member holds flocks on its db and WAL files; a copy taken under it could be torn
  const holders = new Set<number>();
  for (const file of [db, ...walFiles]) for (const pid of await lockHolders(file)) holders.add(pid);
  for (const pid of await processesUsing(dataDir)) holders.add(pid);
  if (holders.size > 0)
    throw refuse(
      `in use by a running etcd (pid ${[...holders].join(", ")}); stop the member or take an \`etcdctl snapshot save\``,
    );
  return { dataDir, db, walFiles };
}

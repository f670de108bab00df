import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { StoreshiftError } from "../common/errors.js";
import { log } from "../common/log.js";

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else; it still holds the lock
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function holderOf(lockPath: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(lockPath, "utf8")).trim(), 10);
    return Number.isFinite(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `work` while holding an exclusive lock file next to a build directory.
 *
 * Why: builds share one directory per tool and version (go.mod is rewritten, go.sum removed), so two
 * storeshift processes building the same binary at once corrupt each other's build. The lock holds the
 * owner's PID; a lock whose owner has died is stale and taken over, so a killed build never wedges
 * later ones.
 */
export async function withBuildLock<T>(
  lockPath: string,
  what: string,
  work: () => Promise<T>,
  options: { pollMs?: number; timeoutMs?: number } = {},
): Promise<T> {
  const pollMs = options.pollMs ?? 2000;
  const deadline = Date.now() + (options.timeoutMs ?? 60 * 60_000);
  await mkdir(dirname(lockPath), { recursive: true });
  // the PID is written to a private file first and linked into place, so the lock is never seen empty
  const mine = `${lockPath}.${process.pid}.${randomBytes(4).toString("hex")}`;
  await writeFile(mine, `${process.pid}\n`);
  let announced = false;
  try {
    for (;;) {
      try {
        await link(mine, lockPath);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const holder = await holderOf(lockPath);
      if (holder === undefined || !isAlive(holder)) {
        await rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new StoreshiftError(
          `${what}: waited too long for the build lock ${lockPath} (held by pid ${holder})`,
        );
      if (!announced) {
        log.info(`${what}: another storeshift (pid ${holder}) is building it; waiting for ${lockPath}`);
        announced = true;
      }
      await sleep(pollMs);
    }
  } finally {
    await rm(mine, { force: true });
  }
  try {
    return await work();
  } finally {
    await rm(lockPath, { force: true });
  }
}

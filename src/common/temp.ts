import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { envVar } from "./environment.js";

/** Every temp dir storeshift makes starts with this, so leak tests can count them. */
export const TEMP_PREFIX = "storeshift-";

export function tempRoot(): string {
  return envVar("STORESHIFT_TMPDIR") ?? tmpdir();
}

/** A private (0700) temp dir; mkdtemp creates it with that mode. */
export async function makeTempDir(purpose: string): Promise<string> {
  return mkdtemp(join(tempRoot(), `${TEMP_PREFIX}${purpose}-`));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

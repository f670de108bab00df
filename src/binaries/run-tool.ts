import { execa } from "execa";
import { envVar } from "../common/environment.js";

/** Runs a helper tool and returns trimmed stdout, or undefined when it is missing or fails. */
export async function tryOutput(
  command: string,
  args: string[],
  timeoutMs = 15_000,
): Promise<string | undefined> {
  try {
    const result = await execa(command, args, { timeout: timeoutMs, reject: false, stdin: "ignore" });
    if (result.exitCode !== 0 || result.failed) return undefined;
    return `${result.stdout}\n${result.stderr}`.trim();
  } catch {
    return undefined;
  }
}

/** Finds `name` on PATH without running a shell. */
export async function which(name: string): Promise<string | undefined> {
  const { access, constants } = await import("node:fs/promises");
  const { join, delimiter } = await import("node:path");
  for (const dir of (envVar("PATH") ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

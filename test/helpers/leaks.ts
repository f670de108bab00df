import { readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { TEMP_PREFIX } from "../../src/common/temp.js";

/** PIDs of processes whose command line names one of `executables` (from /proc, no ps needed). */
export function processesRunning(executables: string[]): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0")[0] ?? "";
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      if (state === "Z") continue;
      if (executables.some((e) => cmd === e || cmd.endsWith(`/${e}`))) found.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

export function storeshiftTempDirs(root = tmpdir()): string[] {
  return readdirSync(root).filter((d) => d.startsWith(TEMP_PREFIX));
}

/** TCP ports in LISTEN state on this machine, from /proc/net/tcp{,6}. */
export function listeningPorts(): Set<number> {
  const ports = new Set<number>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === "0A" && cols[1]) ports.add(Number.parseInt(cols[1].split(":")[1] ?? "0", 16));
    }
  }
  return ports;
}

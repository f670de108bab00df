import { spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import { cachedBinaryPath, cacheRoot } from "../binaries/cache.js";
import { requireBinary } from "../binaries/install.js";
import { isMissing, locate } from "../binaries/locate.js";
import { tryOutput } from "../binaries/run-tool.js";
import { environment } from "../common/environment.js";
import { StoreshiftError } from "../common/errors.js";
import { sleep } from "../common/wait.js";
import type { EtcdMember, StartedLocalEtcd } from "../providers/etcd/local-etcd.js";

/**
 * The real `etcdctl migrate` run the way upstream documents it, with none of storeshift's guards
 * (no pre-checks, no backups, no success-line check): what an upstream case says the tool does is
 * observed here, not assumed. Only a hard timeout is added, so a hang is an observation, not a stuck run.
 */

export interface ToolRun {
  member: string;
  args: string[];
  /** null when it had not exited by the timeout (it was then killed). */
  exitCode: number | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface EtcdctlBinary {
  path: string;
  version: string;
}

/** `etcdctl version` of a binary, e.g. "3.4.23". */
export async function etcdctlVersion(path: string): Promise<string> {
  const out = await tryOutput(path, ["version"], 10_000);
  const version = out?.match(/etcdctl version:\s*(\d+\.\d+\.\d+)/)?.[1];
  if (!version) throw new StoreshiftError(`etcdctl version of ${path}: no version in its output`);
  return version;
}

/** Debian's etcdctl 3.4 (the last with `migrate`). */
export async function etcdctl34(): Promise<EtcdctlBinary> {
  const path = (await requireBinary("etcdctl-v2")).path;
  return { path, version: await etcdctlVersion(path) };
}

/** etcdctl of the current line (3.6), or the reason it is not on this machine. */
export async function etcdctlCurrent(): Promise<EtcdctlBinary | { missing: string }> {
  const found = await locate("etcdctl");
  if (isMissing(found)) return { missing: found.reason };
  return { path: found.path, version: await etcdctlVersion(found.path) };
}

/**
 * etcdctl of another minor line (e.g. "3.5") from storeshift's binary cache (`etcdctl-3.5.x/`), as
 * another suite may have built it; the highest patch wins. Never built here.
 */
export async function etcdctlOfLine(line: string): Promise<EtcdctlBinary | { missing: string }> {
  const bin = `${cacheRoot()}/bin`;
  let names: string[] = [];
  try {
    names = await readdir(bin);
  } catch {
    // no cache yet
  }
  const versions = names
    .map((n) => n.match(/^etcdctl-(\d+\.\d+\.\d+)$/)?.[1])
    .filter((v): v is string => v?.startsWith(`${line}.`) === true)
    .sort((a, b) => Number(b.split(".")[2]) - Number(a.split(".")[2]));
  const version = versions[0];
  if (!version)
    return {
      missing: `no etcdctl ${line}.x in ${bin} (this machine has none; storeshift does not build it)`,
    };
  const path = cachedBinaryPath("etcdctl", version);
  return { path, version: await etcdctlVersion(path) };
}

/** One `ETCDCTL_API=3 etcdctl <args>` with a hard timeout; never throws for the tool's own failure. */
export async function runTool(
  etcdctl: string,
  args: string[],
  options: { member?: string; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<ToolRun> {
  const started = Date.now();
  const child = spawn(etcdctl, args, {
    env: { ...environment(), ETCDCTL_API: "3", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString("utf8");
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString("utf8");
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }, options.timeoutMs ?? 60_000);
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve(code));
  }).finally(() => clearTimeout(timer));
  return {
    member: options.member ?? "",
    args,
    exitCode: timedOut ? null : exitCode,
    timedOut,
    stdout,
    stderr,
    durationMs: Date.now() - started,
  };
}

/** `etcdctl migrate` on one member's dirs, as the upstream guide has it. */
export function migrateMember(
  etcdctl: string,
  member: { name: string; info: { dataDir: string; walDir: string } },
  options: { noTtl?: boolean; transformer?: string; dataDir?: string; timeoutMs?: number } = {},
): Promise<ToolRun> {
  const args = [
    "migrate",
    `--data-dir=${options.dataDir ?? member.info.dataDir}`,
    `--wal-dir=${options.dataDir ? `${options.dataDir}/member/wal` : member.info.walDir}`,
  ];
  if (options.noTtl) args.push("--no-ttl");
  if (options.transformer) args.push(`--transformer=${options.transformer}`);
  return runTool(etcdctl, args, { member: member.name, timeoutMs: options.timeoutMs });
}

export interface InPlaceMigration {
  runs: ToolRun[];
  /** Members that did not come back healthy, with why. */
  startFailures: string[];
}

/**
 * The guide's offline procedure with the bare tool: stop every member (`staggerMs` apart, in member
 * order), run `etcdctl migrate` on each data dir, then start all members together (a member alone
 * has no quorum) and wait for their health. Failures of the tool are returned, never thrown.
 */
export async function migrateInPlace(
  cluster: StartedLocalEtcd,
  options: { etcdctl: string; noTtl?: boolean; transformer?: string; staggerMs?: number },
): Promise<InPlaceMigration> {
  for (const [i, m] of cluster.members.entries()) {
    if (i > 0 && options.staggerMs) await sleep(options.staggerMs);
    if (m.running) await m.stop();
  }
  const runs: ToolRun[] = [];
  for (const m of cluster.members)
    runs.push(
      await migrateMember(options.etcdctl, m, { noTtl: options.noTtl, transformer: options.transformer }),
    );
  return { runs, startFailures: await startAll(cluster.members) };
}

/** Starts stopped members together and waits for each; returns the ones that failed and why. */
export async function startAll(members: EtcdMember[]): Promise<string[]> {
  const starting = members.filter((m) => !m.running);
  for (const m of starting) m.spawn();
  const results = await Promise.allSettled(starting.map((m) => m.waitHealthy()));
  return results.flatMap((r, i) =>
    r.status === "rejected" ? [`${starting[i]?.name}: ${(r.reason as Error).message}`] : [],
  );
}

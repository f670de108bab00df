import { spawn } from "node:child_process";
import { access, cp, readdir, readFile, rm, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { requireBinary } from "../binaries/install.js";
import { isMissing, locate } from "../binaries/locate.js";
import { tryOutput } from "../binaries/run-tool.js";
import { throwIfAborted } from "../common/attempt.js";
import { environment } from "../common/environment.js";
import { errorMessage, StoreshiftError, wrapError } from "../common/errors.js";
import { etcdClient } from "../common/etcd-client.js";
import { log } from "../common/log.js";
import { makeTempDir } from "../common/temp.js";
import { sleep } from "../common/wait.js";
import type { Difference } from "../diff/types.js";
import { type EtcdMember, isHealthy, type StartedLocalEtcd } from "../providers/etcd/local-etcd.js";
import { expectedV3FromV2, normalisePrefix } from "./expected.js";
import { type V2Node, type V2Tree, walkTree } from "./tree.js";
import { readV2Index, readV2Tree } from "./v2-client.js";
import { countV3, hashKvAll, type MemberHash, memberStatus, readV3Range } from "./v3.js";
import { compareHashes, compareV2Trees, compareV3, verifyMigration } from "./verify.js";

/** The located etcdctl <= 3.4; when that fails but a newer one exists, says why it will not do. */
async function locateMigrateEtcdctl(): Promise<string> {
  try {
    return (await requireBinary("etcdctl-v2")).path;
  } catch (err) {
    const newer = await locate("etcdctl");
    if (isMissing(newer)) throw err;
    throw new StoreshiftError(
      `etcdctl migrate: only etcdctl ${newer.version} (${newer.path}) is available, which has no \`migrate\` ` +
        "command (removed in etcd 3.5); install etcdctl 3.4.x (Debian's etcd-client 3.4.23) or set STORESHIFT_ETCDCTL_V2",
      { cause: err },
    );
  }
}

/** The `etcdctl` that still has `migrate` (etcd <= 3.4), or a one-line reason why the given one does not. */
export async function resolveMigrateEtcdctl(path?: string): Promise<{ path: string; version: string }> {
  const binary = path ?? (await locateMigrateEtcdctl());
  const out = await tryOutput(binary, ["version"], 10_000);
  const version = out?.match(/etcdctl version:\s*(\d+\.\d+\.\d+)/)?.[1];
  if (!version) throw new StoreshiftError(`etcdctl migrate: ${binary} did not report an etcdctl version`);
  const [major = 0, minor = 0] = version.split(".").map(Number);
  if (major !== 3 || minor >= 5) {
    throw new StoreshiftError(
      `etcdctl migrate: ${binary} is etcdctl ${version}, which has no \`migrate\` command ` +
        "(removed in etcd 3.5); use etcdctl 3.4.x, e.g. Debian's etcd-client 3.4.23, or pass --etcdctl",
    );
  }
  return { path: binary, version };
}

/** PIDs holding a lock on `file` (bbolt flocks member/snap/db while etcd or etcdctl has it open). */
export async function lockHolders(file: string): Promise<number[]> {
  let inode: number;
  try {
    inode = (await stat(file)).ino;
  } catch {
    return [];
  }
  let text: string;
  try {
    text = await readFile("/proc/locks", "utf8");
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const line of text.split("\n")) {
    const m = line.match(/^\d+:\s+(?:->\s+)?\S+\s+\S+\s+\S+\s+(-?\d+)\s+[0-9a-f]+:[0-9a-f]+:(\d+)\s/);
    if (m && Number(m[2]) === inode) pids.push(Number(m[1]));
  }
  return pids;
}

/** Refuses to touch a data dir a running etcd (or anything else) holds: `etcdctl migrate` would block. */
export async function assertMemberStopped(dataDir: string, member?: EtcdMember): Promise<void> {
  if (member?.running) {
    throw new StoreshiftError(
      `etcdctl migrate on ${dataDir}: member ${member.name} is running (pid ${member.pid}); stop it first`,
    );
  }
  const db = join(dataDir, "member", "snap", "db");
  const holders = await lockHolders(db);
  if (holders.length > 0) {
    throw new StoreshiftError(
      `etcdctl migrate on ${dataDir}: ${db} is locked by pid ${holders.join(", ")} (a running etcd?); ` +
        "migrate only works on a stopped member",
    );
  }
}

export interface EtcdctlMigrateRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** Peak RSS of the etcdctl process, from /usr/bin/time -v when available. */
  maxRssKb?: number;
}

const WAITING_FOR_LOCK = "waiting for etcd to close";

/**
 * Runs `ETCDCTL_API=3 etcdctl migrate` once on a stopped member's dirs. If it starts waiting for a
 * lock (a member is running after all), it is killed and the run refused, instead of hanging.
 */
export async function runEtcdctlMigrate(options: {
  etcdctl: string;
  dataDir: string;
  walDir?: string;
  noTtl?: boolean;
  transformer?: string;
  timeoutMs?: number;
  measureMemory?: boolean;
  /** Kills etcdctl's process group when it aborts (a cancelled migration). */
  signal?: AbortSignal;
}): Promise<EtcdctlMigrateRun> {
  throwIfAborted(options.signal, `etcdctl migrate --data-dir=${options.dataDir}`);
  const args = ["migrate", `--data-dir=${options.dataDir}`];
  if (options.walDir) args.push(`--wal-dir=${options.walDir}`);
  if (options.noTtl) args.push("--no-ttl");
  if (options.transformer) args.push(`--transformer=${options.transformer}`);
  let command = options.etcdctl;
  let timeArgs: string[] = [];
  if (options.measureMemory) {
    try {
      await access("/usr/bin/time");
      command = "/usr/bin/time";
      timeArgs = ["-v", options.etcdctl];
    } catch {
      // no GNU time: run without the peak-memory figure
    }
  }
  const started = Date.now();
  const child = spawn(command, [...timeArgs, ...args], {
    env: { ...environment(), ETCDCTL_API: "3" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let stdout = "";
  let stderr = "";
  let refused = "";
  const killGroup = () => {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
    if (!refused && stderr.includes(WAITING_FOR_LOCK)) {
      refused = "it waited for the data dir's lock: a member is running on it";
      killGroup();
    }
  });
  const timer = setTimeout(() => {
    refused = `no result after ${options.timeoutMs ?? 600_000} ms`;
    killGroup();
  }, options.timeoutMs ?? 600_000);
  const onAbort = () => {
    refused = `cancelled (${errorMessage(options.signal?.reason)})`;
    killGroup();
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const exitCode = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve(code ?? -1));
  }).finally(() => {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  });
  if (refused)
    throw new StoreshiftError(`etcdctl migrate --data-dir=${options.dataDir}: refused: ${refused}`);
  const rss = stderr.match(/Maximum resident set size \(kbytes\):\s*(\d+)/);
  return {
    exitCode,
    stdout,
    stderr,
    durationMs: Date.now() - started,
    maxRssKb: rss ? Number(rss[1]) : undefined,
  };
}

/** The outcome words `etcdctl migrate` prints when it worked; rc 0 alone is not enough (see docs). */
export function migrateSucceeded(run: Pick<EtcdctlMigrateRun, "exitCode" | "stdout">): boolean {
  return (
    run.exitCode === 0 &&
    (run.stdout.includes("finished transforming keys") || run.stdout.includes("no v2 keys to migrate"))
  );
}

export interface MemberBackup {
  member: string;
  dataDir: string;
  walDir: string;
  backupDir: string;
  /** Set when the WAL lives outside the data dir and was copied separately. */
  walBackupDir?: string;
  /** Raft index of the newest `.snap` in the backup (0 = none), for the restore-trap check. */
  snapIndex: number;
  takenAt: string;
}

/** Highest raft index among `member/snap/<term>-<index>.snap` files; 0 when there is none. */
export async function latestSnapIndex(dataDir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(join(dataDir, "member", "snap"));
  } catch {
    return 0;
  }
  let max = 0;
  for (const name of names) {
    const m = name.match(/^[0-9a-f]{16}-([0-9a-f]{16})\.snap$/);
    if (m?.[1]) max = Math.max(max, Number.parseInt(m[1], 16));
  }
  return max;
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel !== "" && !rel.startsWith("..");
}

/** Copies a stopped member's data dir (and an outside WAL dir) to `backupRoot/<member>`. */
export async function backupMember(
  member: { name: string; dataDir: string; walDir: string },
  backupRoot: string,
): Promise<MemberBackup> {
  const backupDir = join(backupRoot, member.name);
  await cp(member.dataDir, backupDir, {
    recursive: true,
    preserveTimestamps: true,
    errorOnExist: true,
    force: false,
  });
  let walBackupDir: string | undefined;
  if (!isInside(member.walDir, member.dataDir)) {
    walBackupDir = join(backupRoot, `${member.name}.wal`);
    await cp(member.walDir, walBackupDir, { recursive: true, preserveTimestamps: true });
  }
  return {
    member: member.name,
    dataDir: member.dataDir,
    walDir: member.walDir,
    backupDir,
    walBackupDir,
    snapIndex: await latestSnapIndex(backupDir),
    takenAt: new Date().toISOString(),
  };
}

/** What `etcdctl migrate` said when it failed, in one line: its `Error…` line, else its last line. */
export function migrateFailure(run: Pick<EtcdctlMigrateRun, "exitCode" | "stdout" | "stderr">): string {
  const said = (
    run.stderr
      .trim()
      .split("\n")
      .find((l) => l.startsWith("Error")) ??
    run.stdout.trim().split("\n").pop() ??
    ""
  ).trim();
  return `etcdctl migrate exit ${run.exitCode}: ${said}`;
}

/** One member of an offline roll: its dirs; the roll stops and starts it where it has a process. */
export interface StoppedMemberDirs {
  name: string;
  dataDir: string;
  walDir: string;
}

/**
 * The per-member step of every offline roll (the library's over a running cluster and the CLI's over
 * dirs the operator stopped): refuse a running member, back its dirs up, run `etcdctl migrate`.
 * Nothing after the backup throws: a failed or cancelled run comes back as `failure`, with the
 * backup, so the caller can restore it first.
 */
export async function backupAndMigrateMember(
  member: StoppedMemberDirs,
  options: {
    etcdctl: string;
    backupRoot: string;
    /** Passed to etcdctl only when the member's WAL is outside its data dir. */
    walDirFlag?: string;
    running?: EtcdMember;
    noTtl?: boolean;
    transformer?: string;
    measureMemory?: boolean;
    signal?: AbortSignal;
  },
): Promise<{ backup: MemberBackup; backupMs: number; run?: EtcdctlMigrateRun; failure?: Error }> {
  await assertMemberStopped(member.dataDir, options.running);
  const t = Date.now();
  const backup = await backupMember(member, options.backupRoot);
  const backupMs = Date.now() - t;
  try {
    const run = await runEtcdctlMigrate({
      etcdctl: options.etcdctl,
      dataDir: member.dataDir,
      walDir: options.walDirFlag,
      noTtl: options.noTtl,
      transformer: options.transformer,
      measureMemory: options.measureMemory,
      signal: options.signal,
    });
    if (!migrateSucceeded(run))
      return { backup, backupMs, run, failure: new StoreshiftError(migrateFailure(run), { exitCode: 1 }) };
    return { backup, backupMs, run };
  } catch (err) {
    return { backup, backupMs, failure: err instanceof Error ? err : new Error(String(err)) };
  }
}

export interface OfflineMigrationOptions {
  noTtl?: boolean;
  /** An external `--transformer` program; storeshift cannot know its mapping (see `transformerPrefix`). */
  transformer?: string;
  /**
   * The prefix the transformer puts before each v2 key, if that is all it does: then the v3 content is
   * verified as usual. Without it a transformer run is checked for etcdctl's outcome, hashkv equality
   * across members and an unchanged v2 tree only.
   */
  transformerPrefix?: string;
  /** Path of an etcdctl <= 3.4; default: the located `etcdctl-v2` tool. */
  etcdctl?: string;
  /** Where member backups go; default a new temp dir (kept: the caller owns it). */
  backupRoot?: string;
  /**
   * Refuse when a v2 TTL node expires sooner than this (default 5 min): members migrated at different
   * raft indexes would disagree about it (etcd-io/etcd#8305).
   */
  ttlSafetyMs?: number;
  healthTimeoutMs?: number;
  measureMemory?: boolean;
  /** Cancels the roll: no member is stopped or migrated after it aborts; a running etcdctl is killed. */
  signal?: AbortSignal;
}

export interface MemberMigration {
  member: string;
  stopMs: number;
  backupMs: number;
  migrateMs: number;
  startMs: number;
  exitCode: number;
  /** etcdctl's last stdout line (`finished transforming keys` or `no v2 keys to migrate`). */
  outcome: string;
  maxRssKb?: number;
  /** v3 on this member right after its restart. */
  v3Keys: number;
  v3Revision: number;
  /** Members not yet migrated at that point still had an empty v3 store. */
  v3KeysOnOthers: number[];
}

export interface OfflineMigrationResult {
  kind: "offline";
  startedAt: string;
  durationMs: number;
  etcdctl: { path: string; version: string };
  options: { noTtl: boolean; transformer?: string; transformerPrefix?: string };
  v2Index: number;
  expectedKeys: number;
  members: MemberMigration[];
  backups: MemberBackup[];
  backupRoot: string;
  hashkv: MemberHash[];
  /** From the final verification; empty means the migration is verified on the members that served. */
  discrepancies: Difference[];
  /**
   * Members down (or not answering) at the final verification: each was verified right after its own
   * migration, but is missing from the final hashkv; verify again once they are back.
   */
  unverifiedMembers: string[];
}

/** Members that answer /health now (a killed or paused one does not). */
async function servingMembers(cluster: StartedLocalEtcd): Promise<EtcdMember[]> {
  const answers = await Promise.all(
    cluster.members.map((m) => (m.running ? isHealthy(m.clientUrl).catch(() => false) : false)),
  );
  return cluster.members.filter((_, i) => answers[i]);
}

function minExpiry(root: V2Node): { key: string; at: number } | undefined {
  let best: { key: string; at: number } | undefined;
  for (const { node } of walkTree(root)) {
    if (!node.expiration) continue;
    const at = Date.parse(node.expiration);
    if (!best || at < best.at) best = { key: node.key, at };
  }
  return best;
}

/** Pre-checks of the offline procedure: healthy members at one raft index, no writers, empty v3, no TTL about to expire. */
async function preChecks(cluster: StartedLocalEtcd, ttlSafetyMs: number): Promise<{ v2Index: number }> {
  const op = `migrate ${cluster.name} offline: pre-check`;
  const stopped = cluster.members.filter((m) => !m.running).map((m) => m.name);
  if (stopped.length > 0) throw new StoreshiftError(`${op}: member(s) ${stopped.join(", ")} not running`);
  await cluster.waitHealthy();
  const client = etcdClient(cluster.endpoints, { purpose: "offline v2→v3 migration" });
  try {
    const v3 = await countV3(client);
    if (v3.count > 0) {
      const { kvs } = await readV3Range(client, "", { keysOnly: true, pageSize: 3 });
      throw new StoreshiftError(
        `${op}: the v3 key space holds ${v3.count} key(s) (e.g. ${kvs.map((k) => k.key.toString()).join(", ")}); ` +
          "etcdctl migrate would overwrite them at colliding revisions; use the online migrator",
        { exitCode: 1 },
      );
    }
  } finally {
    client.close();
  }
  // all members applied the same raft entries, and nothing moves: then each migrates the same v2 state
  let indexes: number[] = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    const before = await readV2Index(cluster.endpoints[0] ?? "");
    const statuses = await Promise.all(cluster.endpoints.map(memberStatus));
    indexes = statuses.map((s) => s.raftAppliedIndex);
    await sleep(250);
    const after = await readV2Index(cluster.endpoints[0] ?? "");
    if (new Set(indexes).size === 1 && before === after) {
      // one member migrates one state; only several members can disagree about a key expiring mid-roll
      const soonest =
        cluster.members.length > 1
          ? minExpiry((await readV2Tree(cluster.endpoints[0] ?? "")).root)
          : undefined;
      if (soonest && soonest.at - Date.now() < ttlSafetyMs) {
        throw new StoreshiftError(
          `${op}: v2 TTL node ${soonest.key} expires in ${Math.round((soonest.at - Date.now()) / 1000)} s, ` +
            "within the migration window; members migrated at different raft indexes would disagree " +
            "(etcd-io/etcd#8305): wait for it, remove its TTL, or use the online migrator",
          { exitCode: 1 },
        );
      }
      return { v2Index: after };
    }
  }
  throw new StoreshiftError(
    `${op}: members did not settle at one raft index (applied: ${indexes.join(", ")}) or v2 is being written; stop all writers`,
    { exitCode: 1 },
  );
}

/**
 * The seed's procedure on a local cluster, member by member: stop, back up, `etcdctl migrate`, check,
 * restart, wait for health, check this member's v3; then verify every member and `hashkv`.
 * A failed member is restored from its backup and restarted before the error is thrown.
 */
export async function migrateOffline(
  cluster: StartedLocalEtcd,
  options: OfflineMigrationOptions = {},
): Promise<OfflineMigrationResult> {
  const started = Date.now();
  const op = `migrate ${cluster.name} offline`;
  const etcdctl = await resolveMigrateEtcdctl(options.etcdctl);
  const { v2Index } = await preChecks(cluster, options.ttlSafetyMs ?? 300_000);
  const endpoint = cluster.endpoints[0] ?? "";
  const v2Before = await readV2Tree(endpoint);
  const ttlPolicy = options.noTtl ? "drop" : "permanent";
  const prefix = options.transformer ? normalisePrefix(options.transformerPrefix) : "";
  const checkContent = !options.transformer || options.transformerPrefix !== undefined;
  const expected = expectedV3FromV2(v2Before, { ttlPolicy, prefix });
  const backupRoot = options.backupRoot ?? (await makeTempDir(`${cluster.name}-v2v3-backup`));
  const members: MemberMigration[] = [];
  const backups: MemberBackup[] = [];
  try {
    for (const member of cluster.members) {
      const where = `${op}: member ${member.name}`;
      throwIfAborted(options.signal, where);
      let t = Date.now();
      await member.stop();
      const stopMs = Date.now() - t;
      const step = await backupAndMigrateMember(member.info, {
        etcdctl: etcdctl.path,
        backupRoot,
        walDirFlag: member.info.walDir,
        running: member,
        noTtl: options.noTtl,
        transformer: options.transformer,
        measureMemory: options.measureMemory,
        signal: options.signal,
      });
      const { backup, backupMs, run } = step;
      backups.push(backup);
      if (step.failure || !run) {
        // leave the cluster as it was: this member's pre-migration copy back, and running
        await restoreDirs(backup, "data-dir");
        await member.start();
        const failure = step.failure ?? new Error("etcdctl migrate did not run");
        throw failure instanceof StoreshiftError && run
          ? new StoreshiftError(`${where}: ${failure.message}`)
          : failure;
      }
      t = Date.now();
      await member.start();
      const startMs = Date.now() - t;
      const own = etcdClient([member.clientUrl], { purpose: "offline v2→v3 migration" });
      let v3Keys: number;
      let v3Revision: number;
      try {
        const read = await readV3Range(own, checkContent ? `${prefix}/` : "");
        v3Keys = read.kvs.length;
        v3Revision = read.revision;
        const diffs = checkContent ? compareV3(expected, read.kvs, { mode: "offline", prefix }) : [];
        if (diffs.length > 0) {
          const first = diffs[0];
          throw new StoreshiftError(
            `${where}: after restart its v3 store differs from v2 in ${diffs.length} key(s), first ${first?.id} ${first?.class} ${first?.path}`,
            { exitCode: 1 },
          );
        }
      } finally {
        own.close();
      }
      const others = await Promise.all(
        cluster.members
          .filter((m) => m !== member && m.running)
          .map(async (m) => {
            const c = etcdClient([m.clientUrl], { purpose: "offline v2→v3 migration" });
            try {
              return (await countV3(c)).count;
            } finally {
              c.close();
            }
          }),
      );
      const outcome = run.stdout.trim().split("\n").pop() ?? "";
      log.debug(
        `${where}: migrated in ${run.durationMs} ms (${outcome}); v3 ${v3Keys} keys at revision ${v3Revision}`,
      );
      members.push({
        member: member.name,
        stopMs,
        backupMs,
        migrateMs: run.durationMs,
        startMs,
        exitCode: run.exitCode,
        outcome,
        maxRssKb: run.maxRssKb,
        v3Keys,
        v3Revision,
        v3KeysOnOthers: others,
      });
    }
    // every member was checked against the mapping right after its own restart; the final check
    // (v2 untouched, hashkv equal) runs on the members that serve now: one lost after its migration
    // must not turn a roll that completed everywhere into a failure (faults finding 8)
    const serving = await servingMembers(cluster);
    const unverifiedMembers = cluster.members.filter((m) => !serving.includes(m)).map((m) => m.name);
    const first = serving[0];
    if (!first)
      throw new StoreshiftError(
        `${op}: final verification: no member serves (${unverifiedMembers.join(", ")})`,
      );
    if (unverifiedMembers.length > 0)
      log.info(`${op}: member(s) ${unverifiedMembers.join(", ")} not serving at the final verification`);
    const servingEndpoints = serving.map((m) => m.clientUrl);
    const report = checkContent
      ? await verifyMigration({
          v2Endpoint: first.clientUrl,
          v3Endpoints: servingEndpoints,
          mode: "offline",
          ttlPolicy,
          prefix,
          v2Before,
        })
      : await verifyOpaque(first.clientUrl, servingEndpoints, v2Before);
    return {
      kind: "offline",
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      etcdctl,
      options: {
        noTtl: options.noTtl ?? false,
        transformer: options.transformer,
        transformerPrefix: options.transformerPrefix,
      },
      v2Index,
      expectedKeys: expected.kvs.length,
      members,
      backups,
      backupRoot,
      hashkv: report.hashkv,
      discrepancies: report.discrepancies,
      unverifiedMembers,
    };
  } catch (err) {
    // the backups are what an operator needs next: keep them and say where they are
    if (backups.length === 0) {
      if (!options.backupRoot) await rm(backupRoot, { recursive: true, force: true });
      throw err;
    }
    throw wrapError(
      op,
      new StoreshiftError(`${errorMessage(err)}; member backups kept in ${backupRoot}`, {
        exitCode: err instanceof StoreshiftError ? err.exitCode : 2,
        cause: err,
      }),
    );
  }
}

/** What can be checked after a transformer storeshift knows nothing about: members agree, v2 untouched. */
async function verifyOpaque(
  v2Endpoint: string,
  endpoints: string[],
  v2Before: V2Tree,
): Promise<{ hashkv: MemberHash[]; discrepancies: Difference[] }> {
  const hashkv = await hashKvAll(endpoints);
  const after = await readV2Tree(v2Endpoint);
  return { hashkv, discrepancies: [...compareHashes(hashkv), ...compareV2Trees(v2Before, after)] };
}

async function restoreDirs(backup: MemberBackup, mode: "data-dir" | "db"): Promise<void> {
  if (mode === "db") {
    await cp(join(backup.backupDir, "member", "snap", "db"), join(backup.dataDir, "member", "snap", "db"), {
      force: true,
      preserveTimestamps: true,
    });
    return;
  }
  await rm(backup.dataDir, { recursive: true, force: true });
  await cp(backup.backupDir, backup.dataDir, { recursive: true, preserveTimestamps: true });
  if (backup.walBackupDir) {
    await rm(backup.walDir, { recursive: true, force: true });
    await cp(backup.walBackupDir, backup.walDir, { recursive: true, preserveTimestamps: true });
  }
}

export interface OfflineRollbackResult {
  members: {
    member: string;
    restored: "data-dir" | "db";
    /** etcd took a raft snapshot after the backup (newest .snap index now > in the backup). */
    snapshotAfterBackup: boolean;
    backupSnapIndex: number;
    currentSnapIndex: number;
  }[];
  notes: string[];
}

/**
 * Puts every member back to its pre-migration backup. `data-dir` (default) restores the whole data
 * dir: always safe, loses everything written after the backup. `db` restores only member/snap/db and
 * keeps later raft entries (etcd re-applies later v3 writes), but is refused when etcd took a raft
 * snapshot after the backup: the old db's consistent index would be below the snapshot and etcd
 * panics on start ("failed to find database snapshot file").
 */
export async function rollbackOffline(
  backups: MemberBackup[],
  options: { cluster?: StartedLocalEtcd; mode?: "data-dir" | "db" } = {},
): Promise<OfflineRollbackResult> {
  const mode = options.mode ?? "data-dir";
  const result: OfflineRollbackResult = { members: [], notes: [] };
  const memberOf = (name: string) => options.cluster?.members.find((m) => m.name === name);
  // every member first: restoring one while the others run would mix migrated and unmigrated v3 stores
  const wereRunning = backups.map((b) => memberOf(b.member)).filter((m): m is EtcdMember => !!m?.running);
  for (const m of wereRunning) await m.stop();
  const checks = await Promise.all(
    backups.map(async (b) => {
      await assertMemberStopped(b.dataDir, memberOf(b.member));
      return { b, current: await latestSnapIndex(b.dataDir) };
    }),
  );
  const trapped = checks.filter((c) => c.current > c.b.snapIndex);
  if (trapped.length > 0) {
    const detail = trapped
      .map(
        (c) =>
          `${c.b.member} (snapshot at raft index ${c.current}, backup's newest ${c.b.snapIndex || "none"})`,
      )
      .join(", ");
    const why =
      `etcd took a raft snapshot after the backup on ${detail}; ` +
      "a restored db's consistent index would be below it and etcd would panic 'failed to find database snapshot file'";
    if (mode === "db") {
      // refused before touching anything: leave the members as they were
      for (const m of wereRunning) m.spawn();
      await Promise.all(wereRunning.map((m) => m.waitHealthy()));
      throw new StoreshiftError(
        `rollback offline: refused: ${why}; restore whole data dirs instead (--mode data-dir, loses writes made after the backup)`,
        { exitCode: 1 },
      );
    }
    result.notes.push(`${why}; the whole data dirs are restored, so writes made after the backup are gone`);
  }
  for (const { b, current } of checks) {
    await restoreDirs(b, mode);
    result.members.push({
      member: b.member,
      restored: mode,
      snapshotAfterBackup: current > b.snapIndex,
      backupSnapIndex: b.snapIndex,
      currentSnapIndex: current,
    });
  }
  if (options.cluster) {
    const restarting = backups.map((b) => memberOf(b.member)).filter((m): m is EtcdMember => m !== undefined);
    // together, as at first start: a lone member cannot be healthy before quorum forms
    for (const m of restarting) m.spawn();
    await Promise.all(restarting.map((m) => m.waitHealthy()));
  }
  return result;
}

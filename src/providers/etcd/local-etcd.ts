import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { requireBinary } from "../../binaries/install.js";
import type { Binary } from "../../binaries/locate.js";
import { registerCleanup } from "../../common/cleanup.js";
import { errorMessage, StoreshiftError } from "../../common/errors.js";
import { etcdClient } from "../../common/etcd-client.js";
import { log } from "../../common/log.js";
import { makeTempDir, removeDir } from "../../common/temp.js";
import { waitUntil } from "../../common/wait.js";
import { ManagedProcess } from "../../process/managed-process.js";
import { freePorts } from "../../process/ports.js";

export type EtcdLine = "v2-capable" | "3.5" | "current";

export interface LocalEtcdOptions {
  /**
   * "v2-capable" = Debian's etcd 3.4.23 (v2 API, `etcdctl migrate`); "3.5" = storeshift's etcd 3.5
   * build (v2 API with `--enable-v2`, no `migrate`); "current" = etcd 3.6.x.
   */
  line?: EtcdLine;
  members?: number;
  /** Serve the v2 API (`--enable-v2`); only etcd <= 3.4 has it. */
  enableV2?: boolean;
  snapshotCount?: number;
  maxRequestBytes?: number;
  /** Used in member names, log lines and the temp dir name. */
  name?: string;
  startTimeoutMs?: number;
  /** Extra flags for every member, e.g. `--auto-compaction-retention=1`. */
  extraArgs?: string[];
  /**
   * Fills a member's (not yet existing) data dir before it first starts: a restored snapshot or a
   * copied data dir. etcd then ignores --initial-cluster and serves what the dir holds.
   */
  prepareMember?: (member: EtcdMemberInfo, cluster: { token: string }) => Promise<void>;
}

export interface EtcdMemberInfo {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  /** etcd keeps its WAL in <data-dir>/member/wal unless --wal-dir is given. */
  walDir: string;
  logFile: string;
}

/** One member of a started cluster. Stopping it keeps its data dir, so it can be migrated or restarted. */
export class EtcdMember {
  readonly process: ManagedProcess;
  constructor(
    readonly info: EtcdMemberInfo,
    readonly command: string,
    readonly args: string[],
    readonly startTimeoutMs: number,
    /** The etcd version this member's binary reported (members differ mid-upgrade). */
    readonly version = "",
  ) {
    this.process = new ManagedProcess({
      name: `etcd member ${info.name}`,
      command,
      args,
      logFile: info.logFile,
    });
  }

  get name(): string {
    return this.info.name;
  }
  get clientUrl(): string {
    return this.info.clientUrl;
  }
  get running(): boolean {
    return this.process.running;
  }
  get pid(): number | undefined {
    return this.process.pid;
  }

  /** Starts the member (again) and waits until its /health endpoint says true. */
  async start(): Promise<void> {
    this.spawn();
    await this.waitHealthy();
  }

  spawn(): void {
    this.process.start();
  }

  async waitHealthy(): Promise<void> {
    await waitUntil(
      `etcd member ${this.name} at ${this.clientUrl} /health`,
      () => isHealthy(this.clientUrl),
      {
        timeoutMs: this.startTimeoutMs,
        intervalMs: 20,
        abort: () => this.process.exitReason(),
      },
    );
  }

  /** Graceful stop (SIGTERM): etcd closes its WAL and backend cleanly. */
  stop(): Promise<void> {
    return this.process.stop();
  }
  /** SIGKILL: a crash. The data dir stays as it was at that instant. */
  kill(): Promise<void> {
    return this.process.kill();
  }
  pause(): void {
    this.process.pause();
  }
  resume(): void {
    this.process.resume();
  }
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}

export async function isHealthy(clientUrl: string): Promise<boolean> {
  const response = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(2000) });
  if (!response.ok) return false;
  const body = (await response.json()) as { health?: string };
  return body.health === "true";
}

/**
 * The first line of what a member wrote to its log from byte `from` on that says why it stopped: a
 * panic or a fatal/error entry, else the last line. etcd logs a refusal to start (e.g. 3.6 finding v2
 * data) as a panic followed by a goroutine dump, so the last line alone says nothing.
 */
export function startFailureLine(log: string): string {
  const lines = log.split("\n").filter((l) => l.trim() !== "");
  // zap's own panic/fatal entry carries the error field; Go's `panic:` line after it may not
  const cause =
    lines.find((l) => /"level":"(fatal|panic|dpanic)"/.test(l)) ??
    lines.find((l) => /^panic: /.test(l)) ??
    lines.find((l) => /"level":"error"/.test(l)) ??
    lines.at(-1);
  return (cause ?? "(nothing logged)").slice(0, 600);
}

function logSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function logSince(file: string, from: number): string {
  try {
    return readFileSync(file).subarray(from).toString("utf8");
  } catch {
    return "";
  }
}

/** Flags that name one member and its place in the cluster; the rest is the same for every member. */
const MEMBER_FLAGS =
  /^--(name|data-dir|listen-client-urls|advertise-client-urls|listen-peer-urls|initial-advertise-peer-urls|initial-cluster|initial-cluster-state|initial-cluster-token)=/;

/** A started local etcd cluster on 127.0.0.1: endpoints, members, and stop(). */
export class StartedLocalEtcd {
  private stopped = false;
  constructor(
    readonly name: string,
    readonly binary: Binary,
    readonly members: EtcdMember[],
    readonly rootDir: string,
    readonly options: Required<Pick<LocalEtcdOptions, "enableV2" | "line">>,
    private readonly unregister: () => void,
  ) {}

  get endpoints(): string[] {
    return this.members.map((m) => m.clientUrl);
  }

  /**
   * Stops member `index` and starts it again on the same data dir with `binary` (another etcd
   * version) and the flags `flags` makes of its current ones; waits for /health. The upgrade step of
   * a rolling upgrade. A refusal to start throws, naming the member, the version and etcd's own
   * reason from its log; the member is then left stopped, its data dir as etcd left it.
   */
  async restartMemberWith(
    index: number,
    binary: Binary,
    flags: (args: string[]) => string[] = (a) => a,
  ): Promise<EtcdMember> {
    const old = this.member(index);
    await old.stop();
    const next = new EtcdMember(old.info, binary.path, flags(old.args), old.startTimeoutMs, binary.version);
    this.members[index] = next;
    const from = logSize(old.info.logFile);
    try {
      next.spawn();
      next.process.assertSpawned();
      await next.waitHealthy();
    } catch (err) {
      await next.stop();
      const why = startFailureLine(logSince(old.info.logFile, from));
      throw new StoreshiftError(
        `restart member ${old.name} of etcd ${this.name} with etcd ${binary.version}: ${errorMessage(err)}; etcd logged: ${why}`,
        { cause: err },
      );
    }
    return next;
  }

  /**
   * `etcdctl member add` through member 0, then starts the new member (`--initial-cluster-state=existing`,
   * an empty data dir, the flags every member shares) with `binary` and waits for /health. What it
   * then holds is whatever raft sent it: the leader's log or a snapshot.
   */
  async addMember(binary: Binary = this.binary, extraArgs: string[] = []): Promise<EtcdMember> {
    const index = this.members.length;
    const name = `m${index}`;
    const [client, peer] = await freePorts(2);
    const dataDir = join(this.rootDir, name);
    const info: EtcdMemberInfo = {
      name,
      clientUrl: `http://127.0.0.1:${client}`,
      peerUrl: `http://127.0.0.1:${peer}`,
      dataDir,
      walDir: join(dataDir, "member", "wal"),
      logFile: join(this.rootDir, `${name}.log`),
    };
    const what = `add member ${name} to etcd ${this.name}`;
    const etcd = etcdClient([this.member(0).clientUrl], { purpose: what });
    let peers: { name: string; peerURLs: string[] }[];
    try {
      const added = await etcd.cluster.memberAdd({ peerURLs: [info.peerUrl] });
      peers = added.members.map((m) => ({ name: m.name || name, peerURLs: m.peerURLs }));
    } catch (err) {
      throw new StoreshiftError(
        `${what}: member add through ${this.member(0).clientUrl}: ${errorMessage(err)}`,
        {
          cause: err,
        },
      );
    } finally {
      etcd.close();
    }
    const shared = this.member(0).args.filter((a) => !MEMBER_FLAGS.test(a));
    const args = [
      `--name=${name}`,
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${info.clientUrl}`,
      `--advertise-client-urls=${info.clientUrl}`,
      `--listen-peer-urls=${info.peerUrl}`,
      `--initial-advertise-peer-urls=${info.peerUrl}`,
      `--initial-cluster=${peers.flatMap((p) => p.peerURLs.map((u) => `${p.name}=${u}`)).join(",")}`,
      "--initial-cluster-state=existing",
      ...shared,
      ...extraArgs,
    ];
    const member = new EtcdMember(info, binary.path, args, this.member(0).startTimeoutMs, binary.version);
    this.members.push(member);
    try {
      await member.start();
    } catch (err) {
      await member.stop();
      throw new StoreshiftError(
        `${what}: ${errorMessage(err)}; etcd logged: ${startFailureLine(logSince(info.logFile, 0))}`,
        {
          cause: err,
        },
      );
    }
    return member;
  }
  get version(): string {
    return this.binary.version;
  }

  member(index: number): EtcdMember {
    const m = this.members[index];
    if (!m)
      throw new StoreshiftError(
        `etcd cluster ${this.name}: no member #${index} (it has ${this.members.length})`,
      );
    return m;
  }

  /** Waits until every running member reports healthy. */
  async waitHealthy(): Promise<void> {
    await Promise.all(this.members.filter((m) => m.running).map((m) => m.waitHealthy()));
  }

  /** Leaves the cluster running past this process: no cleanup-on-exit will stop it. */
  detach(): void {
    this.stopped = true;
    for (const m of this.members) m.process.detach();
    this.unregister();
  }

  /** Stops every member and removes the data dirs unless `keepData`. Safe to call twice. */
  async stop(options: { keepData?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.members.map((m) => m.stop()));
    if (!options.keepData) await removeDir(this.rootDir);
    this.unregister();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** Builds each member's flags. Pure, so the flag set is unit-tested without starting anything. */
export function memberArgs(
  members: EtcdMemberInfo[],
  peerUrls: string[],
  index: number,
  options: {
    enableV2: boolean;
    snapshotCount?: number;
    maxRequestBytes?: number;
    token: string;
    current: boolean;
  },
  extraArgs: string[] = [],
): string[] {
  const m = members[index];
  if (!m) throw new Error(`member index ${index} out of range`);
  const initialCluster = members.map((x, i) => `${x.name}=${peerUrls[i]}`).join(",");
  const args = [
    `--name=${m.name}`,
    `--data-dir=${m.dataDir}`,
    `--listen-client-urls=${m.clientUrl}`,
    `--advertise-client-urls=${m.clientUrl}`,
    `--listen-peer-urls=${m.peerUrl}`,
    `--initial-advertise-peer-urls=${m.peerUrl}`,
    `--initial-cluster=${initialCluster}`,
    "--initial-cluster-state=new",
    `--initial-cluster-token=${options.token}`,
    "--logger=zap",
    "--log-level=warn",
  ];
  if (options.enableV2) args.push("--enable-v2=true");
  if (options.snapshotCount !== undefined) args.push(`--snapshot-count=${options.snapshotCount}`);
  if (options.maxRequestBytes !== undefined) args.push(`--max-request-bytes=${options.maxRequestBytes}`);
  // a throwaway test store needs no fsync; etcd >= 3.5 only has the flag
  if (options.current) args.push("--unsafe-no-fsync=true");
  return args.concat(extraArgs);
}

/** Starts an N-member etcd cluster on 127.0.0.1 with free ports and private temp data dirs. */
export async function startLocalEtcd(options: LocalEtcdOptions = {}): Promise<StartedLocalEtcd> {
  const line = options.line ?? (options.enableV2 ? "v2-capable" : "current");
  const enableV2 = options.enableV2 ?? false;
  if (enableV2 && line === "current") {
    throw new StoreshiftError(
      "start etcd: --enable-v2 needs the v2-capable line (etcd 3.4); etcd 3.6 has no v2 API",
    );
  }
  const count = options.members ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > 9) {
    throw new StoreshiftError(`start etcd: members must be 1..9, got ${count}`);
  }
  const binary = await requireBinary(
    line === "v2-capable" ? "etcd-v2" : line === "3.5" ? "etcd-3.5" : "etcd",
  );
  const name = options.name ?? "etcd";
  const rootDir = await makeTempDir(name);
  // from its first instant the dir is someone's to remove: a signal may come before the handle exists
  const forgetDir = registerCleanup(`etcd ${name} dir`, () => removeDir(rootDir));
  const ports = await freePorts(count * 2);
  const infos: EtcdMemberInfo[] = [];
  for (let i = 0; i < count; i++) {
    const dataDir = join(rootDir, `m${i}`);
    infos.push({
      name: `m${i}`,
      clientUrl: `http://127.0.0.1:${ports[i * 2]}`,
      peerUrl: `http://127.0.0.1:${ports[i * 2 + 1]}`,
      dataDir,
      walDir: join(dataDir, "member", "wal"),
      logFile: join(rootDir, `m${i}.log`),
    });
  }
  await mkdir(rootDir, { recursive: true });
  const token = `storeshift-${randomBytes(6).toString("hex")}`;
  const timeout = options.startTimeoutMs ?? 30_000;
  const members = infos.map(
    (info, i) =>
      new EtcdMember(
        info,
        binary.path,
        memberArgs(
          infos,
          infos.map((x) => x.peerUrl),
          i,
          {
            enableV2,
            snapshotCount: options.snapshotCount,
            maxRequestBytes: options.maxRequestBytes,
            token,
            current: line !== "v2-capable",
          },
          options.extraArgs,
        ),
        timeout,
        binary.version,
      ),
  );
  let handle: StartedLocalEtcd | undefined;
  const unregisterHandle = registerCleanup(`etcd ${name}`, async () => handle?.stop());
  const unregister = () => {
    unregisterHandle();
    forgetDir();
  };
  handle = new StartedLocalEtcd(name, binary, members, rootDir, { enableV2, line }, unregister);
  const started = Date.now();
  try {
    if (options.prepareMember) for (const info of infos) await options.prepareMember(info, { token });
    // members of a new cluster must start together: none is healthy before quorum forms
    for (const m of members) m.spawn();
    for (const m of members) m.process.assertSpawned();
    await handle.waitHealthy();
  } catch (err) {
    await handle.stop();
    throw new StoreshiftError(
      `start etcd ${binary.version} (${count} member(s)): ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  log.debug(
    `etcd ${binary.version} x${count} healthy in ${Date.now() - started} ms at ${handle.endpoints.join(",")}`,
  );
  return handle;
}

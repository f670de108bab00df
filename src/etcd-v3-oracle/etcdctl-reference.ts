import { execFile } from "node:child_process";
import { cp } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { requireBinary } from "../binaries/install.js";
import { registerCleanup } from "../common/cleanup.js";
import { environment } from "../common/environment.js";
import { StoreshiftError } from "../common/errors.js";
import { makeTempDir, removeDir } from "../common/temp.js";
import { freePorts } from "../process/ports.js";
import { EtcdMember, StartedLocalEtcd } from "../providers/etcd/local-etcd.js";
import { readMember } from "./read.js";

const run = promisify(execFile);

/** A copy of one stopped member's data dir, taken while the rest of the cluster ran on. */
export interface MemberCopy {
  source: string;
  member: string;
  /** Members of the source cluster: a copy of one of several needs --force-new-cluster to run alone. */
  members: number;
  dir: string;
}

/**
 * Stops the last member of `source` for a moment, copies its data dir and starts it again (a stopped
 * member's dir is consistent: WAL closed, bolt file unlocked). The copy holds exactly the v2 state
 * the cluster holds at this point.
 */
export async function copyStoppedMember(source: StartedLocalEtcd, copyDir: string): Promise<MemberCopy> {
  const member = source.members[source.members.length - 1];
  if (!member) throw new StoreshiftError(`copy a member of etcd ${source.name}: the cluster has no member`);
  await member.stop();
  try {
    await cp(member.info.dataDir, copyDir, { recursive: true, preserveTimestamps: true, errorOnExist: true });
  } finally {
    await member.start();
  }
  // the source must take calls again before the scenario goes on (see `retrying`)
  await readMember(member.clientUrl);
  return { source: source.name, member: member.name, members: source.members.length, dir: copyDir };
}

export interface EtcdctlReference {
  /** A one-member etcd 3.4 running on the migrated copy. */
  etcd: StartedLocalEtcd;
  /** etcdctl migrate's last stdout line. */
  outcome: string;
  noTtl: boolean;
}

/**
 * The real `etcdctl migrate` (etcd 3.4) as a second oracle: migrates a fresh copy of `copy` offline
 * and starts a single etcd 3.4 on it, so what etcdctl made of the v2 data is readable through v3.
 * `copy` itself is left as it is, so it can be migrated again with other flags.
 */
export async function startEtcdctlReference(
  copy: MemberCopy,
  options: { name: string; noTtl?: boolean },
): Promise<EtcdctlReference> {
  const op = `etcdctl migrate of a copy of etcd ${copy.source}`;
  const rootDir = await makeTempDir(`${options.name}-etcdctl-reference`);
  const forgetDir = registerCleanup(`etcd ${options.name} dir`, () => removeDir(rootDir));
  const dataDir = join(rootDir, copy.member);
  await cp(copy.dir, dataDir, { recursive: true, preserveTimestamps: true });

  const etcdctl = await requireBinary("etcdctl-v2");
  const args = ["migrate", `--data-dir=${dataDir}`, `--wal-dir=${join(dataDir, "member", "wal")}`];
  if (options.noTtl) args.push("--no-ttl");
  let stdout: string;
  try {
    ({ stdout } = await run(etcdctl.path, args, {
      env: { ...environment(), ETCDCTL_API: "3" },
      timeout: 120_000,
    }));
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    forgetDir();
    await removeDir(rootDir);
    throw new StoreshiftError(
      `${op}: ${etcdctl.path} ${args.join(" ")} exit ${e.code ?? "?"}: ${(e.stderr ?? "").trim().split("\n").pop()}`,
    );
  }
  if (!/finished transforming keys|no v2 keys to migrate/.test(stdout))
    throw new StoreshiftError(
      `${op}: etcdctl migrate exit 0 without saying it finished: ${stdout.trim().split("\n").pop()}`,
    );

  const binary = await requireBinary("etcd-v2");
  const [client, peer] = await freePorts(2);
  const info = {
    name: copy.member,
    clientUrl: `http://127.0.0.1:${client}`,
    peerUrl: `http://127.0.0.1:${peer}`,
    dataDir,
    walDir: join(dataDir, "member", "wal"),
    logFile: join(rootDir, `${copy.member}.log`),
  };
  const memberArgs = [
    `--name=${info.name}`,
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${info.clientUrl}`,
    `--advertise-client-urls=${info.clientUrl}`,
    `--listen-peer-urls=${info.peerUrl}`,
    `--initial-advertise-peer-urls=${info.peerUrl}`,
    `--initial-cluster=${info.name}=${info.peerUrl}`,
    "--enable-v2=true",
    "--logger=zap",
    "--log-level=warn",
  ];
  // one member of several has no quorum alone; etcd's documented way out drops the others
  if (copy.members > 1) memberArgs.push("--force-new-cluster");
  const twin = new EtcdMember(info, binary.path, memberArgs, 30_000);
  let etcd: StartedLocalEtcd | undefined;
  const forgetHandle = registerCleanup(`etcd ${options.name}`, async () => etcd?.stop());
  etcd = new StartedLocalEtcd(
    options.name,
    binary,
    [twin],
    rootDir,
    { enableV2: true, line: "v2-capable" },
    () => {
      forgetHandle();
      forgetDir();
    },
  );
  try {
    await twin.start();
    await readMember(twin.clientUrl);
  } catch (err) {
    await etcd.stop();
    throw new StoreshiftError(`${op}: start etcd on the migrated copy: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return { etcd, outcome: stdout.trim().split("\n").pop() ?? "", noTtl: options.noTtl ?? false };
}

import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cacheRoot } from "../binaries/cache.js";
import { registerCleanup } from "../common/cleanup.js";
import { StoreshiftError } from "../common/errors.js";
import { type StartedLocalEtcd, startLocalEtcd } from "../providers/etcd/local-etcd.js";
import {
  type StartedLocalControlPlane,
  startLocalControlPlane,
} from "../providers/kube/local-control-plane.js";

/**
 * `storeshift up` keeps stores running for an engineer. The session file records the owning
 * storeshift PID and how to reach each store, so `down` and `status` work from another shell.
 */
export interface SessionStore {
  kind: "etcd" | "control-plane";
  name: string;
  version: string;
  endpoints: string[];
  pids: number[];
  kubeconfig?: string;
  etcdEndpoint?: string;
  v2: boolean;
  /** Data and PKI dirs, removed by `down` once the processes are gone. */
  dirs?: string[];
}

export interface SessionRecord {
  name: string;
  ownerPid: number;
  startedAt: string;
  stores: SessionStore[];
  /** Other dirs kept with the stores (a kept scenario's offline backups), removed by `down`. */
  dirs?: string[];
}

export interface UpOptions {
  name: string;
  etcd: "v2" | "v3" | "none";
  members: number;
  kube: boolean;
}

export function sessionDir(): string {
  return join(cacheRoot(), "sessions");
}

function sessionFile(name: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) {
    throw new StoreshiftError(`--name ${name}: use lower-case letters, digits and dashes`);
  }
  return join(sessionDir(), `${name}.json`);
}

export interface RunningSession {
  record: SessionRecord;
  etcd?: StartedLocalEtcd;
  controlPlane?: StartedLocalControlPlane;
  stop(): Promise<void>;
}

export async function startSession(o: UpOptions): Promise<RunningSession> {
  const file = sessionFile(o.name);
  const existing = await readSession(o.name);
  if (existing && isProcessAlive(existing.ownerPid)) {
    throw new StoreshiftError(
      `up ${o.name}: already running as pid ${existing.ownerPid}; run \`storeshift down ${o.name}\``,
    );
  }
  const stores: SessionStore[] = [];
  let etcd: StartedLocalEtcd | undefined;
  let controlPlane: StartedLocalControlPlane | undefined;
  try {
    if (o.etcd !== "none") {
      etcd = await startLocalEtcd({ name: `${o.name}-etcd`, members: o.members, enableV2: o.etcd === "v2" });
      stores.push(describeEtcd(etcd));
    }
    if (o.kube) {
      controlPlane = await startLocalControlPlane({ name: o.name });
      stores.push(describeControlPlane(controlPlane));
    }
  } catch (err) {
    await controlPlane?.stop();
    await etcd?.stop();
    throw err;
  }
  const record: SessionRecord = {
    name: o.name,
    ownerPid: process.pid,
    startedAt: new Date().toISOString(),
    stores,
  };
  await writeSession(record);
  // a signal stops the stores through the cleanup registry; the session file must go with them
  const forgetFile = registerCleanup(`session file ${o.name}`, () => rm(file, { force: true }));
  return {
    record,
    etcd,
    controlPlane,
    async stop() {
      await controlPlane?.stop();
      await etcd?.stop();
      await rm(file, { force: true });
      forgetFile();
    },
  };
}

export function describeEtcd(etcd: StartedLocalEtcd): SessionStore {
  return {
    kind: "etcd",
    name: etcd.name,
    version: etcd.version,
    endpoints: etcd.endpoints,
    pids: etcd.members.map((m) => m.pid ?? -1),
    v2: etcd.options.enableV2,
    dirs: [etcd.rootDir],
  };
}

export function describeControlPlane(cp: StartedLocalControlPlane): SessionStore {
  return {
    kind: "control-plane",
    name: cp.name,
    version: cp.version,
    endpoints: [cp.server],
    pids: [cp.apiserver.pid ?? -1, ...cp.etcd.members.map((m) => m.pid ?? -1)],
    kubeconfig: cp.kubeconfigPath,
    etcdEndpoint: cp.etcdEndpoint,
    v2: false,
    dirs: [cp.dir, cp.etcd.rootDir],
  };
}

/** Records stores that outlive their owner (`up`, or `--keep`), so `down` can stop them by PID. */
export async function writeSession(record: SessionRecord): Promise<void> {
  await mkdir(sessionDir(), { recursive: true });
  await writeFile(sessionFile(record.name), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
}

/**
 * Records a session under a new name made from `base`: `base`, else `base-2`, `base-3`, … The file is
 * created exclusively, so two keeps of one scenario (two runs, or a retry) never overwrite each
 * other's record and orphan the first one's stores. Returns the name used.
 */
export async function writeNewSession(base: string, record: Omit<SessionRecord, "name">): Promise<string> {
  await mkdir(sessionDir(), { recursive: true });
  const stem = base.slice(0, 58).replace(/-+$/, "");
  for (let n = 1; n < 1000; n++) {
    const name = n === 1 ? stem : `${stem}-${n}`;
    try {
      await writeFile(sessionFile(name), `${JSON.stringify({ name, ...record }, null, 2)}\n`, {
        mode: 0o600,
        flag: "wx",
      });
      return name;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  throw new StoreshiftError(
    `keep session ${stem}: 999 sessions of that name exist; \`storeshift down\` some`,
  );
}

export async function readSession(name: string): Promise<SessionRecord | undefined> {
  try {
    return JSON.parse(await readFile(sessionFile(name), "utf8")) as SessionRecord;
  } catch {
    return undefined;
  }
}

export async function listSessions(): Promise<SessionRecord[]> {
  const names = await readdir(sessionDir()).catch(() => [] as string[]);
  const out: SessionRecord[] = [];
  for (const n of names.filter((x) => x.endsWith(".json"))) {
    const rec = await readSession(n.slice(0, -5));
    if (rec) out.push(rec);
  }
  return out;
}

export async function removeSessionFile(name: string): Promise<void> {
  await rm(sessionFile(name), { force: true });
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** What an engineer pastes to reach the stores: env exports and ready-to-run commands. */
export function connectionHints(record: SessionRecord): string {
  const lines: string[] = [];
  for (const s of record.stores) {
    if (s.kind === "etcd") {
      lines.push(`# etcd ${s.version}${s.v2 ? " (v2 API enabled)" : ""}, ${s.endpoints.length} member(s)`);
      lines.push(
        `export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=${s.endpoints.join(",")} ETCD_ENDPOINTS=${s.endpoints.join(",")}`,
      );
      lines.push(`etcdctl --endpoints=${s.endpoints.join(",")} get --prefix / --keys-only`);
      if (s.v2) lines.push(`ETCDCTL_API=2 etcdctl --endpoints=${s.endpoints[0]} ls --recursive /`);
      lines.push(`# pids ${s.pids.join(" ")}; data in ${(s.dirs ?? []).join(" ")}`);
    } else {
      lines.push(
        `# Kubernetes ${s.version} control plane at ${s.endpoints[0]} (its etcd: ${s.etcdEndpoint})`,
      );
      lines.push(`export KUBECONFIG=${s.kubeconfig}`);
      lines.push(`kubectl --kubeconfig=${s.kubeconfig} get nodes,crds`);
      lines.push(`etcdctl --endpoints=${s.etcdEndpoint} get --prefix /registry/ --keys-only`);
      lines.push(
        `# pids ${s.pids.join(" ")} (kube-apiserver, then its etcd); data in ${(s.dirs ?? []).join(" ")}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

import { copyFile, cp, open as openFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { requireBinary } from "../binaries/install.js";
import { InputError, StoreshiftError } from "../common/errors.js";
import { makeTempDir, removeDir } from "../common/temp.js";
import { type StartedLocalEtcd, startLocalEtcd } from "../providers/etcd/local-etcd.js";
import { loadCalicoExport, seedCalicoExport } from "./calico-export.js";
import { checkDataDir } from "./data-dir.js";
import { fsReason } from "./fs-reason.js";
import { copyV3Keyspace, isEndpoint, probeEndpoint, readLiveV2 } from "./live-etcd.js";
import { checkSnapshotFile, looksLikeBolt } from "./snapshot-file.js";
import { loadV2Dump, seedV2Dump } from "./v2-dump.js";

/**
 * A user's own data as the seed of a local store. Every source is checked in full first (reads
 * only), then copied: the original file, dir or endpoint is never written.
 */
export type SourceKind = "snapshot" | "data-dir" | "v2-dump" | "calico-export" | "etcd-endpoint";

export const SOURCE_KINDS: readonly SourceKind[] = [
  "snapshot",
  "data-dir",
  "v2-dump",
  "calico-export",
  "etcd-endpoint",
];

export interface SourceSpec {
  kind: SourceKind;
  location: string;
}

/** What the copy is for: a v3 keyspace for the Calico migration, a v2 store for etcd v2→v3. */
export type SourcePurpose = "calico" | "etcd-v2v3";

export const KINDS_FOR: Record<SourcePurpose, readonly SourceKind[]> = {
  calico: ["snapshot", "data-dir", "calico-export", "etcd-endpoint"],
  "etcd-v2v3": ["data-dir", "v2-dump", "etcd-endpoint"],
};

const DESCRIBE: Record<SourceKind, string> = {
  snapshot: "an etcd v3 snapshot",
  "data-dir": "an etcd data directory",
  "v2-dump": "a v2 JSON dump",
  "calico-export": "a Calico export file",
  "etcd-endpoint": "an etcd endpoint URL",
};

/** Tells the kinds apart by their content (never by file name), reading at most the first 4 KiB. */
export async function identifySource(location: string): Promise<SourceSpec> {
  if (isEndpoint(location)) return { kind: "etcd-endpoint", location };
  const s = await stat(location).catch((err: unknown) => {
    throw new InputError(`${location}: ${fsReason(err)}`);
  });
  if (s.isDirectory()) return { kind: "data-dir", location };
  const head = Buffer.alloc(4096);
  const handle = await openFile(location, "r").catch((err: unknown) => {
    throw new InputError(`${location}: ${fsReason(err)}`);
  });
  let n: number;
  try {
    ({ bytesRead: n } = await handle.read(head, 0, head.length, 0));
  } finally {
    await handle.close();
  }
  const bytes = head.subarray(0, n);
  if (looksLikeBolt(bytes)) return { kind: "snapshot", location };
  const text = bytes.toString("utf8").trimStart();
  if (/^\{\s*"(action|node)"/.test(text)) return { kind: "v2-dump", location };
  if (/^(---\s*\n)?(apiVersion|kind):/m.test(text) || /^===\s*$/m.test(text))
    return { kind: "calico-export", location };
  throw new InputError(
    `${location}: not an etcd snapshot, a v2 JSON dump or a Calico export (${n === 0 ? "empty file" : "unrecognised content"})`,
  );
}

/** The source kind, refused in one line if this migration cannot start from it. */
export async function identifySourceFor(location: string, purpose: SourcePurpose): Promise<SourceSpec> {
  const spec = await identifySource(location);
  if (!KINDS_FOR[purpose].includes(spec.kind))
    throw new InputError(
      `${location}: is ${DESCRIBE[spec.kind]}; the ${purpose} migration starts from ${KINDS_FOR[purpose].map((k) => DESCRIBE[k]).join(", ")}`,
    );
  return spec;
}

/** Reads the whole source once and refuses it if it could not seed a store. Never writes. */
export async function checkSource(spec: SourceSpec): Promise<void> {
  switch (spec.kind) {
    case "snapshot":
      await checkSnapshotFile(spec.location);
      return;
    case "data-dir":
      await checkDataDir(spec.location);
      return;
    case "v2-dump":
      await loadV2Dump(spec.location);
      return;
    case "calico-export":
      await loadCalicoExport(spec.location);
      return;
    case "etcd-endpoint":
      await probeEndpoint(spec.location);
      return;
  }
}

/** `etcdctl snapshot restore` (etcd 3.4's, the v3 API) of a private copy into a member's data dir. */
async function restoreSnapshot(
  file: string,
  member: { name: string; peerUrl: string; dataDir: string },
  token: string,
) {
  const info = await checkSnapshotFile(file);
  const etcdctl = await requireBinary("etcdctl-v2");
  const scratch = await makeTempDir("snapshot-copy");
  try {
    // restore reads its input only, but it gets a copy all the same: the original is never opened for writing
    const copy = join(scratch, "snapshot.db");
    await copyFile(file, copy);
    const args = [
      "snapshot",
      "restore",
      copy,
      `--data-dir=${member.dataDir}`,
      `--name=${member.name}`,
      `--initial-cluster=${member.name}=${member.peerUrl}`,
      `--initial-advertise-peer-urls=${member.peerUrl}`,
      `--initial-cluster-token=${token}`,
    ];
    if (!info.hasHash) args.push("--skip-hash-check=true");
    const run = await execa(etcdctl.path, args, {
      env: { ETCDCTL_API: "3" },
      reject: false,
      stdin: "ignore",
      timeout: 300_000,
    });
    if (run.exitCode !== 0) {
      const said = `${run.stderr}`.trim().split("\n").pop() ?? `exit ${run.exitCode}`;
      throw new InputError(`etcd snapshot ${file}: etcdctl ${etcdctl.version} snapshot restore: ${said}`);
    }
  } finally {
    await removeDir(scratch);
  }
}

export interface OpenedSource {
  etcd: StartedLocalEtcd;
  spec: SourceSpec;
  /** A line for the scenario log: what was copied. */
  summary: string;
}

/**
 * Starts a private local etcd holding a copy of the source. Snapshots and data dirs run on etcd
 * 3.4 (the etcdctl that restores them, and the last etcd with the v2 store); the rest on the line
 * the purpose needs.
 */
export async function openSource(
  spec: SourceSpec,
  purpose: SourcePurpose,
  name = "source",
): Promise<OpenedSource> {
  if (!KINDS_FOR[purpose].includes(spec.kind)) await identifySourceFor(spec.location, purpose);
  await checkSource(spec);
  const v2 = purpose === "etcd-v2v3";
  const etcdName = `byo-${name}`;
  switch (spec.kind) {
    case "snapshot": {
      const etcd = await startLocalEtcd({
        name: etcdName,
        line: "v2-capable",
        prepareMember: (m, { token }) => restoreSnapshot(spec.location, m, token),
      });
      return { etcd, spec, summary: `restored snapshot ${spec.location}` };
    }
    case "data-dir": {
      const { dataDir } = await checkDataDir(spec.location);
      const etcd = await startLocalEtcd({
        name: etcdName,
        line: "v2-capable",
        enableV2: v2,
        // the copy keeps the original cluster's membership; a one-member cluster of its own is what runs here
        extraArgs: ["--force-new-cluster"],
        prepareMember: async (m) => {
          await cp(join(dataDir, "member"), join(m.dataDir, "member"), { recursive: true });
        },
      });
      return { etcd, spec, summary: `copied data directory ${dataDir}` };
    }
    case "v2-dump": {
      const root = await loadV2Dump(spec.location);
      const etcd = await startLocalEtcd({ name: etcdName, enableV2: true });
      const done = await seedOrStop(etcd, () => seedV2Dump(etcd.endpoints[0] ?? "", root));
      return {
        etcd,
        spec,
        summary: `seeded ${done.keys} key(s), ${done.dirs} empty dir(s) from ${spec.location}`,
      };
    }
    case "calico-export": {
      const parsed = await loadCalicoExport(spec.location);
      const etcd = await startLocalEtcd({ name: etcdName });
      const done = await seedOrStop(etcd, () => seedCalicoExport(etcd.endpoints, parsed, spec.location));
      return { etcd, spec, summary: `seeded ${done.keys} key(s) from ${spec.location}` };
    }
    case "etcd-endpoint": {
      if (v2) {
        const root = await readLiveV2(spec.location);
        const etcd = await startLocalEtcd({ name: etcdName, enableV2: true });
        const done = await seedOrStop(etcd, () => seedV2Dump(etcd.endpoints[0] ?? "", root));
        return { etcd, spec, summary: `copied ${done.keys} v2 key(s) from ${spec.location} (reads only)` };
      }
      const etcd = await startLocalEtcd({ name: etcdName });
      const done = await seedOrStop(etcd, () => copyV3Keyspace(spec.location, etcd.endpoints));
      return { etcd, spec, summary: `copied ${done.keys} v3 key(s) from ${spec.location} (reads only)` };
    }
  }
}

async function seedOrStop<T>(etcd: StartedLocalEtcd, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    await etcd.stop();
    throw err instanceof StoreshiftError ? err : new StoreshiftError((err as Error).message, { cause: err });
  }
}

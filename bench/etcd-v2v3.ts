import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { etcdClient } from "../src/common/etcd-client.js";
import { makeTempDir, removeDir } from "../src/common/temp.js";
import { type FixtureStep, randomSeed, seedV2 } from "../src/etcd-v2v3/fixture.js";
import { migrateOffline, rollbackOffline } from "../src/etcd-v2v3/offline.js";
import { migrateOnline, type OnlineMigrationResult } from "../src/etcd-v2v3/online.js";
import { rollbackOnline } from "../src/etcd-v2v3/rollback.js";
import { countV3 } from "../src/etcd-v2v3/v3.js";
import { startLocalEtcd } from "../src/providers/etcd/local-etcd.js";
import { type Bench, type BenchRow, ratio } from "./types.js";

const KEYS = Number(process.env.BENCH_V2V3_KEYS ?? 100_000);
const DIRS = Number(process.env.BENCH_V2V3_DIRS ?? 100);

/** Peak RSS of this process while `fn` runs, sampled every 10 ms (plus before and after). */
async function withPeakRss<T>(fn: () => Promise<T>): Promise<{ value: T; peakRss: number; baseRss: number }> {
  const baseRss = process.memoryUsage().rss;
  let peakRss = baseRss;
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 10);
  try {
    const value = await fn();
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    return { value, peakRss, baseRss };
  } finally {
    clearInterval(timer);
  }
}

/** VmHWM (peak RSS since start) of a process, in bytes, from /proc. */
async function processPeakRss(pid: number | undefined): Promise<number | undefined> {
  if (!pid) return undefined;
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kb = status.match(/VmHWM:\s+(\d+) kB/)?.[1];
    return kb ? Number(kb) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

const MiB = 1024 * 1024;
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = join(ROOT, "bin", "storeshift.js");

/**
 * The CLI is measured as it ships: `bin/storeshift.js` on the compiled `dist/`, not under tsx (whose
 * transpiler alone adds ~30 MiB to a process). Built first, so the numbers are of the code checked out.
 */
async function buildCli(): Promise<void> {
  const built = await execa(
    process.execPath,
    [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"],
    {
      cwd: ROOT,
      reject: false,
    },
  );
  if (built.exitCode !== 0) throw new Error(`bench etcd-v2v3: build failed: ${built.stdout.split("\n")[0]}`);
}

interface CliRun {
  maxRssKb?: number;
  reportedMs?: number;
  /** The online result the CLI wrote with `--result`, when asked for. */
  result?: OnlineMigrationResult;
}

/** Runs the CLI under `/usr/bin/time -v`: peak RSS from GNU time's report, ms from the CLI's own line. */
async function cliUnderTime(args: string[], withResult = true): Promise<CliRun> {
  const dir = await makeTempDir("bench-v2v3-cli");
  try {
    const resultFile = join(dir, "result.json");
    const full = [process.execPath, CLI, ...args];
    if (withResult) full.push("--result", resultFile);
    const hasTime = existsSync("/usr/bin/time");
    const { stdout, stderr, exitCode } = await execa(
      hasTime ? "/usr/bin/time" : (full[0] ?? ""),
      hasTime ? ["-v", ...full] : full.slice(1),
      { cwd: ROOT, reject: false, env: { STORESHIFT_QUIET: "1" } },
    );
    if (exitCode !== 0) throw new Error(`bench etcd-v2v3: CLI exit ${exitCode}: ${stderr.split("\n")[0]}`);
    const rss = stderr.match(/Maximum resident set size \(kbytes\):\s*(\d+)/)?.[1];
    const ms = stdout.match(/; (\d+) ms$/m)?.[1];
    return {
      maxRssKb: rss ? Number(rss) : undefined,
      reportedMs: ms ? Number(ms) : undefined,
      result: withResult
        ? (JSON.parse(await readFile(resultFile, "utf8")) as OnlineMigrationResult)
        : undefined,
    };
  } finally {
    await removeDir(dir);
  }
}

export const etcdV2V3Bench: Bench = {
  name: "etcd-v2v3",
  description: `${KEYS} v2 keys over ${DIRS} dirs on etcd 3.4.23 (1 member): online migrator vs etcdctl migrate (stop, migrate, restart)`,
  async run() {
    const seed = Number(process.env.BENCH_V2V3_SEED ?? randomSeed());
    process.stderr.write(`bench etcd-v2v3: seed ${seed}\n`);
    const etcd = await startLocalEtcd({ enableV2: true, name: "bench-v2v3" });
    const rows: BenchRow[] = [];
    const row = (metric: string, value: number | undefined, unit: string, extra: Partial<BenchRow> = {}) => {
      rows.push({ bench: "etcd-v2v3", metric, value, unit, ...extra });
      // also as it happens, so a late failure does not lose the numbers measured so far
      process.stderr.write(
        `  ${metric}: ${value === undefined ? "n/a" : value.toFixed(3)} ${unit}${extra.note ? ` (${extra.note})` : ""}\n`,
      );
    };
    await buildCli();
    let backupRoot: string | undefined;
    try {
      const endpoint = etcd.endpoints[0] ?? "";
      const generate: FixtureStep = {
        op: "generate",
        keys: KEYS,
        dirs: DIRS,
        seed,
        valueBytes: 32,
        prefix: "/bench",
      };
      const seeded = await seedV2(
        endpoint,
        { name: "bench", description: "", includeHidden: [], steps: [generate] },
        { concurrency: 64 },
      );
      row("seed v2 (64 writers)", seeded.durationMs / 1000, "s", { note: `${KEYS} keys, seed ${seed}` });

      // offline first: its backup is the pre-migration state the online run starts from
      const offline = await migrateOffline(etcd, { measureMemory: true });
      backupRoot = offline.backupRoot;
      const m = offline.members[0];
      if (!m || offline.discrepancies.length > 0)
        throw new Error(
          `bench etcd-v2v3: offline migration not verified (${offline.discrepancies.length} differences)`,
        );
      const offlineMs = m.stopMs + m.migrateMs + m.startMs;
      row("offline: stop+migrate+restart", offlineMs / 1000, "s", {
        note: `stop ${m.stopMs} ms, etcdctl migrate ${m.migrateMs} ms, restart ${m.startMs} ms`,
      });
      row("offline: whole procedure", offline.durationMs / 1000, "s", {
        note: `with pre-checks, backup ${m.backupMs} ms, per-member check and final verify`,
      });
      const etcdctlPeak = m.maxRssKb === undefined ? undefined : (m.maxRssKb * 1024) / MiB;
      row("offline: etcdctl migrate peak RSS", etcdctlPeak, "MiB", {
        note: etcdctlPeak === undefined ? "no /usr/bin/time here" : "/usr/bin/time -v",
      });

      await rollbackOffline(offline.backups, { cluster: etcd });
      const client = etcdClient([endpoint], { purpose: "bench" });
      try {
        const empty = await countV3(client);
        if (empty.count !== 0)
          throw new Error(`bench etcd-v2v3: v3 not empty after rollback (${empty.count})`);
      } finally {
        client.close();
      }

      const etcdPid = etcd.member(0).pid;
      const online = await withPeakRss(() =>
        migrateOnline({ v2Endpoint: endpoint, v3Endpoints: etcd.endpoints }),
      );
      if (online.value.migrated.length !== offline.expectedKeys)
        throw new Error(
          `bench etcd-v2v3: online migrated ${online.value.migrated.length} of ${offline.expectedKeys}`,
        );
      const onlineMs = online.value.durationMs;
      row("online: read v2 + guarded Txns", onlineMs / 1000, "s", {
        note: `${online.value.txns} Txns of <= 128 puts, 4 in flight; read v2 ${online.value.phasesMs.readV2} ms, scan v3 ${online.value.phasesMs.scanV3} ms, write ${online.value.phasesMs.write} ms`,
      });
      row("online / offline time", onlineMs / offlineMs, "x", { target: "<= 1.0" });
      row("online: storeshift peak RSS", online.peakRss / MiB, "MiB", {
        note: `+${Math.round((online.peakRss - online.baseRss) / MiB)} MiB over the ${Math.round(online.baseRss / MiB)} MiB before`,
      });
      const etcdPeak = await processPeakRss(etcdPid);
      row("online: etcd server peak RSS", etcdPeak === undefined ? undefined : etcdPeak / MiB, "MiB", {
        note: "VmHWM since its restart",
      });

      // the storeshift CLI in a child under GNU time: the peak RSS of a whole online-migrator process
      await rollbackOnline(online.value);
      const child = await cliUnderTime(["etcd", "migrate", "--online", "--endpoints", endpoint]);
      const idle = await cliUnderTime(["etcd", "--help"], false);
      const cliPeak = child.maxRssKb === undefined ? undefined : (child.maxRssKb * 1024) / MiB;
      row("online: CLI process peak RSS", cliPeak, "MiB", {
        note: `/usr/bin/time -v; \`etcd --help\` alone peaks at ${idle.maxRssKb === undefined ? "n/a" : Math.round(idle.maxRssKb / 1024)} MiB; CLI timing ${child.reportedMs} ms`,
      });
      row("online CLI / etcdctl migrate peak RSS", ratio(cliPeak, etcdctlPeak), "x", {
        target: KEYS >= 1_000_000 ? "<= 1.1" : "<= 1.5",
        note: `both at ${KEYS} keys, this run`,
      });

      // the order-preserving variant: one Txn at a time
      if (!child.result) throw new Error("bench etcd-v2v3: the CLI wrote no result");
      await rollbackOnline(child.result);
      const sequential = await migrateOnline({
        v2Endpoint: endpoint,
        v3Endpoints: etcd.endpoints,
        concurrency: 1,
      });
      row("online, 1 Txn in flight", sequential.durationMs / 1000, "s", {
        note: `ratio ${(sequential.durationMs / offlineMs).toFixed(2)}x; v3 revisions in v2 modifiedIndex order`,
      });
      return rows;
    } finally {
      await etcd.stop();
      if (backupRoot) await removeDir(backupRoot);
    }
  },
};

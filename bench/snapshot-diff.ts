import { execFile } from "node:child_process";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Etcd3 } from "etcd3";
import { makeTempDir, removeDir } from "../src/common/temp.js";
import { DEFAULT_IGNORE_RULES } from "../src/diff/defaults.js";
import { diffSnapshots } from "../src/diff/engine.js";
import { startLocalEtcd } from "../src/providers/etcd/local-etcd.js";
import { loadSnapshot, saveSnapshot } from "../src/snapshot/file.js";
import { openStore } from "../src/store-uri/store-uri.js";
import type { Bench, BenchRow } from "./types.js";

const RECORDS = Number(process.env.BENCH_SNAPSHOT_RECORDS ?? 100_000);
const PREFIX = "/bench/";
const CHANGED = 100;

function key(i: number): string {
  return `${PREFIX}${String(i).padStart(7, "0")}`;
}

function value(i: number): string {
  return JSON.stringify({
    n: i,
    name: `object-${i}`,
    labels: { team: `t${i % 17}` },
    spec: { cidr: `10.${i % 256}.0.0/24` },
  });
}

async function seed(client: Etcd3, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1000) {
    await Promise.all(
      Array.from({ length: Math.min(1000, count - i) }, (_, j) => client.put(key(i + j)).value(value(i + j))),
    );
  }
}

interface WorkerReport {
  snapshotMs: number;
  roundTripDiffMs: number;
  roundTripDifferences: number;
  changedDiffMs: number;
  changedCounted: number;
  peakRssMb: number;
  fileMb: number;
}

/**
 * The measured part, in a child process so its peak RSS is its own: snapshot the store to a file,
 * diff that file against the live store (a round trip, no change), then change some keys and diff two
 * files.
 */
async function worker(endpoint: string, dir: string): Promise<WorkerReport> {
  const host = endpoint.replace("http://", "");
  const uri = `etcd://${host}${PREFIX.slice(0, -1)}`;
  const fileA = join(dir, "a.ndjson");
  const fileB = join(dir, "b.ndjson");
  let t = performance.now();
  await saveSnapshot(await openStore(uri), fileA);
  const snapshotMs = performance.now() - t;
  t = performance.now();
  const roundTrip = await diffSnapshots(await loadSnapshot(fileA), await openStore(uri), {
    rules: [...DEFAULT_IGNORE_RULES],
  });
  const roundTripDiffMs = performance.now() - t;
  const client = new Etcd3({ hosts: [endpoint] });
  try {
    for (let i = 0; i < CHANGED; i++) await client.put(key(i * 997)).value(`${value(i * 997)}!`);
    await client.delete().key(key(1));
    await client.put(`${PREFIX}extra`).value("added");
  } finally {
    client.close();
  }
  await saveSnapshot(await openStore(uri), fileB);
  t = performance.now();
  const changed = await diffSnapshots(await loadSnapshot(fileA), await loadSnapshot(fileB), {
    rules: [...DEFAULT_IGNORE_RULES],
  });
  const changedDiffMs = performance.now() - t;
  const c = changed.counts;
  return {
    snapshotMs,
    roundTripDiffMs,
    roundTripDifferences: roundTrip.counts.missing + roundTrip.counts.unexpected + roundTrip.counts.changed,
    changedDiffMs,
    changedCounted: c.missing + c.unexpected + c.changed,
    // maxRSS is in kilobytes
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    fileMb: (await stat(fileA)).size / 1024 / 1024,
  };
}

function runWorker(endpoint: string, dir: string): Promise<WorkerReport> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--import", "tsx", self],
      {
        env: { ...process.env, STORESHIFT_BENCH_WORKER: JSON.stringify({ endpoint, dir }) },
        maxBuffer: 1 << 20,
      },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`snapshot-diff worker: ${err.message} ${stderr.slice(-400)}`));
        else resolve(JSON.parse(stdout) as WorkerReport);
      },
    );
  });
}

export const snapshotDiffBench: Bench = {
  name: "snapshot-diff",
  description: `snapshot of ${RECORDS} etcd keys to NDJSON and diffs of them (child process, its own peak RSS)`,
  async run() {
    const etcd = await startLocalEtcd({ name: "bench-snapshot", line: "current" });
    const dir = await makeTempDir("bench-snapshot");
    try {
      const client = new Etcd3({ hosts: etcd.endpoints });
      try {
        await seed(client, RECORDS);
      } finally {
        client.close();
      }
      const r = await runWorker(etcd.endpoints[0] ?? "", dir);
      if (r.roundTripDifferences !== 0)
        throw new Error(`round trip found ${r.roundTripDifferences} differences`);
      if (r.changedCounted !== CHANGED + 2)
        throw new Error(`expected ${CHANGED + 2} differences, got ${r.changedCounted}`);
      const bench = "snapshot-diff";
      const n = `${RECORDS / 1000}k`;
      const rows: BenchRow[] = [
        {
          bench,
          metric: `snapshot ${n} keys: etcd → NDJSON file`,
          value: r.snapshotMs / 1000,
          unit: "s",
          note: `${r.fileMb.toFixed(1)} MB file`,
        },
        {
          bench,
          metric: `diff ${n}: file vs live etcd (no change)`,
          value: r.roundTripDiffMs / 1000,
          unit: "s",
        },
        {
          bench,
          metric: `diff ${n}: file vs file, ${CHANGED + 2} differences`,
          value: r.changedDiffMs / 1000,
          unit: "s",
        },
        {
          bench,
          metric: `snapshot ${n} + diff against an earlier snapshot`,
          value: (r.snapshotMs + r.changedDiffMs) / 1000,
          unit: "s",
          target: "<= 2 s",
          note: "the migrate-then-verify path",
        },
        {
          bench,
          metric: "peak RSS of the snapshot/diff process",
          value: r.peakRssMb,
          unit: "MB",
          target: "<= 512 MB",
        },
      ];
      return rows;
    } finally {
      await etcd.stop();
      await removeDir(dir);
    }
  },
};

const workerArgs = process.env.STORESHIFT_BENCH_WORKER;
if (workerArgs) {
  const { endpoint, dir } = JSON.parse(workerArgs) as { endpoint: string; dir: string };
  process.stdout.write(JSON.stringify(await worker(endpoint, dir)));
}

import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Etcd3 } from "etcd3";
import { makeTempDir, removeDir } from "../src/common/temp.js";
import { startLocalEtcd } from "../src/providers/etcd/local-etcd.js";
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

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The worker runs the compiled code; build it from what is checked out. */
async function buildDist(): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"],
      { cwd: ROOT },
      (err, stdout) =>
        err ? reject(new Error(`snapshot-diff: build failed: ${stdout.slice(0, 400)}`)) : resolve(),
    );
  });
}

/**
 * The measured part runs in a child process (bench/snapshot-diff-worker.mjs, plain JavaScript on
 * dist/) so its peak RSS is its own: snapshot the store to a file, diff that file against the live store
 * (a round trip, no change), then change some keys and diff two files.
 */
function runWorker(endpoint: string, dir: string): Promise<WorkerReport> {
  const keys = {
    changed: Array.from({ length: CHANGED }, (_, i) => ({ key: key(i * 997), value: `${value(i * 997)}!` })),
    deleted: key(1),
    added: `${PREFIX}extra`,
  };
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(ROOT, "bench", "snapshot-diff-worker.mjs")],
      {
        env: {
          ...process.env,
          STORESHIFT_BENCH_WORKER: JSON.stringify({ endpoint, dir, prefix: PREFIX, changed: CHANGED, keys }),
        },
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
      await buildDist();
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
          target: "<= 1 s",
          note: "the migrate-then-verify path",
        },
        {
          bench,
          metric: "peak RSS of the snapshot/diff process",
          value: r.peakRssMb,
          unit: "MB",
          target: "<= 256 MB",
          note: "node on dist/, as the CLI runs",
        },
      ];
      return rows;
    } finally {
      await etcd.stop();
      await removeDir(dir);
    }
  },
};

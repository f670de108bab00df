import { stopAll } from "../src/common/cleanup.js";
import { binariesBench } from "./binaries.js";
import { calicoBench } from "./calico.js";
import { containersBench } from "./containers.js";
import { etcdV2V3Bench } from "./etcd-v2v3.js";
import { fuzzBench } from "./fuzz.js";
import { snapshotDiffBench } from "./snapshot-diff.js";
import { storesBench } from "./stores.js";
import { suiteBench } from "./suite.js";
import type { Bench, BenchRow } from "./types.js";

/**
 * `npm run bench [-- name...]`: runs the named benches (all by default) and prints one table.
 * Each bench measures both sides of its ratios in the same run, on this machine, now.
 */
const all: Bench[] = [
  storesBench,
  containersBench,
  snapshotDiffBench,
  etcdV2V3Bench,
  calicoBench,
  fuzzBench,
  suiteBench,
  binariesBench,
];

function format(rows: BenchRow[]): string {
  const header = ["bench", "metric", "value", "target", "note"];
  const body = rows.map((r) => [
    r.bench,
    r.metric,
    r.value === undefined || !Number.isFinite(r.value)
      ? "n/a"
      : `${r.value >= 100 ? Math.round(r.value) : r.value.toFixed(2)} ${r.unit}`,
    r.target ?? "",
    r.note ?? "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !all.some((b) => b.name === w));
if (unknown.length > 0) {
  process.stderr.write(
    `bench: unknown bench ${unknown.join(", ")}; have ${all.map((b) => b.name).join(", ")}\n`,
  );
  process.exit(2);
}
process.env.STORESHIFT_QUIET ??= "1";
const rows: BenchRow[] = [];
try {
  for (const bench of all.filter((b) => wanted.length === 0 || wanted.includes(b.name))) {
    process.stderr.write(`bench ${bench.name}: ${bench.description}\n`);
    rows.push(...(await bench.run()));
  }
} finally {
  await stopAll();
}
process.stdout.write(`${format(rows)}\n`);

import { fuzz } from "../src/input-fuzz/run.js";
import {
  calicoFixtureTarget,
  exportTarget,
  type FuzzTarget,
  snapshotTarget,
  v2FixtureTarget,
} from "../src/input-fuzz/targets.js";
import type { Bench, BenchRow } from "./types.js";

/**
 * The long fuzz run: the same targets and contract as test/unit/fuzz-*.test.ts, with many more
 * inputs (STORESHIFT_FUZZ_RUNS per target, default 5000). A failure throws with its seed.
 */
export const fuzzBench: Bench = {
  name: "fuzz",
  description: "fast-check inputs thrown at the input parsers; every one accepted or refused in one line",
  async run(): Promise<BenchRow[]> {
    const numRuns = Number(process.env.STORESHIFT_FUZZ_RUNS ?? 5000);
    const targets: FuzzTarget[] = [
      exportTarget(),
      calicoFixtureTarget(),
      v2FixtureTarget(),
      await snapshotTarget(),
    ];
    const rows: BenchRow[] = [];
    let total = 0;
    for (const target of targets) {
      const r = await fuzz(target, { numRuns });
      total += r.runs;
      process.stderr.write(
        `fuzz ${r.target}: ${r.runs} inputs tried in ${Math.round(r.ms)} ms (seed ${r.seed})\n`,
      );
      rows.push({
        bench: "fuzz",
        metric: `${r.target}: inputs tried`,
        value: r.runs,
        unit: "inputs",
        note: `seed ${r.seed}`,
      });
      rows.push({
        bench: "fuzz",
        metric: `${r.target}: rate`,
        value: (r.runs * 1000) / r.ms,
        unit: "inputs/s",
      });
    }
    rows.push({
      bench: "fuzz",
      metric: "inputs tried in total",
      value: total,
      unit: "inputs",
      target: ">= thousands",
    });
    return rows;
  },
};

import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { RunResult } from "../src/report/result.js";
import { type Bench, type BenchRow, timed } from "./types.js";

const run = promisify(execFile);
const cli = new URL("../bin/storeshift.js", import.meta.url).pathname;

async function suiteRun(reportDir: string, args: string[]): Promise<{ ms: number; result: RunResult }> {
  const { ms } = await timed(() =>
    run(process.execPath, [cli, "run", "--backend", "local", "--report-dir", reportDir, ...args], {
      env: { ...process.env, STORESHIFT_QUIET: "1" },
      maxBuffer: 1 << 26,
    }).catch((err: { code?: number }) => {
      // a failing scenario is still a finished run; only a run that could not start is fatal
      if (err.code !== 1) throw err;
    }),
  );
  const result = JSON.parse(await readFile(join(reportDir, "latest", "result.json"), "utf8")) as RunResult;
  return { ms, result };
}

export const suiteBench: Bench = {
  name: "suite",
  description: "the whole bundled suite on 2 cores: wall time with 1 and 2 workers",
  async run() {
    const dir = await mkdtemp(join(tmpdir(), "bench-suite-"));
    try {
      const one = await suiteRun(join(dir, "p1"), []);
      const two = await suiteRun(join(dir, "p2"), ["--parallel", "2"]);
      const count = one.result.scenarios.length;
      const rows: BenchRow[] = [
        {
          bench: "suite",
          metric: `bundled suite, 1 worker (${count} scenarios, ${one.result.totals.failed} failed)`,
          value: one.ms / 1000,
          unit: "s",
          target: "<= 180 s",
        },
        {
          bench: "suite",
          metric: `bundled suite, 2 workers (${two.result.totals.failed} failed)`,
          value: two.ms / 1000,
          unit: "s",
        },
        { bench: "suite", metric: "2 workers / 1 worker (ratio)", value: two.ms / one.ms, unit: "x" },
      ];
      return rows;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

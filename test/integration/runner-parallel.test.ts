import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { promisify } from "node:util";
import type { RunResult } from "../../src/report/result.js";

const run = promisify(execFile);
const cli = new URL("../../bin/storeshift.js", import.meta.url).pathname;
const reports = await mkdtemp(join(tmpdir(), "runner-parallel-"));
after(() => rm(reports, { recursive: true, force: true }));

async function smokeRun(dir: string, extra: string[]): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, STORESHIFT_QUIET: "1" };
  delete env.STORESHIFT_STEPS_DOCS_ONLY;
  await run(process.execPath, [cli, "run", "--tags", "@smoke", "--report-dir", dir, ...extra], {
    env,
    maxBuffer: 1 << 26,
  });
  return JSON.parse(await readFile(join(dir, "latest", "result.json"), "utf8")) as RunResult;
}

/** What must not depend on the worker count: which scenarios ran, how each ended, which checks they made. */
function outcome(result: RunResult): string[] {
  return result.scenarios
    .map(
      (s) =>
        `${s.feature} | ${s.name} | ${s.status} | ${s.checks.map((c) => `${c.name}=${c.status}`).join(",")}`,
    )
    .sort();
}

test("two workers give the same results as one on the @smoke suite", async () => {
  const one = await smokeRun(join(reports, "one"), ["--parallel", "1"]);
  const two = await smokeRun(join(reports, "two"), ["--parallel", "2"]);
  assert.ok(one.scenarios.length >= 5, `only ${one.scenarios.length} smoke scenarios ran`);
  assert.deepEqual(outcome(two), outcome(one));
  assert.deepEqual(two.totals, one.totals);
});

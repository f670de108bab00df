import assert from "node:assert/strict";
import { test } from "node:test";
import { fuzz } from "../../src/input-fuzz/run.js";
import { snapshotTarget } from "../../src/input-fuzz/targets.js";

test("snapshot loader: 1000 generated and mutated files, accepted or refused in one line", async () => {
  const r = await fuzz(await snapshotTarget(), { numRuns: 1000 });
  assert.equal(r.runs, 1000);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseParallel } from "../../src/cli/commands/run.js";
import { autoParallel } from "../../src/runner/run-suites.js";

test("--parallel auto: two workers for 8 or more scenarios on 2 or more cores, else one", () => {
  assert.equal(autoParallel(61, 2), 2);
  assert.equal(autoParallel(8, 2), 2);
  assert.equal(autoParallel(7, 2), 1);
  assert.equal(autoParallel(61, 1), 1);
  assert.equal(autoParallel(61, 16), 2);
  assert.equal(parseParallel("auto"), "auto");
  assert.equal(parseParallel("3"), 3);
  assert.throws(() => parseParallel("0"), /expected auto or 1\.\.32/);
});

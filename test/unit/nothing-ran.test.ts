import assert from "node:assert/strict";
import { test } from "node:test";
import type { ScenarioResult } from "../../src/report/result.js";
import { nothingRan } from "../../src/runner/run-suites.js";

function scenario(status: ScenarioResult["status"], reason?: string): ScenarioResult {
  return {
    id: status,
    name: status,
    feature: "f.feature",
    tags: [],
    status,
    reason,
    durationMs: 0,
    phases: [],
    checks: [],
  };
}

test("a run proved something when at least one scenario passed or failed", () => {
  assert.equal(nothingRan([scenario("passed"), scenario("not-run", "needs Docker")]), undefined);
  assert.equal(nothingRan([scenario("failed"), scenario("not-run", "needs Docker")]), undefined);
});

test("a run where every scenario was not run names each reason once, with how many it stopped", () => {
  const why = nothingRan([
    scenario("not-run", "needs Docker"),
    scenario("not-run", "needs Docker"),
    scenario("not-run", "needs a real calicoctl"),
    scenario("skipped"),
  ]);
  assert.equal(
    why,
    "run: nothing ran: all 4 selected scenario(s) were not run (2× needs Docker; needs a real calicoctl; skipped by cucumber); --allow-not-run accepts that",
  );
  assert.match(nothingRan([]) ?? "", /no scenario was selected/);
});

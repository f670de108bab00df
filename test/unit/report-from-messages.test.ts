import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { type Envelope, SCENARIO_MEDIA_TYPE, ScenarioCollector } from "../../src/report/from-messages.js";

/**
 * A real message stream, recorded from `cucumber-js --format message` in a project that installed the
 * packed storeshift: one scenario passes, one has a step nobody defined, one fails an etcd check.
 */
const recorded: Envelope[] = readFileSync(
  new URL("../fixtures/messages/consumer-run.ndjson", import.meta.url),
  "utf8",
)
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l) as Envelope);

function collect(envelopes: Envelope[]) {
  const c = new ScenarioCollector();
  for (const e of envelopes) c.add(e);
  return c.results();
}

describe("scenario results from cucumber's messages", () => {
  it("reports every scenario with cucumber's verdict, naming an undefined step and the failed check", () => {
    const results = collect(recorded);
    const byName = new Map(results.map((r) => [r.name, r]));
    assert.equal(results.length, 3);
    assert.equal(byName.get("own step and library step")?.status, "passed");
    const undefinedStep = byName.get("a step nobody wrote");
    assert.equal(undefinedStep?.status, "failed");
    assert.equal(
      undefinedStep?.reason,
      'undefined step "the moon is made of cheese": no step definition matches it',
    );
    const differs = byName.get("a value that differs");
    assert.equal(differs?.status, "failed");
    assert.match(differs?.reason ?? "", /etcd target key \/c\/k — 'v' !== 'w'/);
    assert.equal(differs?.feature, "features/own.feature");
    assert.ok((differs?.durationMs ?? -1) >= 0);
  });

  it("takes phases and checks from the scenario's attachment, and keeps a not-run verdict", () => {
    const started = recorded.find((e) => e.testCaseStarted)?.testCaseStarted;
    assert.ok(started);
    const body = JSON.stringify({
      id: "custom-id",
      status: "passed",
      phases: [{ name: "provision etcd target", status: "passed", durationMs: 1400 }],
      checks: [{ name: "etcd has the key", status: "passed" }],
      seeds: { fixture: 7 },
    });
    const withAttachment = [
      ...recorded,
      { attachment: { testCaseStartedId: started.id, mediaType: SCENARIO_MEDIA_TYPE, body } },
    ];
    const result = collect(withAttachment).find((r) => r.id === "custom-id");
    assert.ok(result, "the attachment's record was not used");
    assert.equal(result.phases[0]?.name, "provision etcd target");
    assert.equal(result.checks[0]?.name, "etcd has the key");
    assert.deepEqual(result.seeds, { fixture: 7 });
  });

  it("a failed step outranks a record that claims the scenario passed", () => {
    const failedStart = recorded.find(
      (e) => e.testStepFinished?.testStepResult.status === "FAILED" && e.testStepFinished.testCaseStartedId,
    )?.testStepFinished?.testCaseStartedId;
    assert.ok(failedStart);
    const body = JSON.stringify({ id: "claims-pass", status: "passed", phases: [], checks: [] });
    const results = collect([
      ...recorded,
      { attachment: { testCaseStartedId: failedStart, mediaType: SCENARIO_MEDIA_TYPE, body } },
    ]);
    assert.equal(results.find((r) => r.id === "claims-pass")?.status, "failed");
  });

  it("an attempt that cucumber will retry is not a result", () => {
    const retried = recorded.map((e) =>
      e.testCaseFinished ? { testCaseFinished: { ...e.testCaseFinished, willBeRetried: true } } : e,
    );
    assert.equal(collect(retried).length, 0);
  });
});

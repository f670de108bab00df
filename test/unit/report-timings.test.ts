import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { type Envelope, ScenarioCollector } from "../../src/report/from-messages.js";
import { renderHtml } from "../../src/report/html.js";
import { renderMarkdown } from "../../src/report/markdown.js";
import type { RunResult } from "../../src/report/result.js";
import { runTimings } from "../../src/report/timings.js";
import { sampleRunResult } from "./report-fixture.js";

const recorded: Envelope[] = readFileSync(
  new URL("../fixtures/messages/consumer-run.ndjson", import.meta.url),
  "utf8",
)
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l) as Envelope);

function withTimings(): RunResult {
  const r = sampleRunResult();
  const [a, b] = r.scenarios;
  assert.ok(a && b);
  a.phases = [
    { name: "import", status: "passed", durationMs: 3000 },
    { name: "rollback", status: "passed", durationMs: 500 },
  ];
  b.phases = [
    { name: "import", status: "passed", durationMs: 7000 },
    { name: "heal faults", status: "passed", durationMs: 35_000 },
  ];
  a.steps = [
    { text: "hook (before)", status: "PASSED", durationMs: 5 },
    { text: "I import the export into Kubernetes", status: "PASSED", durationMs: 3100 },
    { text: "hook (after)", status: "PASSED", durationMs: 900 },
  ];
  b.steps = [{ text: "When the faults heal", status: "PASSED", durationMs: 35_100 }];
  r.scenarios = [a, b];
  return r;
}

describe("where the run's time went", () => {
  it("takes each step's and hook's duration from cucumber's messages, naming hooks by where they ran", () => {
    const c = new ScenarioCollector();
    for (const e of recorded) c.add(e);
    const first = c.results().find((r) => r.name === "own step and library step");
    // values read off test/fixtures/messages/consumer-run.ndjson by hand
    assert.deepEqual(first?.steps, [
      { text: "hook (before)", status: "PASSED", durationMs: 62 },
      { text: 'an etcd 3.6 store "target"', status: "PASSED", durationMs: 768 },
      { text: 'I put "/c/k" = "v" into etcd "target"', status: "PASSED", durationMs: 462 },
      { text: 'etcd "target" has "/c/k" = "v"', status: "PASSED", durationMs: 145 },
      { text: "my own step says hello", status: "PASSED", durationMs: 36 },
      { text: "hook (after)", status: "PASSED", durationMs: 164 },
    ]);
  });

  it("sums phases by name over scenarios, longest total first, and lists the slowest steps", () => {
    const t = runTimings(withTimings(), 2);
    assert.deepEqual(t.phases, [
      { name: "heal faults", count: 1, totalMs: 35_000, maxMs: 35_000 },
      { name: "import", count: 2, totalMs: 10_000, maxMs: 7000 },
      { name: "rollback", count: 1, totalMs: 500, maxMs: 500 },
    ]);
    assert.deepEqual(
      t.slowest.map((s) => [s.text, s.durationMs]),
      [
        ["When the faults heal", 35_100],
        ["I import the export into Kubernetes", 3100],
      ],
    );
  });

  it("renders the section in summary.md and report.html, and leaves it out when nothing was timed", () => {
    const md = renderMarkdown(withTimings());
    assert.match(md, /### Where the time went/);
    assert.match(md, /\| heal faults \| 1 \| 35\.0 s \| 35\.0 s \|/);
    assert.match(md, /\| import \| 2 \| 10\.0 s \| 7\.0 s \|/);
    assert.match(md, /\| When the faults heal \| .* \| 35\.1 s \|/);
    const html = renderHtml(withTimings());
    assert.match(html, /<section id="timings">/);
    assert.match(html, /<td>heal faults<\/td><td class="num">1<\/td><td class="num">35\.0 s<\/td>/);
    const bare = sampleRunResult();
    for (const s of bare.scenarios) {
      s.phases = [];
      s.steps = undefined;
    }
    assert.doesNotMatch(renderMarkdown(bare), /Where the time went/);
    assert.doesNotMatch(renderHtml(bare), /id="timings"/);
  });
});

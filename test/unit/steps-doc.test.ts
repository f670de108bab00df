import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { renderStepsDoc } from "../../steps/support/steps-doc.js";

// collect the phrases without registering them: cucumber refuses registrations outside a run
process.env.STORESHIFT_STEPS_DOCS_ONLY = "1";
const { stepDocs } = await import("../../steps/index.js");

test("docs/steps.md is what the step definitions generate (run `npm run docs:steps` when this fails)", async () => {
  const current = await readFile(new URL("../../docs/steps.md", import.meta.url), "utf8");
  assert.equal(current, renderStepsDoc(stepDocs));
});

test("every step has an example that uses its own keyword, and phrases are unique", () => {
  const phrases = stepDocs.map((d) => d.phrase);
  assert.equal(new Set(phrases).size, phrases.length, "duplicate step phrase");
  for (const d of stepDocs) {
    assert.ok(
      d.example.startsWith(`${d.keyword} `) || d.example.startsWith("And "),
      `example of "${d.phrase}"`,
    );
    assert.ok(d.doc.length > 10, `doc of "${d.phrase}"`);
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseExport } from "../../src/calico/export/format.js";
import { fuzz } from "../../src/input-fuzz/run.js";
import { exportTarget, validExportText } from "../../src/input-fuzz/targets.js";

test("the base export file parses (so mutations start from something valid)", () => {
  const parsed = parseExport(validExportText(), "base.yaml");
  assert.ok(parsed.resources.length > 10);
  assert.ok((parsed.ipam.blocks ?? []).length > 0);
});

test("calico export parser: 1000 generated and mutated files, accepted or refused in one line", async () => {
  const r = await fuzz(exportTarget(), { numRuns: 1000 });
  assert.equal(r.runs, 1000);
});

test("regression found by fuzzing: an alias without its anchor is a one-line InputError", () => {
  const text = `${validExportText().replace("kind: IPPool", "kind: *missing")}`;
  assert.throws(
    () => parseExport(text, "alias.yaml"),
    (err: Error) => err.name === "InputError" && /alias\.yaml.*line \d+.*alias/i.test(err.message),
  );
});

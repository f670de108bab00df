import assert from "node:assert/strict";
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { prettyJsonChunks, readJsonFile, writeJsonFile } from "../../src/common/json-file.js";

// the oracle is JSON.stringify(value, null, 2) of the whole value
test("streamed pretty JSON is byte for byte JSON.stringify(value, null, 2), long arrays included", () => {
  const longArray = fc.array(fc.jsonValue(), { minLength: 65, maxLength: 120 });
  const doc = fc.dictionary(fc.string(), fc.oneof(fc.jsonValue(), longArray, fc.constant(undefined)));
  fc.assert(
    fc.property(fc.oneof(doc, longArray, fc.jsonValue()), (value) => {
      assert.equal([...prettyJsonChunks(value)].join(""), JSON.stringify(value, null, 2));
    }),
    { numRuns: 200 },
  );
});

test("writeJsonFile then readJsonFile round-trips a result-sized document", async () => {
  const path = join(tmpdir(), `json-file-test-${process.pid}.json`);
  const value = {
    kind: "online",
    migrated: Array.from({ length: 20_000 }, (_, i) => ({ key: `/k/${i}\n"é`, revision: i, lease: "0" })),
    empty: [],
    nested: { a: [1, 2, { b: null }] },
  };
  try {
    await writeJsonFile(path, value);
    assert.equal(await readFile(path, "utf8"), `${JSON.stringify(value, null, 2)}\n`);
    assert.deepEqual(await readJsonFile(path), value);
  } finally {
    await rm(path, { force: true });
  }
});

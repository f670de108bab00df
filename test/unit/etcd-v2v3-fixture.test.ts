import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { generateSets, loadFixture, parseFixture } from "../../src/etcd-v2v3/fixture.js";

const FIXTURES = join(import.meta.dirname, "../../fixtures/etcd-v2");

test("every bundled fixture loads", async () => {
  const files = (await readdir(FIXTURES)).filter((f) => f.endsWith(".yaml"));
  assert.ok(files.length >= 6);
  for (const f of files) {
    const fixture = await loadFixture(join(FIXTURES, f));
    assert.equal(fixture.name, f.replace(/\.yaml$/, ""));
  }
  const shapes = await loadFixture(join(FIXTURES, "shapes.yaml"));
  assert.deepEqual(shapes.includeHidden, ["/_hidden", "/_hdir", "/app/_secret"]);
  const oversize = await loadFixture(join(FIXTURES, "oversize.yaml"));
  const huge = oversize.steps.find((s) => s.op === "set" && s.key === "/huge");
  assert.equal(huge?.op === "set" ? huge.value.length : 0, 1_600_000);
});

test("fixture errors are one line naming the file, the step and its line", () => {
  const cases: [string, RegExp][] = [
    [
      "steps:\n  - set: /a\n    value: 1\n",
      /^load v2 fixture f\.yaml:2 \(steps\[0\]\): value must be a string \(quote numbers\), got number$/,
    ],
    [
      "steps:\n  - set: /a\n  - mkdir: /b\n    set: /c\n",
      /^load v2 fixture f\.yaml:3 \(steps\[1\]\): a step needs exactly one of set, update, mkdir, append, rm, generate$/,
    ],
    [
      "steps:\n  - set: /a\n    ttl: -1\n",
      /f\.yaml:2 \(steps\[0\]\): ttl must be a whole number >= 1, got -1$/,
    ],
    ["description: x\n", /^load v2 fixture f\.yaml: needs a `steps:` list$/],
    ["steps: [\n", /^load v2 fixture f\.yaml:\d+:\d+: /],
    ["steps:\n  - generate: { keys: 10, dirs: 0 }\n", /generate\.dirs must be a whole number >= 1, got 0$/],
  ];
  for (const [text, pattern] of cases) {
    assert.throws(
      () => parseFixture(text, "f.yaml"),
      (err: Error) => {
        assert.match(err.message, pattern);
        assert.equal(err.message.includes("\n"), false);
        assert.equal((err as { exitCode?: number }).exitCode, 2);
        return true;
      },
    );
  }
});

test("generator: same seed, same keys and values; N keys over at most M dirs; another seed differs", () => {
  const spec = { op: "generate" as const, keys: 1000, dirs: 7, seed: 99, valueBytes: 16, prefix: "/gen" };
  const a = generateSets(spec);
  assert.deepEqual(generateSets(spec), a);
  assert.equal(a.length, 1000);
  assert.equal(new Set(a.map((s) => s.key)).size, 1000);
  const dirs = new Set(a.map((s) => s.key.split("/")[2]));
  assert.ok(dirs.size <= 7 && dirs.size >= 5);
  assert.ok(a.every((s) => s.value.length === 16 && /^[A-Za-z0-9]+$/.test(s.value)));
  assert.notDeepEqual(generateSets({ ...spec, seed: 100 }), a);
});

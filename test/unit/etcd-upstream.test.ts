import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { JUDGES } from "../../src/etcd-upstream/cases.js";
import { classifyLayout } from "../../src/etcd-upstream/cluster-ops.js";
import { asOutcome, settle } from "../../src/etcd-upstream/verdict.js";
import { loadFixture, parseFixture } from "../../src/etcd-v2v3/fixture.js";
import { loadExpectedTree } from "../../src/etcd-v3-oracle/index.js";

const ROOT = join(import.meta.dirname, "../..");
const FIXTURES = join(ROOT, "fixtures/upstream/etcd");

test("every upstream etcd fixture and expected tree loads", async () => {
  const files = (await readdir(FIXTURES)).filter((f) => f.endsWith(".yaml"));
  assert.ok(files.length >= 12);
  for (const f of files) await loadFixture(join(FIXTURES, f));
  for (const f of (await readdir(join(FIXTURES, "expected"))).filter((x) => x.endsWith(".yaml")))
    await loadExpectedTree(join(FIXTURES, "expected", f));
});

test("hex values are raw bytes and update is its own step", () => {
  const f = parseFixture(
    'steps:\n  - set: /bin\n    hex: "61 ff 00"\n  - update: /bin\n    value: x\n',
    "f.yaml",
  );
  const [set, update] = f.steps;
  assert.ok(set?.op === "set" && set.bytes);
  assert.deepEqual([...(set.op === "set" ? (set.bytes ?? []) : [])], [0x61, 0xff, 0x00]);
  assert.deepEqual(update, { op: "update", key: "/bin", value: "x" });
  assert.throws(
    () => parseFixture('steps:\n  - set: /b\n    hex: "6"\n', "g.yaml"),
    /g\.yaml:2 .*hex must be pairs/,
  );
  assert.throws(
    () => parseFixture('steps:\n  - set: /b\n    hex: "61"\n    value: a\n', "h.yaml"),
    /one of value, repeat or hex/,
  );
});

test("the real tool's outcome is recorded as observed and never fails the scenario", () => {
  const tool = { name: "etcdctl migrate", version: "3.4.23", storeshift: false };
  const fixedUpstream = settle("E-06", tool, "reproduced", { outcome: "not-reproduced", detail: "d" });
  assert.equal(fixedUpstream.failure, undefined);
  assert.equal(fixedUpstream.verdict.outcome, "not-reproduced");
  assert.match(fixedUpstream.verdict.detail, /expected reproduced/);
  assert.equal(settle("E-10", tool, "reproduced", { outcome: "reproduced", detail: "d" }).failure, undefined);
});

test("storeshift showing the upstream bug fails the scenario", () => {
  const tool = { name: "storeshift online", storeshift: true };
  const bad = settle("E-10", tool, "fixed-by-storeshift", { outcome: "reproduced", detail: "lost /v3/c" });
  assert.match(bad.failure ?? "", /E-10.*storeshift online.*lost \/v3\/c/);
  assert.equal(bad.verdict.outcome, "reproduced");
  assert.equal(
    settle("E-10", tool, "fixed-by-storeshift", { outcome: "fixed-by-storeshift", detail: "" }).failure,
    undefined,
  );
  assert.throws(() => asOutcome("fixed"), /not an upstream-case outcome/);
});

test("the feature's case tags have judges, and E-09/E-12/E-13 are left to features/lifecycle", async () => {
  const feature = await readFile(join(ROOT, "features/upstream/etcd.feature"), "utf8");
  const tags = new Set([...feature.matchAll(/@(E-\d\d)/g)].map((m) => m[1]));
  for (const id of tags) assert.ok(id && JUDGES[id], `${id} has no judge`);
  for (const id of ["E-09", "E-12", "E-13"]) assert.ok(!tags.has(id), `${id} belongs to features/lifecycle`);
  assert.equal(tags.size, 13);
});

test("storage layouts: no .snap, a .snap with later WAL entries, a .snap at most one entry behind", () => {
  assert.equal(classifyLayout(0, 16), "WAL only");
  assert.equal(classifyLayout(12, 16), "WAL and snapshot");
  assert.equal(classifyLayout(14, 16), "WAL and snapshot");
  assert.equal(classifyLayout(15, 16), "fresh snapshot");
  assert.equal(classifyLayout(16, 16), "fresh snapshot");
});

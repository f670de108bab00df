import assert from "node:assert/strict";
import { test } from "node:test";
import { Produced, ProducedByName } from "../../steps/support/produced.js";
import { ScenarioRecord } from "../../steps/support/scenario-record.js";

test("reading a value no earlier step produced names what is missing and the step that produces it", () => {
  const exportText = new Produced<string>("Calico export", "When I export the etcd datastore");
  assert.equal(exportText.peek(), undefined);
  assert.throws(
    () => exportText.get(),
    /^Error: no Calico export in this scenario; add "When I export the etcd datastore" before$/,
  );
  exportText.set("text");
  assert.equal(exportText.get(), "text");
  exportText.clear();
  assert.equal(exportText.has(), false);

  const snapshots = new ProducedByName<string>("snapshot", 'When I snapshot … as "…"');
  snapshots.set("before", "/tmp/before.ndjson");
  assert.equal(snapshots.get("before"), "/tmp/before.ndjson");
  assert.throws(() => snapshots.get("after"), /no snapshot "after" in this scenario; add "When I snapshot/);
});

test("expectCheck records the check and throws naming it and its first counting differences", () => {
  const record = new ScenarioRecord();
  record.expectCheck("all equal", [], "3 keys");
  assert.deepEqual(
    record.checks.map((c) => [c.name, c.status, c.message]),
    [["all equal", "passed", "3 keys"]],
  );
  assert.throws(
    () =>
      record.expectCheck(
        "etcd source unchanged",
        [
          { class: "accounted", id: "etcd:/a", kind: "etcd", path: "", rule: "r" },
          { class: "missing", id: "etcd:/b", kind: "etcd", path: "" },
          { class: "changed", id: "etcd:/c", kind: "etcd", path: "value", note: "byte 3" },
        ],
        "not shown when it fails",
      ),
    (err: Error) =>
      err.message ===
      "etcd source unchanged: 2 difference(s); first: missing etcd:/b [etcd]; changed etcd:/c value [etcd] (byte 3)",
  );
  assert.equal(record.checks[1]?.status, "failed");
  assert.equal(record.checks[1]?.differences?.length, 3);
  // accounted differences alone pass
  record.expectCheck("only accounted", [{ class: "accounted", id: "x", kind: "k", path: "" }], "named");
  assert.equal(record.checks[2]?.status, "passed");
});

test("expect records a check built elsewhere and throws with its message when it failed", () => {
  const record = new ScenarioRecord();
  assert.throws(
    () => record.expect({ name: "golden target a.yaml", status: "failed", message: "1 finding(s): x" }),
    /^Error: golden target a\.yaml: 1 finding\(s\): x$/,
  );
  assert.equal(record.checks.length, 1);
});

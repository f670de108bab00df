import assert from "node:assert/strict";
import { test } from "node:test";
import type { OnlineMigrationResult } from "../../src/etcd-v2v3/online.js";
import { LegacyVars } from "../../steps/support/legacy-vars.js";
import { Produced, ProducedByName } from "../../steps/support/produced.js";
import { ScenarioRecord } from "../../steps/support/scenario-record.js";
import { CalicoState, EtcdMigrationState, FaultsState } from "../../steps/support/scenario-state.js";

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

test("the deprecated vars bag shares the keys faults.steps.ts reads with the typed fields", () => {
  const calico = new CalicoState();
  const migrations = new EtcdMigrationState();
  const snapshots = new ProducedByName<string>("snapshot", "When I snapshot");
  const faults = new FaultsState();
  const vars = new LegacyVars({ calico, migrations, snapshots, faults });

  calico.source.set("source");
  calico.exportText.set("exported");
  snapshots.set("undisturbed", "/tmp/u.ndjson");
  assert.equal(vars.get("calico:source"), "source");
  assert.equal(vars.get("calico:export"), "exported");
  assert.equal(vars.get("snapshot:undisturbed"), "/tmp/u.ndjson");
  assert.equal(vars.has("calico:fixture"), false);

  const result = { migrated: [] } as unknown as OnlineMigrationResult;
  vars.set("etcd:online:source", result);
  vars.set("snapshot:again", "/tmp/a.ndjson");
  vars.set("calico:export", "again");
  assert.equal(migrations.online.get("source"), result);
  assert.equal(snapshots.get("again"), "/tmp/a.ndjson");
  assert.equal(calico.exportText.get(), "again");

  vars.set("etcd:offline:source", { backups: [] });
  assert.equal(vars.delete("etcd:offline:source"), true);
  assert.equal(migrations.offline.has("source"), false);

  // faults.steps.ts's own keys are the World's typed faults fields too
  vars.set("faults:batch:source", 32);
  vars.set("faults:attempt", { phase: "import", ms: 5 });
  assert.equal(faults.batches.get("source"), 32);
  assert.equal(faults.lastAttempt.get().phase, "import");
  assert.equal(vars.has("faults"), false);
  // any other key stays in the bag
  vars.set("project:thing", 1);
  assert.equal(vars.get("project:thing"), 1);
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

import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { makeTempDir, removeDir } from "../../src/common/temp.js";
import { saveSnapshot, snapshotFromRecords } from "../../src/snapshot/file.js";
import type { SnapshotHeader, SnapshotRecord } from "../../src/snapshot/record.js";
import { runCli } from "./snapshot-cli.helper.js";

function v3(key: string, value: string, modRevision: number): SnapshotRecord {
  return {
    id: key,
    kind: key.split("/")[1] ?? "",
    createRevision: 2,
    key,
    lease: "0",
    modRevision,
    value,
    version: 1,
  };
}

const v3Header: SnapshotHeader = {
  storeshiftSnapshot: 1,
  format: "etcd-v3",
  store: "saved",
  capturedAt: "t",
};

describe("storeshift diff on saved snapshots", () => {
  let dir: string;
  let before_: string;
  let after_: string;

  before(async () => {
    dir = await makeTempDir("diff-cli-test");
    before_ = join(dir, "before.ndjson");
    after_ = join(dir, "after.ndjson");
    await saveSnapshot(
      snapshotFromRecords(v3Header, [
        v3("/app/a", "1", 2),
        v3("/app/b", "2", 3),
        v3("/app/stamp", "t1", 4),
        v3("/app/z", "gone", 5),
      ]),
      before_,
    );
    await saveSnapshot(
      snapshotFromRecords(v3Header, [
        v3("/app/a", "1", 9),
        v3("/app/b", "3", 10),
        v3("/app/new", "n", 11),
        v3("/app/stamp", "t2", 12),
      ]),
      after_,
    );
  });

  after(async () => {
    if (dir) await removeDir(dir);
  });

  it("explains every class; user rules from a config file account for what they cover; reports are written", async () => {
    const config = join(dir, "rules.yaml");
    await writeFile(
      config,
      [
        "ignore:",
        "  rules:",
        "    - name: team/stamp-rewritten",
        "      description: the stamp key is rewritten by a cron job",
        '      ids: ["/app/stamp"]',
        "      paths: [value]",
      ].join("\n"),
    );
    const reportDir = join(dir, "report");
    const run = await runCli([
      "diff",
      `file:${before_}`,
      `file:${after_}`,
      "--ignore",
      config,
      "--report",
      reportDir,
      "--show-accounted",
    ]);
    assert.equal(run.code, 1, run.stderr);
    const lines = run.stdout.trim().split("\n");
    assert.deepEqual(
      lines.map((l) => l.split(/\s+/).slice(0, 3).join(" ")),
      [
        "accounted app /app/a",
        "accounted app /app/b", // modRevision, before value: paths in order
        "changed app /app/b",
        "unexpected app /app/new",
        "accounted app /app/stamp",
        "accounted app /app/stamp",
        "missing app /app/z",
        "DIFFERENT: 1 missing,",
        "accounted by rule:",
      ],
    );
    assert.match(run.stdout, /accounted +app +\/app\/stamp value \[team\/stamp-rewritten\]/);
    assert.match(run.stdout, /accounted by rule: etcd-revisions 3, team\/stamp-rewritten 1/);
    const result = JSON.parse(await readFile(join(reportDir, "result.json"), "utf8"));
    assert.equal(result.schemaVersion, 1);
    assert.equal(result.scenarios[0].status, "failed");
    assert.deepEqual(result.totals, { passed: 0, failed: 1, skipped: 0, notRun: 0 });
    const rule = result.rules.find((r: { name: string }) => r.name === "team/stamp-rewritten");
    assert.equal(rule.source, config);
    assert.match(await readFile(join(reportDir, "junit.xml"), "utf8"), /<failure type="difference"/);
    assert.match(await readFile(join(reportDir, "summary.md"), "utf8"), /missing +app +\/app\/z/);
  });

  it("same snapshot twice: exit 0; --no-default-ignores makes revisions count", async () => {
    assert.equal((await runCli(["diff", `file:${before_}`, `file:${before_}`])).code, 0);
    const strict = await runCli([
      "diff",
      `file:${before_}`,
      `file:${after_}`,
      "--no-default-ignores",
      "--json",
    ]);
    assert.equal(strict.code, 1);
    const json = JSON.parse(strict.stdout);
    assert.ok(
      json.differences.some(
        (d: { path: string; class: string }) => d.path === "modRevision" && d.class === "changed",
      ),
    );
  });

  it("bad input exits 2 with one line: unknown mapping, unknown rule name, malformed config", async () => {
    const unknownMapping = await runCli(["diff", `file:${before_}`, `file:${after_}`, "--mapping", "nope"]);
    assert.equal(unknownMapping.code, 2);
    assert.match(
      unknownMapping.stderr,
      /^storeshift: mapping "nope": unknown; known mappings: .*identity.*\n$/,
    );
    const cfg = join(dir, "bad.yaml");
    await writeFile(cfg, "ignore:\n  disable: [no-such-rule]\n");
    const unknownRule = await runCli(["diff", `file:${before_}`, `file:${after_}`, "--ignore", cfg]);
    assert.equal(unknownRule.code, 2);
    assert.match(unknownRule.stderr, /ignore\.disable: no rule named "no-such-rule"/);
    await writeFile(cfg, "ignore:\n  rules:\n    - description: no name\n");
    const noName = await runCli(["diff", `file:${before_}`, `file:${after_}`, "--ignore", cfg]);
    assert.equal(noName.code, 2);
    assert.match(noName.stderr, /bad\.yaml: ignore\.rules\[0\]: needs a name/);
    assert.equal(noName.stderr.trim().split("\n").length, 1);
  });

  it("a migration's mapping plugs in by name: etcd v2 records mapped to the v3 keys they become", async () => {
    const v2File = join(dir, "v2.ndjson");
    const v2Header: SnapshotHeader = {
      storeshiftSnapshot: 1,
      format: "etcd-v2",
      store: "saved-v2",
      capturedAt: "t",
    };
    await saveSnapshot(
      snapshotFromRecords(v2Header, [
        { id: "/app", kind: "dir", createdIndex: 4, dir: true, key: "/app", modifiedIndex: 4 },
        {
          id: "/app/a",
          kind: "leaf",
          createdIndex: 5,
          dir: false,
          key: "/app/a",
          modifiedIndex: 5,
          value: "1",
        },
        {
          id: "/app/b",
          kind: "leaf",
          createdIndex: 6,
          dir: false,
          key: "/app/b",
          modifiedIndex: 6,
          value: "2",
        },
      ]),
      v2File,
    );
    const v3File = join(dir, "v3.ndjson");
    await saveSnapshot(snapshotFromRecords(v3Header, [v3("/app/a", "1", 7), v3("/app/b", "2", 8)]), v3File);
    const run = await runCli([
      "diff",
      `file:${v2File}`,
      `file:${v3File}`,
      "--mapping",
      "etcd-v2v3-online",
      "--show-accounted",
    ]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^SAME: 0 missing, 0 unexpected, 0 changed/m);
    assert.match(run.stdout, /accounted +dir +\/app \[etcd-v2v3\/directory-not-migrated\]/);
  });
});

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { diffText } from "../../src/report/format.js";
import { renderHtml } from "../../src/report/html.js";
import { junitOutcome, renderJunit, xmlEscape } from "../../src/report/junit.js";
import { renderMarkdown } from "../../src/report/markdown.js";
import { makeRedactor, REDACTED, redactDifference, redactRunResult } from "../../src/report/redact.js";
import type { ScenarioResult } from "../../src/report/result.js";
import { readRunResult, writeReports } from "../../src/report/write.js";
import { sampleRunResult } from "./report-fixture.js";

describe("redaction", () => {
  const redacted = redactRunResult(sampleRunResult());
  const diffs = redacted.scenarios[0]?.checks[0]?.differences ?? [];

  it("hides values under secret-looking keys and Secret data, keeping ids, paths and that they changed", () => {
    const password = diffs.find((d) => d.id === "/app/db-password");
    assert.equal(password?.expected, `${REDACTED} (before)`);
    assert.equal(password?.actual, `${REDACTED} (after)`);
    assert.equal(password?.note, "values differ (redacted)", "byte notes would leak the bytes");
    const token = diffs.find((d) => d.id === "/registry/secrets/default/db");
    assert.equal(token?.expected, `${REDACTED} (before)`);
    const nested = diffs.find((d) => d.class === "unexpected");
    assert.deepEqual(nested?.actual, {
      spec: { nets: ["1.2.3.4/32"] },
      metadata: { annotations: { apiToken: REDACTED } },
    });
    assert.equal(diffs.find((d) => d.path === "spec.blockSize")?.actual, 24, "ordinary values stay");
    assert.deepEqual(redacted.redaction?.enabled, true);
  });

  it("keeps a whole Secret's metadata readable and hides the rest; user patterns add to the defaults", () => {
    const redactor = makeRedactor({ patterns: ["^cidr$"] });
    const secret = redactDifference(
      {
        class: "missing",
        id: "/registry/secrets/ns/s",
        kind: "secrets",
        path: "",
        expected: { object: { metadata: { name: "s" }, data: { a: "Yg==" } } },
      },
      redactor,
    );
    assert.deepEqual(secret.expected, { object: { metadata: { name: "s" }, data: REDACTED } });
    const cidr = redactDifference(
      {
        class: "changed",
        id: "x",
        kind: "IPPool",
        path: "spec.cidr",
        expected: "10.0.0.0/8",
        actual: "10.0.0.0/9",
      },
      redactor,
    );
    assert.equal(cidr.expected, `${REDACTED} (before)`);
    const off = redactRunResult(sampleRunResult(), { enabled: false });
    assert.equal(
      off.scenarios[0]?.checks[0]?.differences?.find((d) => d.id === "/app/db-password")?.expected,
      "hunter2",
    );
    assert.equal(off.redaction?.enabled, false);
  });
});

describe("junit.xml", () => {
  const xml = renderJunit(redactRunResult(sampleRunResult()));

  it("has one testcase per scenario grouped by feature, failures with the diff summary, not-run as skipped", () => {
    assert.match(
      xml,
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="storeshift [^"]+" tests="3" failures="1" errors="0" skipped="1"/,
    );
    assert.equal((xml.match(/<testcase /g) ?? []).length, 3);
    assert.equal((xml.match(/<testsuite /g) ?? []).length, 2);
    assert.match(
      xml,
      /<failure type="difference" message="target matches the mapped source: 1 missing, 1 unexpected, 2 changed/,
    );
    assert.match(xml, /missing +NetworkPolicy +projectcalico.org\/v3\/NetworkPolicy\/ns1\/allow-dns/);
    assert.match(xml, /changed +IPPool +projectcalico.org\/v3\/IPPool\/pool-a spec.blockSize: 26 → 24/);
    assert.match(xml, /<skipped message="needs Docker: no Docker engine"\/>/);
    assert.match(xml, /classname="etcd-v2v3 &amp; rollback"/);
    assert.ok(!xml.includes("<script>"), "markup in ids is escaped");
    assert.ok(!xml.includes("hunter2"));
  });

  it("reports a test bed that broke before a verdict as an error, not a failure", () => {
    const run = sampleRunResult();
    run.scenarios.push({
      id: "etcd-start-1",
      name: "etcd never came up",
      feature: "etcd-v2v3",
      tags: [],
      status: "failed",
      durationMs: 3000,
      phases: [{ name: "provision etcd source", status: "failed", durationMs: 3000, message: "exit 1" }],
      checks: [],
    });
    run.totals.failed++;
    const out = renderJunit(run);
    assert.match(out, /<testsuites [^>]*tests="4" failures="1" errors="1" skipped="1"/);
    assert.match(out, /<error type="infrastructure" message="provision etcd source: exit 1">/);
    assert.match(out, /<testsuite name="etcd-v2v3" tests="1" failures="0" errors="1"/);
    assert.equal(junitOutcome(run.scenarios[0] as ScenarioResult).element, "failure");
  });

  it("a failed migration phase with no failed check is a failure typed migration", () => {
    const s: ScenarioResult = {
      id: "x",
      name: "import crashed",
      feature: "calico",
      tags: [],
      status: "failed",
      durationMs: 1,
      phases: [
        { name: "provision control plane", status: "passed", durationMs: 1 },
        { name: "import", status: "failed", durationMs: 1, message: "409 conflict" },
      ],
      checks: [],
    };
    assert.deepEqual(junitOutcome(s), { element: "failure", type: "migration" });
  });

  it("validates against a JUnit XSD (xmllint)", async () => {
    const run = sampleRunResult();
    const dir = await mkdtemp(join(tmpdir(), "junit-"));
    const file = join(dir, "junit.xml");
    await writeFile(file, renderJunit(redactRunResult(run)));
    const schema = fileURLToPath(new URL("../fixtures/junit/junit.xsd", import.meta.url));
    const ok = spawnSync("xmllint", ["--noout", "--schema", schema, file], { encoding: "utf8" });
    assert.equal(ok.error, undefined, "xmllint (Debian libxml2-utils) is installed by scripts/setup.sh");
    assert.equal(ok.status, 0, ok.stderr);
    // the schema must be able to say no: a testcase with both a failure and a skip is invalid
    await writeFile(
      file,
      renderJunit(run).replace("<skipped message=", '<failure type="x" message="y"/><skipped message='),
    );
    const bad = spawnSync("xmllint", ["--noout", "--schema", schema, file], { encoding: "utf8" });
    assert.notEqual(bad.status, 0, "the XSD accepted a testcase with two outcomes");
  });

  it("drops characters XML 1.0 cannot carry", () => {
    assert.equal(xmlEscape("a\u0000b\u001bc<"), "abc&lt;");
  });
});

describe("summary.md and report.html (as text)", () => {
  it("summary.md has totals, one row per scenario and the counted differences of failures", () => {
    const md = renderMarkdown(redactRunResult(sampleRunResult()));
    assert.match(md, /\*\*1 passed, 1 failed, 0 skipped, 1 not run\*\*/);
    assert.match(
      md,
      /\| ⏸️ \| kind cluster migration \| calico-migration \| 0\.0 s \| needs Docker: no Docker engine \|/,
    );
    assert.match(md, /### ❌ Calico etcd → Kubernetes keeps every policy/);
    assert.match(md, /changed +IPPool +projectcalico.org\/v3\/IPPool\/pool-a spec.blockSize: 26 → 24/);
    assert.ok(!md.includes("kube-server-managed-metadata"), "accounted ones are not listed in the summary");
  });

  it("report.html is one file with no external loads and escaped content", () => {
    const html = renderHtml(redactRunResult(sampleRunResult()));
    assert.ok(!/(src|href)="(https?:)?\/\//.test(html), "no network references");
    assert.ok(!/<link /.test(html));
    assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
    assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert.ok(!html.includes("<script>alert(1)</script>"));
    assert.equal((html.match(/<tr class="diff"/g) ?? []).length, 8);
  });
});

describe("diffText (cucumber attachment)", () => {
  it("lists counted differences before accounted ones, with the counts first", () => {
    const check = redactRunResult(sampleRunResult()).scenarios[0]?.checks[0];
    const counts = check?.counts;
    assert.ok(counts && check.differences);
    const text = diffText({ counts, differences: check.differences, mapping: "m" });
    const lines = text.trim().split("\n");
    assert.match(lines[0] ?? "", /^mapping m: 1 missing, 1 unexpected, 2 changed \(3 paths\), 3 accounted/);
    assert.deepEqual(
      lines.slice(1).map((l) => l.split(/\s+/)[0]),
      ["missing", "changed", "changed", "changed", "unexpected", "accounted", "accounted", "accounted"],
    );
  });
});

describe("writeReports and readRunResult", () => {
  it("writes all four files and reads result.json back; bad files fail with one line naming them", async () => {
    const dir = await mkdtemp(join(tmpdir(), "storeshift-report-unit-"));
    try {
      const written = await writeReports(sampleRunResult(), dir);
      assert.deepEqual(Object.keys(written).sort(), ["html", "json", "junit", "md"]);
      const back = await readRunResult(join(dir, "result.json"));
      assert.equal(back.scenarios.length, 3);
      assert.ok(!(await readFile(join(dir, "result.json"), "utf8")).includes("hunter2"));
      await writeFile(join(dir, "bad.json"), '{"schemaVersion": 9}');
      await assert.rejects(
        readRunResult(join(dir, "bad.json")),
        /bad\.json: schemaVersion 9, this storeshift reads 1/,
      );
      await writeFile(join(dir, "broken.json"), "{");
      await assert.rejects(readRunResult(join(dir, "broken.json")), /broken\.json: not JSON/);
      await assert.rejects(readRunResult(join(dir, "none.json")), /none\.json: cannot read \(ENOENT\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

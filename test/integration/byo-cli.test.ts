import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { execa } from "execa";
import { loadFixture, seedCalicoEtcd } from "../../src/calico/fixture.js";
import { stopAll } from "../../src/common/cleanup.js";
import { makeTempDir, removeDir } from "../../src/common/temp.js";
import { startLocalEtcd } from "../../src/providers/etcd/local-etcd.js";
import type { RunResult } from "../../src/report/result.js";
import { requireBinary } from "../helpers/binaries.js";

/**
 * Bring your own data, end to end through the CLI: `verify` runs the guide on a copy of a user's
 * snapshot or dump and writes the usual reports; `anonymize` rewrites them; and the anonymised data
 * gets the same verdicts and the same classes of differences as the original.
 */

const cliPath = new URL("../../bin/storeshift.js", import.meta.url).pathname;
let dir: string;
let snapshot: string;
let dump: string;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cliPath, ...args],
      { env: { ...process.env, STORESHIFT_QUIET: "1" }, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 2) : 0, stdout, stderr }),
    );
  });
}

async function sha(file: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(file))
    .digest("hex");
}

/** What a verdict is made of, with names taken out: status, failing reason's shape, difference classes. */
async function verdicts(reportDir: string): Promise<string[]> {
  const result = JSON.parse(await readFile(join(reportDir, "latest", "result.json"), "utf8")) as RunResult;
  return result.scenarios
    .map((s) => {
      const reason = (s.reason ?? "").replace(/\/[A-Za-z0-9/_.-]+/g, "<key>");
      const checks = s.checks.map((c) => {
        const classes = c.differences?.map((d) => `${d.class}:${d.rule ?? ""}`).sort() ?? [];
        return `${c.name.replace(/"[^"]*"/g, "<x>")}=${c.status}[${classes.join(",")}]`;
      });
      return `${s.name}: ${s.status} ${reason} ${checks.join(" ")}`;
    })
    .sort();
}

before(async () => {
  dir = await makeTempDir("byo-cli");
  const etcd = await startLocalEtcd({ name: "byo-cli", enableV2: true });
  await seedCalicoEtcd(etcd.endpoints, await loadFixture("fixtures/calico/dataset.yaml"));
  snapshot = join(dir, "prod.db");
  await execa(
    await requireBinary("etcdctl-v2"),
    ["snapshot", "save", snapshot, `--endpoints=${etcd.endpoints[0]}`],
    {
      env: { ETCDCTL_API: "3" },
    },
  );
  await etcd.stop();
  // a v2 dataset with a known failure: one value above v3's request limit, which the online
  // migrator refuses and `etcdctl migrate` writes anyway
  dump = join(dir, "v2.json");
  await writeFile(
    dump,
    JSON.stringify({
      action: "get",
      node: {
        dir: true,
        nodes: [
          {
            key: "/payroll",
            dir: true,
            nodes: [
              { key: "/payroll/db-config", value: '{"host":"db.acme.internal","ip":"10.1.2.3"}' },
              { key: "/payroll/_lock", value: "held" },
              { key: "/payroll/session", value: "alive", ttl: 3000 },
            ],
          },
          { key: "/huge-blob", value: "x".repeat(1_600_000) },
        ],
      },
    }),
  );
});

after(async () => {
  await stopAll();
  await removeDir(dir);
});

test("verify calico --from a snapshot: verified, reports written, snapshot unchanged; anonymised: the same verdicts", async () => {
  const before = await sha(snapshot);
  const reports = join(dir, "rep-calico");
  const r = await cli(["verify", "calico", "--from", snapshot, "--report-dir", reports]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /verified: calico migration of .*prod\.db \(snapshot\)/);
  for (const f of ["result.json", "junit.xml", "report.html", "summary.md"])
    assert.ok((await readFile(join(reports, "latest", f))).length > 0, f);
  assert.equal(await sha(snapshot), before);

  const anon = join(dir, "anon.db");
  const a = await cli(["anonymize", "--in", snapshot, "--out", anon, "--key", "test-key"]);
  assert.equal(a.code, 0, a.stderr);
  const text = (await readFile(anon)).toString("latin1");
  for (const name of ["etcd-node1", "allow-dns", "rack1-tor", "10.65."])
    assert.ok(!text.includes(name), name);
  assert.equal(await sha(snapshot), before);
  const anonReports = join(dir, "rep-calico-anon");
  const v = await cli(["verify", "calico", "--from", anon, "--report-dir", anonReports]);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.deepEqual(await verdicts(anonReports), await verdicts(reports));
});

test("verify etcd-v2v3 --from a v2 dump with a known failure: exit 1; anonymised: the same verdicts", async () => {
  const reports = join(dir, "rep-v2");
  const r = await cli(["verify", "etcd-v2v3", "--from", dump, "--report-dir", reports]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /NOT verified/);
  const original = await verdicts(reports);
  assert.ok(
    original.some((v) => /^online.*: failed .*request limit/.test(v)),
    original.join("\n"),
  );
  assert.ok(
    original.some((v) => /^offline.*: passed/.test(v)),
    original.join("\n"),
  );

  const anon = join(dir, "anon.json");
  const a = await cli(["anonymize", "--in", dump, "--out", anon, "--key", "test-key"]);
  assert.equal(a.code, 0, a.stderr);
  // the 1.6 MB value becomes 1.6 MB of keyed letters, which may spell anything: only the rest is searched
  const named = (await readFile(anon, "utf8")).replace(/[a-z]{100000,}/g, "");
  assert.doesNotMatch(named, /payroll|acme|huge-blob|10\.1\.2\.3/);
  const anonReports = join(dir, "rep-v2-anon");
  const v = await cli(["verify", "etcd-v2v3", "--from", anon, "--report-dir", anonReports]);
  assert.equal(v.code, 1, v.stdout + v.stderr);
  assert.deepEqual(await verdicts(anonReports), original);
});

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { RunResult } from "../../src/report/result.js";
import type { SessionRecord } from "../../src/session/up-session.js";
import { realCalicoCrds } from "../helpers/calico-crds.js";
import { type CliResult, storeshiftCli } from "../helpers/cli.js";

const failing = new URL("../fixtures/features/fails-on-purpose.feature", import.meta.url).pathname;
const corrupted = new URL("../fixtures/features/corrupted-object.feature", import.meta.url).pathname;
const smoke = new URL("../../features/stores/stores.feature", import.meta.url).pathname;
const reports = await mkdtemp(join(tmpdir(), "runner-test-"));
after(() => rm(reports, { recursive: true, force: true }));

function storeshift(args: string[]): Promise<CliResult> {
  return storeshiftCli(args);
}

async function latestResult(dir: string): Promise<RunResult> {
  return JSON.parse(await readFile(join(dir, "latest", "result.json"), "utf8")) as RunResult;
}

test("a failing scenario makes `storeshift run` exit 1 and names the failure in the console and result.json", async () => {
  const dir = join(reports, "fail");
  const r = await storeshift(["run", failing, "--report-dir", dir]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /FAILED a value that is not what the check expects/);
  assert.match(r.stdout, /1 passed, 1 failed/);
  const result = await latestResult(dir);
  assert.deepEqual(result.totals, { passed: 1, failed: 1, skipped: 0, notRun: 0 });
  const failed = result.scenarios.find((s) => s.status === "failed");
  assert.match(failed?.reason ?? "", /etcd target key \/storeshift\/answer/);
  const junit = await readFile(join(dir, "latest", "junit.xml"), "utf8");
  // a Then step's assertion, not a diff: typed so, and one JUnit file per run
  assert.match(junit, /<failure type="assertion" message="AssertionError/);
  assert.equal(existsSync(join(dir, "latest", "cucumber-junit.xml")), false, "one JUnit file per run");
});

test("a field lost in the migration (a test-only fixture with a corrupted object) is shown by its exact path in the console, JUnit and HTML", {
  skip: realCalicoCrds().skip,
}, async () => {
  const dir = join(reports, "corrupted");
  const r = await storeshift(["run", corrupted, "--report-dir", dir]);
  assert.equal(r.code, 1, r.stderr);
  const path = "projectcalico.org/v3/IPPool/corrupted-pool spec.vxlanModeTypo";
  assert.match(r.stdout, new RegExp(`changed +${path.replace(/\./g, "\\.")}: "Always" → null`));
  const junit = await readFile(join(dir, "latest", "junit.xml"), "utf8");
  assert.match(junit, /<failure[^>]*>[\s\S]*spec\.vxlanModeTypo/);
  const html = await readFile(join(dir, "latest", "report.html"), "utf8");
  assert.ok(html.includes("spec.vxlanModeTypo"), "report.html names the lost field");
  assert.ok(html.includes("corrupted-pool"));
  const result = await latestResult(dir);
  const diffs = result.scenarios[0]?.checks
    .flatMap((c) => c.differences ?? [])
    .filter((d) => d.class === "changed");
  assert.deepEqual(
    diffs?.map((d) => `${d.id} ${d.path}`),
    [path],
    "exactly the corrupted field differs; everything else is accounted for",
  );
});

test("all passed (with a Docker-only scenario not run) exits 0 and lists the not-run scenario with its reason", async () => {
  const dir = join(reports, "pass");
  // --backend local: the Docker-only scenario is not run whether or not an engine answers here
  const r = await storeshift(["run", smoke, "--backend", "local", "--report-dir", dir]);
  assert.equal(r.code, 0, r.stderr);
  const result = await latestResult(dir);
  assert.equal(result.totals.failed, 0);
  assert.equal(result.totals.passed, 2);
  // the closing line is the plain form CI log readers recognise
  assert.match(r.stdout.trimEnd().split("\n").at(-1) ?? "", /^storeshift: 2 passed, 0 failed, \d+ skipped$/);
  assert.equal(result.totals.notRun, 1);
  assert.match(r.stdout, /NOT RUN etcd in a container through testcontainers: needs Docker/);
});

test("one scenario by file:line runs only that scenario", async () => {
  const dir = join(reports, "line");
  const r = await storeshift(["run", `${failing}:10`, "--report-dir", dir]);
  assert.equal(r.code, 0, r.stderr);
  const result = await latestResult(dir);
  assert.deepEqual(
    result.scenarios.map((s) => s.name),
    ["a passing neighbour in the same run"],
  );
});

test("bad flags and paths exit 2 with one line and no stack trace", async () => {
  for (const args of [
    ["run", "--bogus"],
    ["run", "--backend", "kind"],
    ["run", "--parallel", "zero"],
    ["run", "--shard", "4/3"],
    ["run", "--keep", "sometimes"],
    ["run", "--migrator", "mine"],
    ["run", "no/such.feature"],
    ["run", failing, "--tags", "@no-such-tag"],
  ]) {
    const r = await storeshift(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `${args.join(" ")} printed: ${r.stderr}`);
    assert.match(lines[0] ?? "", /^storeshift: run: /);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

test("--keep on-failure leaves the failed scenario's stores up with reconnect commands; `down` stops them", async () => {
  const dir = join(reports, "keep");
  const r = await storeshift(["run", `${failing}:5`, "--keep", "on-failure", "--report-dir", dir]);
  assert.equal(r.code, 1);
  const session = /storeshift down (keep-[a-z0-9-]+)/.exec(r.stderr)?.[1];
  assert.ok(session, `no keep hint in: ${r.stderr}`);
  const endpoint = /ETCDCTL_ENDPOINTS=(http:\/\/127\.0\.0\.1:\d+)/.exec(r.stderr)?.[1];
  assert.ok(endpoint);
  // the kept store still answers, holding the failed scenario's data
  const health = await fetch(`${endpoint}/health`);
  assert.equal(health.status, 200);
  const status = await storeshift(["status"]);
  assert.match(status.stdout, new RegExp(`${session}: `));
  const sessions = JSON.parse((await storeshift(["status", "--json"])).stdout) as SessionRecord[];
  const dirs = sessions.find((x) => x.name === session)?.stores.flatMap((st) => st.dirs ?? []) ?? [];
  assert.ok(dirs.length > 0 && dirs.every((d) => existsSync(d)), "the kept store's data dir is there");
  const down = await storeshift(["down", session]);
  assert.equal(down.code, 0, down.stderr);
  await assert.rejects(fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) }));
  assert.deepEqual(
    dirs.filter((d) => existsSync(d)),
    [],
    "down removes the kept store's dirs",
  );
});

test("replay re-runs a failed scenario from the report dir's saved inputs", async () => {
  const dir = join(reports, "replay");
  const first = await storeshift(["run", failing, "--report-dir", dir]);
  assert.equal(first.code, 1);
  const replay = await storeshift(["replay", join(dir, "latest"), "--keep", "never"]);
  assert.equal(replay.code, 1, replay.stderr);
  assert.match(replay.stdout, /0 passed, 1 failed/, "only the failed scenario is replayed");
  assert.match(replay.stdout, /FAILED a value that is not what the check expects \(.*inputs\//);
  const bad = await storeshift(["replay", join(dir, "latest"), "no such scenario"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /no scenario matches "no such scenario"/);
});

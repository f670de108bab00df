import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { RunResult } from "../../src/report/result.js";
import { storeshiftCli } from "../helpers/cli.js";

const corrupted = new URL("../fixtures/features/corrupted-object.feature", import.meta.url).pathname;
const stores = new URL("../../features/stores/stores.feature", import.meta.url).pathname;
const reports = await mkdtemp(join(tmpdir(), "runner-exit-"));
after(() => rm(reports, { recursive: true, force: true }));

const storeshift = storeshiftCli;

async function dockerLine(): Promise<number> {
  const lines = (await readFile(stores, "utf8")).split("\n");
  const tag = lines.findIndex((l) => l.trim() === "@needs-docker");
  assert.ok(tag >= 0, "stores.feature has a @needs-docker scenario");
  return tag + 2;
}

test("a run in which every selected scenario is not run exits 2 and says why; --allow-not-run makes it 0", async () => {
  // the local backend never runs a @needs-docker scenario, so this run proves nothing
  const only = `${stores}:${await dockerLine()}`;
  const dir = join(reports, "not-run");
  const r = await storeshift(["run", only, "--backend", "local", "--report-dir", dir]);
  assert.equal(r.code, 2, r.stderr);
  const last = r.stderr.trim().split("\n").at(-1) ?? "";
  assert.match(
    last,
    /^storeshift: run: nothing ran: all 1 selected scenario\(s\) were not run \(needs Docker/,
  );
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  // the reports are still written and name the scenario as not run, never as passed
  const result = JSON.parse(await readFile(join(dir, "latest", "result.json"), "utf8")) as RunResult;
  assert.deepEqual(result.totals, { passed: 0, failed: 0, skipped: 0, notRun: 1 });
  assert.match(r.stdout, /storeshift: 0 passed, 0 failed, 1 skipped/);

  const allowed = await storeshift([
    "run",
    only,
    "--backend",
    "local",
    "--allow-not-run",
    "--report-dir",
    dir,
  ]);
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.match(allowed.stdout, /NOT RUN etcd in a container through testcontainers: needs Docker/);
});

test("a filter that selects nothing exits 2 naming the filter; --allow-not-run makes it 0", async () => {
  const dir = join(reports, "no-match");
  const r = await storeshift(["run", stores, "--tags", "@no-such-tag", "--report-dir", dir]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr.trim(),
    /^storeshift: run: no scenario matched .*stores\.feature with --tags "@no-such-tag"/,
  );
  const allowed = await storeshift([
    "run",
    stores,
    "--tags",
    "@no-such-tag",
    "--allow-not-run",
    "--report-dir",
    dir,
  ]);
  assert.equal(allowed.code, 0, allowed.stderr);
});

test("without STORESHIFT_CALICO_CRDS a scenario that needs Calico's real CRDs is not run, with that reason", async () => {
  const dir = join(reports, "no-crds");
  const r = await storeshift(["run", corrupted, "--report-dir", dir], { STORESHIFT_CALICO_CRDS: undefined });
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stdout,
    /NOT RUN a misspelled IPPool field .*: needs Calico's real CRDs: STORESHIFT_CALICO_CRDS is not set/,
  );
  const result = JSON.parse(await readFile(join(dir, "latest", "result.json"), "utf8")) as RunResult;
  assert.deepEqual(result.totals, { passed: 0, failed: 0, skipped: 0, notRun: 1 });
});

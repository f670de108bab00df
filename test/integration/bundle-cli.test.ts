import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { after, before, test } from "node:test";
import { execa } from "execa";
import { stopAll } from "../../src/common/cleanup.js";
import { makeTempDir, removeDir } from "../../src/common/temp.js";
import type { RunResult } from "../../src/report/result.js";

/**
 * `storeshift bundle` + `storeshift replay bug.tgz`: a failed verify run packed into one file,
 * moved elsewhere and replayed from another working dir reproduces the failure; the run dir it was
 * made from is not touched; an anonymised bundle carries no original name and replays the same way.
 */

const cliPath = new URL("../../bin/storeshift.js", import.meta.url).pathname;
let dir: string;
let runDir: string;

function cli(args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cliPath, ...args],
      { cwd, env: { ...process.env, STORESHIFT_QUIET: "1" }, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 2) : 0, stdout, stderr }),
    );
  });
}

async function treeHash(path: string): Promise<string> {
  const h = createHash("sha256");
  const visit = async (p: string): Promise<void> => {
    if ((await stat(p)).isDirectory()) for (const e of (await readdir(p)).sort()) await visit(join(p, e));
    else h.update(relative(path, p)).update(await readFile(p));
  };
  await visit(path);
  return h.digest("hex");
}

async function replayedResult(replayRoot: string): Promise<RunResult> {
  const replays = join(replayRoot, "run", "replays");
  const runs = (await readdir(replays)).filter((n) => n !== "latest");
  assert.equal(runs.length, 1, `replays: ${runs.join(", ")}`);
  return JSON.parse(await readFile(join(replays, runs[0] ?? "", "result.json"), "utf8")) as RunResult;
}

before(async () => {
  dir = await makeTempDir("bundle-cli");
  const dump = join(dir, "payroll-v2.json");
  await writeFile(
    dump,
    JSON.stringify({
      action: "get",
      node: {
        dir: true,
        nodes: [
          { key: "/payroll/db", value: "db.acme.internal" },
          { key: "/payroll/blob", value: "x".repeat(1_600_000) },
        ],
      },
    }),
  );
  const reports = join(dir, "reports");
  const r = await cli(["verify", "etcd-v2v3", "--from", dump, "--report-dir", reports]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  runDir = join(reports, "latest");
});

after(async () => {
  await stopAll();
  await removeDir(dir);
});

test("a failed run, bundled, moved and replayed from elsewhere, fails the same way; the run dir is untouched", async () => {
  const before = await treeHash(runDir);
  const bundle = join(dir, "bug.tgz");
  const b = await cli(["bundle", runDir, "-o", bundle]);
  assert.equal(b.code, 0, b.stderr);
  assert.equal(await treeHash(runDir), before);
  const listing = (await execa("tar", ["-tzf", bundle])).stdout.split("\n");
  for (const f of ["bundle.json", "run/result.json", "run/junit.xml", "run/report.html"])
    assert.ok(listing.includes(f), `${f} not in the bundle`);
  assert.ok(
    listing.some((f) => /^run\/inputs\/fixtures\/byo-data\/0-payroll-v2\.json$/.test(f)),
    listing.join("\n"),
  );
  const manifest = JSON.parse((await execa("tar", ["-xzOf", bundle, "bundle.json"])).stdout);
  assert.match(manifest.command, /^storeshift verify etcd-v2v3 --from \S+payroll-v2\.json/);
  assert.ok(manifest.versions["etcd-v2"], JSON.stringify(manifest.versions));

  // another machine: the bundle alone, somewhere else, the data gone from its original place
  const elsewhere = join(dir, "elsewhere", "deep", "er");
  await mkdir(elsewhere, { recursive: true });
  await rename(bundle, join(elsewhere, "bug.tgz"));
  await rename(join(dir, "payroll-v2.json"), join(dir, "moved-away.json"));
  // --keep never: replay keeps a failure's stores by default, and this failure is expected
  const r = await cli(["replay", "bug.tgz", "--keep", "never"], elsewhere);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const replayed = await replayedResult(join(elsewhere, "bug.replay"));
  assert.deepEqual(
    replayed.scenarios.map((s) => [s.status, /request limit/.test(s.reason ?? "")]),
    [["failed", true]],
  );
  await rename(join(dir, "moved-away.json"), join(dir, "payroll-v2.json"));
});

test("an anonymised bundle carries no original name and replays to the same failure", async () => {
  const bundle = join(dir, "anon.tgz");
  const refused = await cli(["bundle", runDir, "-o", bundle, "--anonymize"]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--key/);
  const b = await cli(["bundle", runDir, "-o", bundle, "--anonymize", "--key", "k"]);
  assert.equal(b.code, 0, b.stderr);
  const unpacked = join(dir, "anon-unpacked");
  await mkdir(unpacked);
  await execa("tar", ["-xzf", bundle, "-C", unpacked]);
  const all: string[] = [];
  const visit = async (p: string): Promise<void> => {
    // the package's own fixtures travel in every run's inputs; they are not the user's data
    if (/inputs\/fixtures\/(calico|etcd-v2)$/.test(p)) return;
    if ((await stat(p)).isDirectory()) for (const e of await readdir(p)) await visit(join(p, e));
    else all.push(`${p}\n${(await readFile(p, "utf8")).replace(/[a-z]{100000,}/g, "")}`);
  };
  await visit(unpacked);
  assert.doesNotMatch(all.join("\n"), /payroll|acme/);
  const r = await cli(["replay", bundle, "--keep", "never"]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const replayed = await replayedResult(join(dir, "anon.replay"));
  assert.deepEqual(
    replayed.scenarios.map((s) => [s.status, /request limit/.test(s.reason ?? "")]),
    [["failed", true]],
  );
});

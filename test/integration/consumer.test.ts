import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { RunResult } from "../../src/report/result.js";

/**
 * storeshift as another project uses it: packed, installed from the tarball into a project with its
 * own feature, fixture and step, and run by plain cucumber-js with `withStoreshift()` in cucumber.mjs.
 */
const run = promisify(execFile);
const repo = fileURLToPath(new URL("../..", import.meta.url));
const project = fileURLToPath(new URL("../fixtures/consumer", import.meta.url));
const work = await mkdtemp(join(tmpdir(), "consumer-"));
after(() => rm(work, { recursive: true, force: true }));

const ourPackage = JSON.parse(await readFile(join(repo, "package.json"), "utf8")) as {
  version: string;
  devDependencies: Record<string, string>;
};

async function sh(cmd: string, args: string[], cwd: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, STORESHIFT_QUIET: "1", npm_config_yes: "true" };
  delete env.STORESHIFT_STEPS_DOCS_ONLY;
  delete env.npm_package_version;
  try {
    const r = await run(cmd, args, { cwd, env, maxBuffer: 1 << 26 });
    return { code: 0, out: `${r.stdout}\n${r.stderr}` };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: `${e.stdout}\n${e.stderr}` };
  }
}

test("a project installs the packed storeshift and runs its own feature, fixture and step with cucumber-js and with storeshift run", {
  timeout: 15 * 60_000,
}, async () => {
  // dist/ is built by `npm test` before the integration tests; packing must not need devDependencies
  const packed = await sh("npm", ["pack", "--ignore-scripts", "--pack-destination", work], repo);
  assert.equal(packed.code, 0, packed.out);
  const tarball = (await readdir(work)).find((f) => f.endsWith(".tgz"));
  assert.ok(tarball, "npm pack wrote no tarball");

  const app = join(work, "app");
  await cp(project, app, { recursive: true });
  const cucumber = `@cucumber/cucumber@${ourPackage.devDependencies["@cucumber/cucumber"]?.replace(/^\^/, "")}`;
  const installed = await sh(
    "npm",
    ["install", "--no-audit", "--no-fund", "--prefer-offline", join(work, tarball), cucumber],
    app,
  );
  assert.equal(installed.code, 0, installed.out);

  const ran = await sh(join(app, "node_modules", ".bin", "cucumber-js"), [], app);
  assert.equal(ran.code, 1, `two scenarios fail on purpose:\n${ran.out}`);
  await checkReports(join(app, "reports"), ran.out);

  // the same project through `storeshift run`: its cucumber.mjs (own steps) is honoured, ./features
  // is the default, and run writes the reports itself (the formatter in cucumber.mjs is not doubled)
  const viaRun = await sh(
    join(app, "node_modules", ".bin", "storeshift"),
    ["run", "--report-dir", "out"],
    app,
  );
  assert.equal(viaRun.code, 1, viaRun.out);
  await checkReports(join(app, "out"), viaRun.out);
  const cucumberRuns = (await readdir(join(app, "reports"))).filter((d) => d !== "latest");
  assert.equal(cucumberRuns.length, 1, "storeshift run must not also write reports through the formatter");
});

async function checkReports(dir: string, output: string): Promise<void> {
  const result = JSON.parse(await readFile(join(dir, "latest", "result.json"), "utf8")) as RunResult;
  const byName = new Map(result.scenarios.map((s) => [s.name, s]));
  assert.deepEqual(result.totals, { passed: 3, failed: 2, skipped: 0, notRun: 0 }, output);
  const own = byName.get("library steps and the project's own step in one scenario");
  assert.equal(own?.status, "passed");
  // the project's World subclass and its own phase and check reach storeshift's reports
  assert.ok(
    own?.phases.some((p) => p.name === "project: health of etcd target"),
    JSON.stringify(own?.phases),
  );
  assert.ok(own?.checks.some((c) => c.name === "project: etcd target is healthy" && c.status === "passed"));
  assert.equal(
    byName.get("the project's fixture wins over a bundled one of the same name")?.status,
    "passed",
    "the project's etcd-v2/seed-foo.yaml must be seeded, not storeshift's bundled one",
  );
  assert.equal(byName.get("a bundled fixture by its explicit prefix")?.status, "passed");
  assert.match(
    byName.get("a step nobody wrote")?.reason ?? "",
    /undefined step "the moon is made of cheese"/,
  );
  assert.match(byName.get("a value that differs")?.reason ?? "", /\/consumer\/k/);
  assert.equal(result.versions.storeshift, ourPackage.version, "the version must be storeshift's own");
  const summary = await readFile(join(dir, "latest", "summary.md"), "utf8");
  assert.match(summary, /undefined step "the moon is made of cheese"/);
  const junit = await readFile(join(dir, "latest", "junit.xml"), "utf8");
  assert.match(junit, /tests="5" failures="2" errors="0"/);
}

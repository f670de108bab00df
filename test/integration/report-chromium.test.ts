import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { makeTempDir, removeDir } from "../../src/common/temp.js";
import { writeReports } from "../../src/report/write.js";
import { sampleRunResult } from "../unit/report-fixture.js";
import { runCli } from "./snapshot-cli.helper.js";

const CHROMIUM = process.env.STORESHIFT_CHROMIUM ?? "/usr/bin/chromium";
/** Kept after the run for people to look at (reports/ is git-ignored). */
const ARTIFACTS = resolve("reports/test-artifacts/report-html");

function chromium(args: string[], profile: string): Promise<string> {
  const flags = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    `--user-data-dir=${profile}`,
  ];
  return new Promise((done, fail) => {
    execFile(
      CHROMIUM,
      [...flags, ...args],
      { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err) fail(new Error(`chromium ${args.join(" ")}: ${err.message}\n${stderr.slice(-500)}`));
        else done(stdout);
      },
    );
  });
}

/** The text of every element matching a simple `tag ... id="x"` pattern in dumped DOM. */
function textOf(dom: string, id: string): string {
  const match = new RegExp(`id="${id}"[^>]*>(?:<b>)?([^<]*)`).exec(dom);
  return match?.[1] ?? "";
}

function visibleRows(dom: string): string[] {
  return [...dom.matchAll(/<tr class="diff" data-class="([a-z]+)" data-kind="([^"]+)"[^>]*?( hidden="")?>/g)]
    .filter((m) => m[3] === undefined)
    .map((m) => `${m[1]}:${m[2]}`);
}

describe("report.html in headless Chromium", () => {
  let profile: string;
  let url: string;

  before(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`test setup: ${CHROMIUM} not found (apt-get install chromium)`);
    profile = await makeTempDir("chromium-profile");
    await rm(ARTIFACTS, { recursive: true, force: true });
    await mkdir(ARTIFACTS, { recursive: true });
    await writeReports(sampleRunResult(), ARTIFACTS);
    url = pathToFileURL(join(ARTIFACTS, "report.html")).href;
  });

  after(async () => {
    if (profile) await removeDir(profile);
  });

  it("shows the run summary, counts per class, paths and both values side by side", async () => {
    const dom = await chromium(["--dump-dom", url], profile);
    assert.match(dom, /storeshift run 2026-11-25T02-00-00Z-abc/);
    assert.equal(textOf(dom, "count-failed"), "1");
    assert.equal(textOf(dom, "count-not-run"), "1");
    assert.equal(textOf(dom, "count-missing"), "1");
    assert.equal(textOf(dom, "count-unexpected"), "1");
    assert.equal(textOf(dom, "count-changed"), "3");
    assert.equal(textOf(dom, "count-accounted"), "3");
    assert.equal(textOf(dom, "shown-count"), "8", "script ran: all 8 differences shown");
    assert.match(
      dom,
      /<div class="path">spec\.blockSize<\/div><\/td><td class="val expected"><pre>26<\/pre><\/td><td class="val actual"><pre>24<\/pre>/,
    );
    assert.match(
      dom,
      /<pre>value 4<mark>2<\/mark><\/pre>/,
      "the changed byte is highlighted in the expected value",
    );
    assert.match(dom, /<pre>value 4<mark>X<\/mark><\/pre>/);
    assert.match(dom, /needs Docker: no Docker engine/);
    assert.match(
      dom,
      /<td class="rule">calico\/kind-not-migrated<\/td><td class="num">1<\/td>/,
      "rule provenance",
    );
    assert.ok(!dom.includes("hunter2"), "redacted in the page");
    await chromium(
      [`--screenshot=${join(ARTIFACTS, "report.png")}`, "--window-size=1400,1600", url],
      profile,
    );
    assert.ok(
      (await stat(join(ARTIFACTS, "report.png"))).size > 10_000,
      "screenshot kept in the test output",
    );
  });

  it("filters by class and kind (state in the URL hash)", async () => {
    const onlyChanged = await chromium(["--dump-dom", `${url}#class=changed`], profile);
    assert.equal(textOf(onlyChanged, "shown-count"), "3");
    assert.deepEqual(visibleRows(onlyChanged), ["changed:IPPool", "changed:app", "changed:app"]);
    const kind = await chromium(["--dump-dom", `${url}#class=changed,accounted&kind=IPPool`], profile);
    assert.deepEqual(visibleRows(kind), ["changed:IPPool", "accounted:IPPool"]);
    assert.equal(textOf(kind, "shown-count"), "2");
    await chromium(
      [
        `--screenshot=${join(ARTIFACTS, "report-filtered.png")}`,
        "--window-size=1400,1000",
        `${url}#class=missing,unexpected`,
      ],
      profile,
    );
  });

  it("junit.xml parses as XML in Chromium's parser", async () => {
    const dom = await chromium(["--dump-dom", pathToFileURL(join(ARTIFACTS, "junit.xml")).href], profile);
    assert.ok(!dom.includes("parsererror"), dom.slice(0, 500));
    assert.match(dom, /testsuites/);
  });

  it("`storeshift report` re-renders a result.json; a broken one exits 2 with one line", async () => {
    const out = join(ARTIFACTS, "rerendered");
    const ok = await runCli(["report", join(ARTIFACTS, "result.json"), "--html", "--md", "-o", out]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(ok.stdout.trim().split("\n").sort(), [
      join(out, "report.html"),
      join(out, "summary.md"),
    ]);
    assert.match(await readFile(join(out, "summary.md"), "utf8"), /1 passed, 1 failed/);
    const bad = await runCli(["report", join(ARTIFACTS, "missing.json")]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^storeshift: result .*missing\.json: cannot read \(ENOENT\)\n$/);
  });
});

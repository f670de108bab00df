import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { execa } from "execa";
import { stopAll } from "../../src/common/cleanup.js";
import { makeTempDir, removeDir, tempRoot } from "../../src/common/temp.js";
import { v2Set } from "../../src/etcd-v2v3/v2-client.js";
import { freePorts } from "../../src/process/ports.js";
import { type StartedLocalEtcd, startLocalEtcd } from "../../src/providers/etcd/local-etcd.js";
import { requireBinary } from "../helpers/binaries.js";

/**
 * `storeshift verify` on bad input: one line on stderr naming the file or endpoint, exit 2, no
 * stack trace, and nothing written anywhere (no report dir, no new temp dir left behind).
 */

const cliPath = new URL("../../bin/storeshift.js", import.meta.url).pathname;
let dir: string;
let etcd: StartedLocalEtcd;
let snapshot: string;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliPath, ...args], { env: { ...process.env } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 2) : 0, stdout, stderr }),
    );
  });
}

async function storeshiftTemps(): Promise<string[]> {
  return (await readdir(tempRoot())).filter((n) => n.startsWith("storeshift-")).sort();
}

async function refuses(args: string[], names: string, why: RegExp): Promise<void> {
  const reportDir = join(dir, `reports-${Math.random().toString(16).slice(2)}`);
  const tempsBefore = await storeshiftTemps();
  const r = await cli([...args, "--report-dir", reportDir]);
  assert.equal(r.code, 2, `exit ${r.code}; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `more than one line: ${r.stderr}`);
  assert.ok(lines[0]?.includes(names), `"${lines[0]}" does not name ${names}`);
  assert.match(lines[0] ?? "", why);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.equal(existsSync(reportDir), false, "a report dir was written");
  assert.deepEqual(await storeshiftTemps(), tempsBefore, "a temp dir was left behind");
}

before(async () => {
  dir = await makeTempDir("verify-bad-input");
  etcd = await startLocalEtcd({ name: "verify-bad-input", enableV2: true });
  await v2Set(etcd.endpoints[0] ?? "", "/a", "b");
  snapshot = join(dir, "prod.db");
  await execa(
    await requireBinary("etcdctl-v2"),
    ["snapshot", "save", snapshot, `--endpoints=${etcd.endpoints[0]}`],
    {
      env: { ETCDCTL_API: "3" },
    },
  );
});

after(async () => {
  await stopAll();
  await removeDir(dir);
});

test("a truncated snapshot is refused naming the file", async () => {
  const cut = join(dir, "cut.db");
  await writeFile(cut, await readFile(snapshot));
  await truncate(cut, 8192 + 100);
  await refuses(["verify", "calico", "--from", cut], cut, /truncated/);
  // cut at a page boundary: the pages are whole, the hash is gone, the database is short
  await truncate(cut, 8192);
  await refuses(["verify", "calico", "--from", cut], cut, /truncated/);
});

test("a snapshot whose bytes were changed is refused by its hash", async () => {
  const bad = join(dir, "flipped.db");
  const bytes = await readFile(snapshot);
  bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 0xff;
  await writeFile(bad, bytes);
  await refuses(["verify", "calico", "--from", bad], bad, /SHA-256/);
});

test("the data dir of a running member is refused naming the dir and the pid", async () => {
  const dataDir = etcd.member(0).info.dataDir;
  await refuses(["verify", "etcd-v2v3", "--from", dataDir], dataDir, /running etcd \(pid \d+/);
});

test("a file of the wrong kind is refused naming the file", async () => {
  const text = join(dir, "notes.txt");
  await writeFile(text, "hello\n");
  await refuses(["verify", "calico", "--from", text], text, /not an etcd snapshot/);
  // a v2 dump is a real source, but not one the Calico migration starts from
  const dump = join(dir, "v2.json");
  await writeFile(dump, await (await fetch(`${etcd.endpoints[0]}/v2/keys/?recursive=true`)).text());
  await refuses(["verify", "calico", "--from", dump], dump, /is a v2 JSON dump; the calico migration/);
  // and a snapshot has no v2 store to migrate
  await refuses(["verify", "etcd-v2v3", "--from", snapshot], snapshot, /is an etcd v3 snapshot/);
  // a broken dump: JSON that is not a v2 body
  const broken = join(dir, "broken.json");
  await writeFile(broken, '{"action":"get","node":{"dir":true,"nodes":[{"key":"/x"}]}}');
  await refuses(["verify", "etcd-v2v3", "--from", broken], broken, /\/x: a leaf without a string value/);
});

test("an endpoint that refuses is named", async () => {
  const [port] = await freePorts(1);
  const url = `http://127.0.0.1:${port}`;
  await refuses(["verify", "calico", "--from", url], url, /ECONNREFUSED/);
});

test("a missing source is named", async () => {
  const missing = join(dir, "nope.db");
  await refuses(["verify", "calico", "--from", missing], missing, /no such file/);
});

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { stopAll } from "../../src/common/cleanup.js";
import { etcdClient } from "../../src/common/etcd-client.js";
import { makeTempDir, removeDir } from "../../src/common/temp.js";
import { loadFixture, seedV2 } from "../../src/etcd-v2v3/fixture.js";
import { v2Set } from "../../src/etcd-v2v3/v2-client.js";
import { countV3 } from "../../src/etcd-v2v3/v3.js";
import { startLocalEtcd } from "../../src/providers/etcd/local-etcd.js";
import { requireBinary } from "../helpers/binaries.js";

after(stopAll);

const root = fileURLToPath(new URL("../..", import.meta.url));
const FIXTURES = join(root, "fixtures/etcd-v2");

/** The CLI from source in a child: main() stops every registered store, which must not be ours. */
function cli(args: string[], env: Record<string, string | undefined> = {}) {
  const entry =
    'import { main } from "./src/cli/main.ts"; process.exitCode = await main(process.argv.slice(1));';
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, STORESHIFT_QUIET: "1", ...env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
    execFile(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", entry, "etcd", ...args],
      { cwd: root, env: childEnv, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 2) : 0, stdout, stderr }),
    );
  });
}

async function v3Count(endpoint: string): Promise<number> {
  const client = etcdClient([endpoint], { purpose: "test" });
  try {
    return (await countV3(client)).count;
  } finally {
    client.close();
  }
}

test("CLI bad input: one line, exit 2, nothing started", async () => {
  const cases: [string[], RegExp][] = [
    [[], /^storeshift: etcd: unknown subcommand \(none\); expected migrate, rollback or verify\n$/],
    [["migrate"], /^storeshift: etcd migrate: give exactly one of --online or --offline\n$/],
    [
      ["migrate", "--online"],
      /^storeshift: etcd migrate: no endpoints; give --endpoints or set ETCDCTL_ENDPOINTS\n$/,
    ],
    [
      ["migrate", "--online", "--endpoints", "127.0.0.1:1", "--ttl", "forever"],
      /--ttl forever: expected permanent, drop, lease\n$/,
    ],
    [["migrate", "--offline"], /give --data-dir of each stopped member\n$/],
    [
      ["rollback", "--online", "--result", "/nonexistent/r.json"],
      /--result \/nonexistent\/r\.json: ENOENT\n$/,
    ],
    [["verify"], /--mode offline\|online is required\n$/],
    [["migrate", "--online", "--bogus"], /^storeshift: etcd migrate: Unknown option '--bogus'\n$/],
  ];
  for (const [args, pattern] of cases) {
    const r = await cli(args, { ETCDCTL_ENDPOINTS: undefined });
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(" "));
    assert.equal(r.stderr.trim().split("\n").length, 1);
  }
});

test("CLI online: migrate (ETCDCTL_ENDPOINTS) → verify → rollback → verify fails; collisions exit 1", async () => {
  await using etcd = await startLocalEtcd({ enableV2: true, name: "v2v3-cli-online" });
  const endpoint = etcd.endpoints[0] ?? "";
  await seedV2(endpoint, await loadFixture(join(FIXTURES, "shapes.yaml")));
  const dir = await makeTempDir("v2v3-cli");
  try {
    const file = join(dir, "result.json");
    const env = { ETCDCTL_ENDPOINTS: endpoint.replace("http://", "") };
    const m = await cli(["migrate", "--online", "--result", file], env);
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /^migrated 16 key\(s\) in 1 Txn\(s\), 0 already present, 0 collision\(s\) kept/);
    const saved = JSON.parse(await readFile(file, "utf8")) as { migrated: unknown[] };
    assert.equal(saved.migrated.length, 16);
    const v = await cli(["verify", "--mode", "online", "--result", file]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(
      v.stdout,
      /^verified: expected 16 key\(s\); v3 http:\/\/127\.0\.0\.1:\d+=16; hashkv equal on 1 member\(s\)\n$/,
    );
    const r = await cli(["rollback", "--online", "--result", file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^deleted 16 key\(s\), kept 0 changed since, 0 already gone, 0 lease\(s\) revoked\n$/,
    );
    const again = await cli(["verify", "--mode", "online", "--endpoints", endpoint]);
    assert.equal(again.code, 1);
    assert.match(again.stdout, /^missing etcd:\/plain$/m);

    const client = etcdClient([endpoint], { purpose: "test" });
    try {
      await client.put("/plain").value("a v3 client's value");
    } finally {
      client.close();
    }
    const c = await cli(["migrate", "--online", "--endpoints", endpoint]);
    assert.equal(c.code, 1);
    assert.equal(
      c.stderr,
      "storeshift: migrate etcd v2→v3 online: refused: 1 v3 key(s) already exist with other values: /plain; nothing written\n",
    );
    assert.equal(await v3Count(endpoint), 1);
  } finally {
    await removeDir(dir);
  }
});

test("CLI offline on a stopped member: refuse while running, etcdctl 3.6 refused, migrate, verify, rollback", async () => {
  const etcdctl34 = await requireBinary("etcdctl-v2");
  const etcdctl36 = await requireBinary("etcdctl");
  await using etcd = await startLocalEtcd({ enableV2: true, name: "v2v3-cli-offline" });
  const endpoint = etcd.endpoints[0] ?? "";
  const member = etcd.member(0);
  await v2Set(endpoint, "/foo", "bar");
  const dir = await makeTempDir("v2v3-cli");
  try {
    const file = join(dir, "offline.json");
    const args = ["migrate", "--offline", "--data-dir", member.info.dataDir, "--result", file];
    const running = await cli([...args, "--etcdctl", etcdctl34]);
    assert.equal(running.code, 2);
    assert.match(
      running.stderr,
      /member\/snap\/db is locked by pid \d+ \(a running etcd\?\); migrate only works on a stopped member\n$/,
    );
    await member.stop();
    const old = await cli([...args, "--etcdctl", etcdctl36]);
    assert.equal(old.code, 2);
    assert.match(old.stderr, /which has no `migrate` command \(removed in etcd 3\.5\); use etcdctl 3\.4\.x/);
    const m = await cli([...args, "--etcdctl", etcdctl34, "--backup-dir", join(dir, "backup")]);
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /: finished transforming keys \(\d+ ms\); backup .*backup\/member-0\n$/);
    await member.start();
    const v = await cli(["verify", "--mode", "offline", "--endpoints", endpoint]);
    assert.equal(v.code, 0, v.stdout);
    assert.equal(await v3Count(endpoint), 1);
    await member.stop();
    const r = await cli(["rollback", "--offline", "--result", file]);
    assert.equal(r.code, 0, r.stderr);
    await member.start();
    assert.equal(await v3Count(endpoint), 0);
  } finally {
    await removeDir(dir);
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { versionFits } from "../../src/binaries/locate.js";
import { type EtcdMemberInfo, memberArgs } from "../../src/providers/etcd/local-etcd.js";

const members: EtcdMemberInfo[] = [0, 1, 2].map((i) => ({
  name: `m${i}`,
  clientUrl: `http://127.0.0.1:${2000 + i}`,
  peerUrl: `http://127.0.0.1:${3000 + i}`,
  dataDir: `/tmp/x/m${i}`,
  walDir: `/tmp/x/m${i}/member/wal`,
  logFile: `/tmp/x/m${i}.log`,
}));
const peers = members.map((m) => m.peerUrl);

test("member flags bind to 127.0.0.1 and list every peer in the initial cluster", () => {
  const args = memberArgs(members, peers, 1, { enableV2: false, token: "t", current: true });
  assert.ok(args.includes("--name=m1"));
  assert.ok(args.includes("--listen-client-urls=http://127.0.0.1:2001"));
  assert.ok(
    args.includes(
      "--initial-cluster=m0=http://127.0.0.1:3000,m1=http://127.0.0.1:3001,m2=http://127.0.0.1:3002",
    ),
  );
  assert.ok(args.every((a) => !a.includes("0.0.0.0")));
});

test("--enable-v2, snapshot count and request limit are passed only when asked", () => {
  const plain = memberArgs(members, peers, 0, { enableV2: false, token: "t", current: false });
  assert.ok(!plain.some((a) => a.startsWith("--enable-v2") || a.startsWith("--snapshot-count")));
  assert.ok(!plain.includes("--unsafe-no-fsync=true"), "etcd 3.4 has no --unsafe-no-fsync");
  const tuned = memberArgs(members, peers, 0, {
    enableV2: true,
    snapshotCount: 100,
    maxRequestBytes: 2_000_000,
    token: "t",
    current: false,
  });
  assert.ok(tuned.includes("--enable-v2=true"));
  assert.ok(tuned.includes("--snapshot-count=100"));
  assert.ok(tuned.includes("--max-request-bytes=2000000"));
});

test("version fit: the v2 line must be <= 3.4, the current line >= 3.5", () => {
  assert.equal(versionFits("etcd-v2", "3.4.23"), true);
  assert.equal(versionFits("etcd-v2", "3.5.0"), false);
  assert.equal(versionFits("etcd", "3.4.23"), false);
  assert.equal(versionFits("etcd", "3.6.16"), true);
  assert.equal(versionFits("kube-apiserver", "1.37.2"), true);
  assert.equal(versionFits("kube-apiserver", "1.20.0"), false);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { demuxLogs, etcdContainerCommand } from "../../src/providers/containers/etcd-container.js";
import { localEtcdImage, parseLdd } from "../../src/providers/containers/images.js";

test("ldd output: every absolute library path, the loader included, nothing else", () => {
  const out = [
    "\tlinux-vdso.so.1 (0x00007ffd3b5f2000)",
    "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f7f18968000)",
    "\t/lib64/ld-linux-x86-64.so.2 (0x00007f7f18b5e000)",
    "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f7f18968000)",
  ].join("\n");
  assert.deepEqual(parseLdd(out), ["/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"]);
  assert.deepEqual(parseLdd("\tnot a dynamic executable"), []);
});

test("local images are tagged by the etcd version inside, the Debian one marked", () => {
  assert.equal(localEtcdImage("3.6", "3.6.16"), "storeshift/etcd:3.6.16");
  assert.equal(localEtcdImage("3.4", "3.4.23"), "storeshift/etcd:3.4.23-debian");
});

test("container log frames: stdout and stderr chunks joined, headers dropped", () => {
  const frame = (stream: number, text: string) => {
    const body = Buffer.from(text);
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(body.length, 4);
    return Buffer.concat([header, body]);
  };
  assert.equal(demuxLogs(Buffer.concat([frame(1, "one\n"), frame(2, "two\n")])), "one\ntwo\n");
});

test("container members listen on 127.0.0.1 only, 3.4 serves v2, data inside the container", () => {
  const members = [0, 1].map((i) => ({
    name: `ring-${i}`,
    clientUrl: `http://127.0.0.1:${2000 + i}`,
    peerUrl: `http://127.0.0.1:${3000 + i}`,
    dataDir: `/var/lib/etcd/ring-${i}`,
    walDir: `/var/lib/etcd/ring-${i}/member/wal`,
    logFile: "(container log)",
  }));
  const cmd = etcdContainerCommand(members, 1, { enableV2: true, current: false, token: "t" });
  assert.equal(cmd[0], "/usr/local/bin/etcd");
  const urls = cmd
    .filter((a) => a.includes("http://"))
    .flatMap((a) => a.split("=").slice(1).join("=").split(","));
  for (const url of urls) assert.match(url, /^(ring-\d=)?http:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(cmd.includes("--data-dir=/var/lib/etcd/ring-1"));
  assert.ok(cmd.includes("--enable-v2=true"));
  assert.ok(!cmd.includes("--unsafe-no-fsync=true"), "etcd 3.4 has no --unsafe-no-fsync");
});

import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Etcd3 } from "etcd3";
import { stopAll } from "../../src/common/cleanup.js";
import { makeTempDir, removeDir } from "../../src/common/temp.js";
import { DEFAULT_IGNORE_RULES } from "../../src/diff/defaults.js";
import { diffSnapshots, hasDifferences } from "../../src/diff/engine.js";
import { type StartedLocalEtcd, startLocalEtcd } from "../../src/providers/etcd/local-etcd.js";
import { collectRecords, loadSnapshot, saveSnapshot } from "../../src/snapshot/file.js";
import { fieldToBytes, isBase64Bytes } from "../../src/snapshot/record.js";
import { openStore } from "../../src/store-uri/store-uri.js";
import { requireBinary } from "../helpers/binaries.js";
import { runCli } from "./snapshot-cli.helper.js";

after(stopAll);

const BINARY_VALUE = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x41, 0xc3, 0x28, 0x0a]);
const BINARY_KEY = Buffer.concat([Buffer.from("/t/bin-key-"), Buffer.from([0xff, 0x01])]);
const KEYS = 1234;

describe("etcd v3 snapshots on a real etcd 3.6", () => {
  let etcd: StartedLocalEtcd;
  let client: Etcd3;
  let dir: string;
  let host: string;

  before(async () => {
    await requireBinary("etcd");
    etcd = await startLocalEtcd({ line: "current", name: "snap-v3" });
    client = new Etcd3({ hosts: etcd.endpoints });
    host = (etcd.endpoints[0] ?? "").replace("http://", "");
    dir = await makeTempDir("snapshot-test");
    for (let i = 0; i < KEYS; i += 200) {
      await Promise.all(
        Array.from({ length: Math.min(200, KEYS - i) }, (_, j) =>
          client.put(`/t/k${String(i + j).padStart(5, "0")}`).value(`value ${i + j}`),
        ),
      );
    }
    await client.put("/t/binary").value(BINARY_VALUE);
    await client.put(BINARY_KEY).value("text under a binary key");
    const lease = client.lease(600, { autoKeepAlive: false });
    await lease.put("/t/leased").value("with a lease");
    await client.put("/other/outside").value("not under /t");
  });

  after(async () => {
    client?.close();
    await etcd?.stop();
    if (dir) await removeDir(dir);
  });

  it("pages through the keyspace at one revision and keeps non-UTF-8 keys and values exactly", async () => {
    const snapshot = await openStore(`etcd://${host}/t`, { pageSize: 100 });
    const records = await collectRecords(snapshot.records);
    assert.equal(records.length, KEYS + 3, "every key under /t, nothing outside it");
    assert.ok(Number(snapshot.header.meta?.revision) > KEYS);
    const binary = records.find((r) => r.id === "/t/binary");
    assert.ok(binary && isBase64Bytes(binary.value));
    assert.deepEqual(fieldToBytes(binary.value as never), BINARY_VALUE);
    const binaryKey = records.find((r) => r.id.startsWith("base64:"));
    assert.ok(binaryKey, "a key that is not UTF-8 gets a base64 id");
    assert.deepEqual(fieldToBytes(binaryKey.key as never), BINARY_KEY);
    const leased = records.find((r) => r.id === "/t/leased");
    assert.notEqual(leased?.lease, "0");
    const ids = records.map((r) => r.id);
    assert.deepEqual(ids, [...ids].sort(), "sorted by id");
  });

  it("snapshot → file → load → diff against the live store is empty (round trip, non-UTF-8 included)", async () => {
    const file = join(dir, "before.ndjson");
    const count = await saveSnapshot(await openStore(`etcd://${host}/t`, { pageSize: 100 }), file);
    assert.equal(count, KEYS + 3);
    const loaded = await collectRecords((await loadSnapshot(file)).records);
    assert.deepEqual(fieldToBytes(loaded.find((r) => r.id === "/t/binary")?.value as never), BINARY_VALUE);
    const result = await diffSnapshots(await loadSnapshot(file), await openStore(`etcd://${host}/t`), {
      rules: [],
    });
    assert.equal(result.differences.length, 0, JSON.stringify(result.differences.slice(0, 3)));
    assert.equal(result.counts.identical, KEYS + 3);
    // the same store snapshotted twice gives the same bytes apart from the capture time
    const again = join(dir, "again.ndjson");
    await saveSnapshot(await openStore(`etcd://${host}/t`), again);
    const strip = (text: string) => text.split("\n").slice(1).join("\n");
    assert.equal(strip(await readFile(again, "utf8")), strip(await readFile(file, "utf8")));
  });

  it("finds a single changed byte in a text value and in a binary value, and names the byte", async () => {
    const before = join(dir, "before-change.ndjson");
    await saveSnapshot(await openStore(`etcd://${host}/t`), before);
    await client.put("/t/k00042").value("value 4X");
    const changedBinary = Buffer.from(BINARY_VALUE);
    changedBinary[4] = 0x42;
    await client.put("/t/binary").value(changedBinary);
    await client.delete().key("/t/k00007");
    await client.put("/t/new-key").value("added after");
    const after = join(dir, "after-change.ndjson");
    await saveSnapshot(await openStore(`etcd://${host}/t`), after);
    const result = await diffSnapshots(await loadSnapshot(before), await loadSnapshot(after), {
      rules: [...DEFAULT_IGNORE_RULES],
    });
    assert.ok(hasDifferences(result));
    const counted = result.differences.filter((d) => d.class !== "accounted");
    assert.deepEqual(
      counted.map((d) => [d.class, d.id, d.path]),
      [
        ["changed", "/t/binary", "value.$base64"],
        ["changed", "/t/k00042", "value"],
        ["missing", "/t/k00007", ""],
        ["unexpected", "/t/new-key", ""],
      ].sort((a, b) => ((a[1] ?? "") < (b[1] ?? "") ? -1 : 1)),
    );
    const text = counted.find((d) => d.id === "/t/k00042");
    assert.equal(text?.expected, "value 42");
    assert.equal(text?.actual, "value 4X");
    assert.match(text?.note ?? "", /first difference at byte 7 \(0x32 → 0x58\)/);
    const bin = counted.find((d) => d.id === "/t/binary");
    assert.match(bin?.note ?? "", /first difference at byte 4 \(0x41 → 0x42\)/);
    const accounted = result.differences.filter((d) => d.class === "accounted");
    assert.ok(accounted.length >= 2 && accounted.every((d) => d.rule === "etcd-revisions"));
    assert.deepEqual(
      {
        missing: result.counts.missing,
        unexpected: result.counts.unexpected,
        changed: result.counts.changed,
      },
      { missing: 1, unexpected: 1, changed: 2 },
    );
  });

  it("reads a page larger than gRPC's default 4 MiB message limit (300 values of 20 KB in one page)", async () => {
    const big = "v".repeat(20_000);
    await Promise.all(
      Array.from({ length: 300 }, (_, i) => client.put(`/big/${String(i).padStart(3, "0")}`).value(big)),
    );
    const records = await collectRecords((await openStore(`etcd://${host}/big`)).records);
    assert.equal(records.length, 300);
    assert.equal(records[299]?.value, big);
  });

  it("CLI: snapshot writes a file, diff exits 0 for same, 1 for different, 2 for a broken file", async () => {
    const a = join(dir, "cli-a.ndjson");
    const b = join(dir, "cli-b.ndjson");
    const code = async (args: string[]) => (await runCli(args)).code;
    assert.equal(await code(["snapshot", `etcd://${host}/t`, "-o", a]), 0);
    assert.equal(await code(["diff", `file:${a}`, `etcd://${host}/t`]), 0);
    await client.put("/t/k00100").value("value 10O");
    assert.equal(await code(["snapshot", `etcd://${host}/t`, "-o", b, "--page-size", "7"]), 0);
    const different = await runCli(["diff", `file:${a}`, `file:${b}`]);
    assert.equal(different.code, 1);
    assert.match(
      different.stdout,
      /changed +t +\/t\/k00100 value: "value 100" → "value 10O" \(first difference at byte 8/,
    );
    assert.match(different.stdout, /^DIFFERENT: 0 missing, 0 unexpected, 1 changed/m);
    assert.match(different.stdout, /accounted by rule: etcd-revisions 2/, "modRevision and version");
    assert.equal(await code(["diff", `file:${a}`, `file:${b}`, "--ignore", "value"]), 0);
    const broken = join(dir, "broken.ndjson");
    const lines = (await readFile(a, "utf8")).split("\n");
    lines[5] = "{not json";
    await writeFile(broken, lines.join("\n"));
    const bad = await runCli(["diff", `file:${broken}`, `file:${a}`]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^storeshift: snapshot .*broken\.ndjson:6: not JSON/);
    assert.equal(bad.stderr.trim().split("\n").length, 1, "one line, no stack");
    assert.equal(await code(["diff", "nope://x", `file:${a}`]), 2);
    assert.equal(await code(["snapshot", `etcd://${host}/t`]), 2, "-o is required");
  });
});

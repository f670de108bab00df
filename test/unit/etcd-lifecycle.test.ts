import assert from "node:assert/strict";
import { test } from "node:test";
import { compareRead } from "../../src/etcd-lifecycle/consistency.js";
import { flagsForVersion, minorVersion, withFlag } from "../../src/etcd-lifecycle/flags.js";
import { classifyV2Refusal, parseCheckV2Store } from "../../src/etcd-lifecycle/v2-verdict.js";
import { startFailureLine } from "../../src/providers/etcd/local-etcd.js";

const v34 = ["--name=m0", "--enable-v2=true", "--snapshot-count=5"];

test("3.5 keeps --enable-v2 only when asked and gains --unsafe-no-fsync; 3.6 drops the v2 flags", () => {
  assert.deepEqual(flagsForVersion(v34, "3.5.35", { enableV2: true }), [...v34, "--unsafe-no-fsync=true"]);
  assert.deepEqual(flagsForVersion(v34, "3.5.35", { enableV2: false }), [
    "--name=m0",
    "--snapshot-count=5",
    "--unsafe-no-fsync=true",
  ]);
  const v35 = [...v34, "--v2-deprecation=not-yet", "--unsafe-no-fsync=true"];
  assert.deepEqual(flagsForVersion(v35, "3.6.16", { enableV2: true }), [
    "--name=m0",
    "--snapshot-count=5",
    "--unsafe-no-fsync=true",
  ]);
  assert.deepEqual(flagsForVersion(["--unsafe-no-fsync=true", "--name=a"], "3.4.23", { enableV2: true }), [
    "--name=a",
  ]);
  assert.throws(() => flagsForVersion([], "2.3.8", { enableV2: false }), /expected 3\.x\.y/);
});

test("withFlag replaces the flag's earlier value; minorVersion is what /version's etcdcluster starts with", () => {
  assert.deepEqual(withFlag(v34, "--snapshot-count", "1"), [
    "--name=m0",
    "--enable-v2=true",
    "--snapshot-count=1",
  ]);
  assert.equal(minorVersion("3.5.35"), "3.5");
});

test("3.6's refusals are told apart: v2 store content is E-12, v2 WAL records E-13, anything else neither", () => {
  assert.equal(
    classifyV2Refusal(
      "panic: illegal v2store content\n... detected disallowed custom content in v2store for stage --v2-deprecation=write-only",
    )?.caseId,
    "E-12",
  );
  assert.equal(
    classifyV2Refusal("panic: detected disallowed v2 WAL for stage --v2-deprecation=write-only")?.caseId,
    "E-13",
  );
  assert.equal(classifyV2Refusal("listen tcp 127.0.0.1:2379: bind: address already in use"), undefined);
  assert.equal(parseCheckV2Store("No custom content found in both v2store and WAL records."), "clean");
  assert.equal(
    parseCheckV2Store("detected custom v2 content in both v2store and WAL records"),
    "custom-content",
  );
  assert.equal(parseCheckV2Store("Error: unknown command"), "unknown");
});

test("a start failure is named by the panic line, not by the goroutine dump after it", () => {
  const log = [
    '{"level":"info","msg":"starting"}',
    "panic: detected disallowed v2 WAL for stage --v2-deprecation=write-only",
    "",
    "goroutine 1 [running]:",
    "main.main()",
  ].join("\n");
  assert.match(startFailureLine(log), /^panic: detected disallowed v2 WAL/);
  const zap = `{"level":"panic","msg":"illegal v2store content","error":"detected disallowed custom content in v2store"}\npanic: illegal v2store content\n\ngoroutine 1`;
  assert.match(startFailureLine(zap), /"error":"detected disallowed custom content/);
  assert.match(startFailureLine('{"level":"error","msg":"x"}\nlast'), /"level":"error"/);
  assert.equal(startFailureLine("only line"), "only line");
});

test("a member's serializable read against the reference: missing, changed, unexpected keys and revision", () => {
  const kv = (key: string, value: string, rev: number) => ({
    key: Buffer.from(key),
    value: Buffer.from(value),
    createRevision: rev,
    modRevision: rev,
    version: 1,
    lease: "0",
  });
  const reference = { label: "before", revision: 3, kvs: [kv("/a", "1", 2), kv("/b", "2", 3)] };
  assert.deepEqual(
    compareRead({ member: "m0", endpoint: "e0", revision: 3, kvs: reference.kvs }, reference),
    [],
  );
  const empty = compareRead({ member: "m1", endpoint: "e1", revision: 1, kvs: [] }, reference);
  assert.deepEqual(
    empty.map((d) => `${d.class} ${d.id} ${d.kind} ${d.path}`),
    ["missing etcd:/a member m1 ", "missing etcd:/b member m1 ", "changed etcd-member:m1 member m1 revision"],
  );
  const other = compareRead(
    {
      member: "m2",
      endpoint: "e2",
      revision: 3,
      kvs: [kv("/a", "X", 2), kv("/b", "2", 3), kv("/c", "3", 3)],
    },
    reference,
  );
  assert.deepEqual(
    other.map((d) => `${d.class} ${d.id} ${d.path}`),
    ["changed etcd:/a value", "unexpected etcd:/c "],
  );
});

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  attributeDrift,
  crossCheckDrift,
  driftBetween,
  type Fingerprint,
  lockHonoured,
  v2DriftSinceScan,
  v2WritesAccounted,
  type WriterLog,
  writesInKube,
} from "../../src/live-writers/index.js";

function fp(revision: number, entries: [string, number, number][]): Fingerprint {
  return {
    prefix: "/calico/",
    revision,
    keys: new Map(entries.map(([k, modRevision, version]) => [k, { modRevision, version }])),
  };
}

function log(
  writer: string,
  writes: [string, number, string?][],
  lock: "honours" | "ignores" = "ignores",
): WriterLog {
  return {
    writer,
    lock,
    waits: 0,
    refused: 0,
    errors: [],
    writes: writes.map(([key, revision, value]) => ({ writer, key, revision, value: value ?? "", at: "" })),
  };
}

test("drift names created, modified (with the write count) and deleted keys, nothing else", () => {
  const before = fp(10, [
    ["/calico/a", 5, 1],
    ["/calico/b", 6, 2],
    ["/calico/gone", 7, 1],
  ]);
  const after = fp(14, [
    ["/calico/a", 5, 1],
    ["/calico/b", 13, 4],
    ["/calico/new", 14, 1],
  ]);
  assert.deepEqual(driftBetween(before, after), [
    { key: "/calico/b", change: "modified", before: 6, after: 13, writes: 2 },
    { key: "/calico/gone", change: "deleted", before: 7 },
    { key: "/calico/new", change: "created", after: 14, writes: 1 },
  ]);
});

test("a key deleted and created again counts as modified with an unknown number of writes", () => {
  const drift = driftBetween(fp(10, [["/calico/a", 5, 3]]), fp(20, [["/calico/a", 19, 1]]));
  assert.deepEqual(drift, [{ key: "/calico/a", change: "modified", before: 5, after: 19 }]);
});

test("the cross-check passes when the drift names exactly the logged writes after the fingerprint", () => {
  const logs = [
    log("policy-sync", [
      ["/calico/p", 8],
      ["/calico/p", 12],
      ["/calico/p", 13],
    ]),
    log("felix", [["/calico/f", 14]]),
  ];
  const drift = attributeDrift(
    driftBetween(
      fp(10, [["/calico/p", 8, 1]]),
      fp(14, [
        ["/calico/p", 13, 3],
        ["/calico/f", 14, 1],
      ]),
    ),
    logs,
  );
  assert.deepEqual(
    drift.map((d) => d.writer),
    ["felix", "policy-sync"],
  );
  assert.deepEqual(crossCheckDrift(drift, logs, 10), []);
});

test("the cross-check fails on a write the drift missed, a wrong count and a name no writer explains", () => {
  const logs = [
    log("w", [
      ["/calico/x", 11],
      ["/calico/y", 12],
      ["/calico/y", 13],
    ]),
  ];
  const drift = [
    { key: "/calico/y", change: "modified" as const, before: 5, after: 13, writes: 1 },
    { key: "/calico/z", change: "created" as const, after: 14, writes: 1 },
  ];
  const diffs = crossCheckDrift(drift, logs, 10);
  assert.deepEqual(
    diffs.map((d) => `${d.class} ${d.id} ${d.path}`),
    ["missing etcd:/calico/x ", "changed etcd:/calico/y writes", "unexpected etcd:/calico/z "],
  );
});

test("writes in Kubernetes: the last write's fields must be there; not-migrated writes are accounted", () => {
  const w = log("policy-sync", [
    ["/calico/p", 3],
    ["/calico/p", 4],
    ["/calico/f", 5],
  ]);
  const [first, second, felix] = w.writes;
  if (!first || !second || !felix) throw new Error("fixture");
  first.target = {
    kind: "NetworkPolicy",
    name: "p",
    namespace: "prod",
    fields: [{ path: ["spec", "order"], value: 1 }],
  };
  second.target = {
    kind: "NetworkPolicy",
    name: "p",
    namespace: "prod",
    fields: [{ path: ["spec", "order"], value: 2 }],
  };
  felix.target = { notMigrated: "status" };
  const obj = (order: number) => [
    { kind: "NetworkPolicy", metadata: { name: "p", namespace: "prod" }, spec: { order } },
  ];
  assert.deepEqual(
    writesInKube([w], obj(2)).map((d) => d.class),
    ["accounted"],
  );
  assert.deepEqual(
    writesInKube([w], obj(1)).map((d) => `${d.class} ${d.path}`),
    ["changed spec.order", "accounted "],
  );
  assert.deepEqual(
    writesInKube([w], []).map((d) => d.class),
    ["missing", "accounted"],
  );
});

test("a lock-honouring writer must have waited and written nothing from the lock's revision on", () => {
  const ok = { ...log("ipam", [["/calico/a", 5]], "honours"), waits: 3 };
  assert.deepEqual(lockHonoured([ok], 9), []);
  const late = { ...log("ipam", [["/calico/a", 9]], "honours"), waits: 3 };
  assert.equal(lockHonoured([late], 9).length, 1);
  assert.equal(lockHonoured([log("ipam", [], "honours")], 9).length, 1);
  assert.deepEqual(lockHonoured([log("felix", [["/calico/f", 20]])], 9), []);
});

test("v2 writes: before the scan they must be in v3, after it they must be named", () => {
  const tree = {
    etcdIndex: 30,
    readAtMs: 0,
    root: {
      key: "/",
      dir: true,
      createdIndex: 0,
      modifiedIndex: 0,
      nodes: [
        {
          key: "/live",
          dir: true,
          createdIndex: 5,
          modifiedIndex: 5,
          nodes: [
            { key: "/live/k0", dir: false, value: "v3", createdIndex: 25, modifiedIndex: 25 },
            { key: "/live/k1", dir: false, value: "v1", createdIndex: 6, modifiedIndex: 6 },
            { key: "/live/k2", dir: false, value: "v2", createdIndex: 22, modifiedIndex: 22 },
          ],
        },
      ],
    },
  };
  const v3 = new Map([
    ["/live/k0", "v0"],
    ["/live/k1", "v1"],
  ]);
  // k0 was copied by the run (v2's set gives a rewritten key a new createdIndex, so only the run knows)
  const copied = [
    { v2Key: "/live/k0", key: "/live/k0", createdIndex: 5, modifiedIndex: 5, revision: 3, lease: "0" },
  ];
  const drift = v2DriftSinceScan(tree, 20, copied, v3);
  assert.deepEqual(drift, [
    { key: "/live/k0", change: "modified", modifiedIndex: 25, v3: "stale" },
    { key: "/live/k2", change: "created", modifiedIndex: 22, v3: "absent" },
  ]);
  const w = log("v2-writer", [
    ["/live/k0", 5, "v0"],
    ["/live/k1", 6, "v1"],
    ["/live/k2", 22, "v2"],
    ["/live/k0", 25, "v3"],
  ]);
  assert.deepEqual(
    v2WritesAccounted(w, 20, drift, v3).map((d) => d.class),
    ["accounted", "accounted"],
  );
  // silently lost: k1 missing from v3, and k2 not named
  const lost = v2WritesAccounted(w, 20, drift.slice(0, 1), new Map([["/live/k0", "v0"]]));
  assert.deepEqual(
    lost.filter((d) => d.class !== "accounted").map((d) => `${d.class} ${d.id}`),
    ["missing etcd-v2:/live/k1", "missing etcd-v2:/live/k2"],
  );
  // a run that claims a later scan than it read: the copy lacks what v2 held at that index
  const late = log("v2-writer", [
    ["/live/k0", 5, "v0"],
    ["/live/k0", 19, "v1"],
    ["/live/k0", 25, "v3"],
  ]);
  assert.deepEqual(
    v2WritesAccounted(late, 20, drift.slice(0, 1), v3).map((d) => `${d.class} ${d.path}`),
    ["changed value", "accounted "],
  );
});

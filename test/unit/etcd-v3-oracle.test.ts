import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import {
  compareHashes,
  compareMember,
  compareWithReference,
  type MemberKv,
  type MemberView,
  parseExpectedTree,
  resolveKeys,
} from "../../src/etcd-v3-oracle/index.js";

const root = resolve(import.meta.dirname, "../..");
const shapesFile = join(root, "fixtures/etcd-v2/expected/shapes.yaml");
const shapes = () => parseExpectedTree(readFileSync(shapesFile, "utf8"), shapesFile);

// ---- independence: the oracle must not reach the code it checks, not even through another module
const FORBIDDEN = ["expected", "mapping", "online", "verify"].map((m) => join(root, `src/etcd-v2v3/${m}.ts`));

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(
    /(?:import|export)[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g,
  )) {
    const spec = m[1] ?? m[2] ?? "";
    if (spec.startsWith(".")) out.push(resolve(dirname(file), spec).replace(/\.js$/, ".ts"));
  }
  return out;
}

function reachable(entry: string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...entry];
  while (todo.length > 0) {
    const file = todo.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    todo.push(...importsOf(file));
  }
  return seen;
}

test("the etcd v3 oracle reaches none of the migrator's mapping, migrators or verifier", () => {
  const dir = join(root, "src/etcd-v3-oracle");
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(dir, f));
  const seen = reachable(files);
  // the walk does follow imports: the oracle uses the v3 client module on purpose
  assert.ok(seen.has(join(root, "src/etcd-v2v3/v3.ts")));
  for (const f of FORBIDDEN) assert.ok(!seen.has(f), `src/etcd-v3-oracle reaches ${f}`);
});

test("the import walk would see a forbidden import (offline.ts reaches expected.ts)", () => {
  assert.ok(reachable([join(root, "src/etcd-v2v3/offline.ts")]).has(FORBIDDEN[0] as string));
});

// ---- the expected-tree format
test("expected trees: every bundled one parses and names its fixture", () => {
  const dir = join(root, "fixtures/etcd-v2/expected");
  const names = readdirSync(dir).filter((f) => f.endsWith(".yaml"));
  for (const name of [
    "shapes.yaml",
    "seed-foo.yaml",
    "generated-small.yaml",
    "large-value.yaml",
    "oversize.yaml",
    "empty.yaml",
  ])
    assert.ok(names.includes(name), `expected tree for ${name}`);
  for (const name of names) {
    const tree = parseExpectedTree(readFileSync(join(dir, name), "utf8"), name);
    assert.equal(tree.fixture, name);
  }
  const gen = parseExpectedTree(readFileSync(join(dir, "generated-small.yaml"), "utf8"), "g");
  assert.equal(gen.keys.length, 300);
  const big = parseExpectedTree(readFileSync(join(dir, "large-value.yaml"), "utf8"), "l");
  assert.equal(big.keys.find((k) => k.key === "/big")?.value.length, 1_000_000);
});

test("expected trees: bad entries fail with the file, line and entry", () => {
  assert.throws(
    () => parseExpectedTree("fixture: x.yaml\nkeys:\n  - key: /a\n    value: 1\n", "t.yaml"),
    /load expected v3 tree t\.yaml:3 \(keys\[0\]\): value must be a string/,
  );
  assert.throws(
    () =>
      parseExpectedTree(
        "fixture: x.yaml\nkeys:\n  - { key: /a, value: a }\n  - { key: /a, value: b }\n",
        "t.yaml",
      ),
    /t\.yaml:4 \(keys\[1\]\): key \/a is listed twice/,
  );
  assert.throws(() => parseExpectedTree("keys: []\n", "t.yaml"), /needs `fixture:`/);
  assert.throws(
    () => parseExpectedTree("fixture: x\nabsent:\n  - { key: /a }\n", "t.yaml"),
    /t\.yaml:3 \(absent\[0\]\): absent entries need `why:`/,
  );
});

// ---- comparison: a member built to match shapes.yaml as etcdctl migrate writes it
function kv(key: string, value: string | Buffer, rev: number, extra: Partial<MemberKv> = {}): MemberKv {
  const v = typeof value === "string" ? Buffer.from(value, "utf8") : value;
  return {
    key: Buffer.from(key, "utf8"),
    value: v,
    createRevision: rev,
    modRevision: rev,
    version: 1,
    lease: "0",
    ...extra,
  };
}

function etcdctlLike(): {
  view: MemberView;
  v2: Map<string, { createdIndex: number; modifiedIndex: number }>;
} {
  const tree = resolveKeys(shapes(), []);
  const kvs: MemberKv[] = [];
  const v2 = new Map<string, { createdIndex: number; modifiedIndex: number }>();
  let queue = 0;
  for (const k of tree.keys) {
    const index = 3 + (k.step ?? 0);
    const key = k.match ? `/queue/${String(index).padStart(20, "0")}` : k.key;
    queue += k.match ? 1 : 0;
    kvs.push(kv(key, k.value, index));
    v2.set(key, { createdIndex: index, modifiedIndex: index });
  }
  assert.equal(queue, 2);
  const revision = Math.max(...kvs.map((k) => k.modRevision));
  return { view: { endpoint: "m0", revision, kvs, leaseTtls: new Map() }, v2 };
}

const offline = (v2: Map<string, { createdIndex: number; modifiedIndex: number }>) =>
  ({ ttlPolicy: "permanent", revisions: "v2-indexes", v2Indexes: v2 }) as const;

test("compareMember: etcdctl's documented result matches; each kind of loss is caught", () => {
  const { view, v2 } = etcdctlLike();
  assert.deepEqual(compareMember(shapes(), view, offline(v2)), []);

  const classes = (mutate: (kvs: MemberKv[]) => MemberKv[], sem = offline(v2)) =>
    compareMember(shapes(), { ...view, kvs: mutate(view.kvs.map((k) => ({ ...k }))) }, sem).map(
      (d) => `${d.class} ${d.id} ${d.path}`,
    );
  // a TTL key skipped
  assert.deepEqual(
    classes((kvs) => kvs.filter((k) => k.key.toString() !== "/ttlkey")),
    ["missing etcd:/ttlkey "],
  );
  // value encoding broken (the unicode value re-encoded as latin1)
  assert.deepEqual(
    classes((kvs) =>
      kvs.map((k) =>
        k.key.toString() === "/unicode/ключ" ? { ...k, value: Buffer.from(k.value.toString(), "latin1") } : k,
      ),
    ),
    ["changed etcd:/unicode/ключ value"],
  );
  // a hidden key migrated
  assert.deepEqual(
    classes((kvs) => [...kvs, kv("/app/_secret", "hidden leaf in a normal dir", 18)]),
    ["unexpected etcd:/app/_secret "],
  );
  // a TTL key given a lease under etcdctl's semantics
  assert.deepEqual(
    classes((kvs) => kvs.map((k) => (k.key.toString() === "/ttlkey" ? { ...k, lease: "7" } : k))),
    ["changed etcd:/ttlkey lease"],
  );
  // a revision off by one from the v2 index
  assert.deepEqual(
    classes((kvs) =>
      kvs.map((k) => (k.key.toString() === "/plain" ? { ...k, createRevision: 5, modRevision: 5 } : k)),
    ),
    ["changed etcd:/plain createRevision", "changed etcd:/plain modRevision"],
  );
  // written twice (version 2)
  assert.deepEqual(
    classes((kvs) => kvs.map((k) => (k.key.toString() === "/noslash" ? { ...k, version: 2 } : k))),
    ["changed etcd:/noslash version"],
  );
});

test("compareMember: revisions out of fixture order and a store revision past the data are caught", () => {
  const { view } = etcdctlLike();
  const swapped = view.kvs.map((k) => {
    const key = k.key.toString();
    if (key === "/plain") return { ...k, createRevision: 20, modRevision: 20 };
    if (key === "/app/visible") return { ...k, createRevision: 4, modRevision: 4 };
    return k;
  });
  const v2 = new Map(
    swapped.map((k) => [k.key.toString(), { createdIndex: k.createRevision, modifiedIndex: k.modRevision }]),
  );
  const diffs = compareMember(shapes(), { ...view, kvs: swapped }, offline(v2));
  assert.ok(
    diffs.some((d) => d.id === "etcd:/app/visible" && d.note === "fixture write order"),
    JSON.stringify(diffs),
  );
  const later = compareMember(shapes(), { ...etcdctlLike().view, revision: 40 }, offline(etcdctlLike().v2));
  assert.deepEqual(
    later.map((d) => d.path),
    ["revision"],
  );
});

test("compareMember: --no-ttl drops only keys with their own TTL; the lease policy wants the earliest expiry", () => {
  const { view } = etcdctlLike();
  const drop = { ttlPolicy: "drop", revisions: "fresh" } as const;
  const withoutOwnTtl = view.kvs.filter(
    (k) => !["/ttlkey", "/ttldir/sub/grandchild"].includes(k.key.toString()),
  );
  assert.deepEqual(compareMember(shapes(), { ...view, kvs: withoutOwnTtl }, drop), []);
  assert.deepEqual(
    compareMember(shapes(), view, drop).map((d) => `${d.class} ${d.id}`),
    ["unexpected etcd:/ttlkey", "unexpected etcd:/ttldir/sub/grandchild"],
  );
  const ttlKeys = ["/ttlkey", "/ttldir/child", "/ttldir/sub/grandchild"];
  const leased = (grandchildTtl: number): MemberView => ({
    ...view,
    kvs: view.kvs.map((k) => {
      const key = k.key.toString();
      if (!ttlKeys.includes(key)) return k;
      return { ...k, lease: key === "/ttldir/sub/grandchild" ? "2" : "1" };
    }),
    leaseTtls: new Map([
      ["1", 3598],
      ["2", grandchildTtl],
    ]),
  });
  const lease = { ttlPolicy: "lease", revisions: "fresh" } as const;
  assert.deepEqual(compareMember(shapes(), leased(3598), lease), []);
  // the grandchild's own 7200 s outlives its dir: v2 would have expired it with the dir
  assert.deepEqual(
    compareMember(shapes(), leased(7198), lease).map((d) => `${d.id} ${d.path}`),
    ["etcd:/ttldir/sub/grandchild lease"],
  );
});

test("compareHashes and compareWithReference", () => {
  assert.deepEqual(
    compareHashes([
      { endpoint: "a", revision: 5, hash: "1" },
      { endpoint: "b", revision: 5, hash: "1" },
    ]),
    [],
  );
  assert.equal(
    compareHashes([
      { endpoint: "a", revision: 5, hash: "1" },
      { endpoint: "b", revision: 5, hash: "2" },
    ]).length,
    1,
  );
  const ref: MemberView = {
    endpoint: "r",
    revision: 9,
    kvs: [kv("/a", "x", 8), kv("/b", "y", 9)],
    leaseTtls: new Map(),
  };
  const online: MemberView = {
    endpoint: "s",
    revision: 3,
    kvs: [kv("/a", "x", 2), kv("/b", "y", 3)],
    leaseTtls: new Map(),
  };
  const counted = (v: MemberView, leasesDiffer = false) =>
    compareWithReference(v, ref, { leasesDiffer }).filter((d) => d.class !== "accounted");
  assert.deepEqual(counted(online), []);
  assert.deepEqual(
    counted({ ...online, kvs: [kv("/a", "x", 2)] }).map((d) => `${d.class} ${d.id}`),
    ["missing etcd:/b"],
  );
  const leased = { ...online, kvs: [kv("/a", "x", 2, { lease: "5" }), kv("/b", "y", 3)] };
  assert.equal(counted(leased).length, 1);
  assert.equal(counted(leased, true).length, 0);
});

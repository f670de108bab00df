import assert from "node:assert/strict";
import { test } from "node:test";
import { anonymizeCalicoExport, anonymizeEntries, anonymizeV2Tree } from "../../src/anonymize/index.js";
import { canonicalCidr } from "../../src/calico/etcd/keys.js";
import { decodeCalicoEntries } from "../../src/calico/etcd/store.js";
import { buildExport, exportText } from "../../src/calico/export/build.js";
import { parseExport } from "../../src/calico/export/format.js";
import { fixtureToEtcdEntries, loadFixture } from "../../src/calico/fixture.js";
import { parseV2Dump } from "../../src/sources/index.js";

async function datasetEntries(): Promise<{ key: string; value: string }[]> {
  const fixture = await loadFixture("fixtures/calico/dataset.yaml");
  return fixtureToEtcdEntries(fixture).map(([key, value]) => ({ key, value }));
}

function decode(entries: { key: string; value: string }[]) {
  return decodeCalicoEntries(
    entries.map((e) => ({ ...e, modRevision: "1" })),
    "1",
  );
}

function contains(outer: string, inner: string): boolean {
  if (outer.includes(":") !== inner.includes(":")) return false;
  const [a = "", n = "0"] = outer.split("/");
  const [b = ""] = inner.split("/");
  return (
    canonicalCidr(`${b}/${n}`) === canonicalCidr(`${a}/${n}`) && Number(inner.split("/")[1]) >= Number(n)
  );
}

test("the same input and key give the same output; another key another", async () => {
  const entries = await datasetEntries();
  const a = anonymizeEntries(entries, "k1").entries;
  assert.deepEqual(anonymizeEntries(entries, "k1").entries, a);
  const b = anonymizeEntries(entries, "k2").entries;
  assert.notDeepEqual(b, a);
  // order of input does not change any rewrite
  const reversed = anonymizeEntries([...entries].reverse(), "k1").entries;
  assert.deepEqual([...reversed].reverse(), a);
});

test("no name of the original survives; Calico's own words do", async () => {
  const entries = await datasetEntries();
  const text = JSON.stringify(anonymizeEntries(entries, "k1").entries);
  for (const name of [
    "etcd-node1",
    "node5",
    "prod",
    "allow-dns",
    "rack1-tor",
    "security",
    "kubevirt",
    "10.65.",
  ])
    assert.ok(!text.includes(name), `"${name}" survived`);
  for (const word of [
    "ipip-tunnel-addr-",
    "kns.",
    "ksa.",
    "knp.default.",
    "/calico/ipam/v2/",
    "projectcalico.org/v3",
    // built-in tiers: lock re-creates them when missing, so a rename would add a difference
    "tiers/kube-admin",
    "tiers/kube-baseline",
  ])
    assert.ok(text.includes(word), `"${word}" was rewritten`);
});

test("CIDR containment, block sizes and ordinals are kept", async () => {
  const entries = await datasetEntries();
  const before = decode(entries);
  const after = decode(anonymizeEntries(entries, "k1").entries);
  const pools = (d: typeof before) =>
    d.resources.filter((r) => r.kind === "IPPool").map((r) => String(r.spec?.cidr));
  const blocks = (d: typeof before) => d.blocks.map((b) => b.value.cidr);
  assert.deepEqual(
    blocks(after).map((c) => c.split("/")[1]),
    blocks(before).map((c) => c.split("/")[1]),
  );
  for (const [i, block] of blocks(before).entries())
    for (const [j, pool] of pools(before).entries())
      assert.equal(
        contains(pools(after)[j] ?? "", blocks(after)[i] ?? ""),
        contains(pool, block),
        `${block} in ${pool}`,
      );
  // every workload address sits at the same ordinal of the same (rewritten) block, allocated as before
  assert.deepEqual(
    after.blocks.map((b) => b.value.allocations),
    before.blocks.map((b) => b.value.allocations),
  );
  for (const b of after.blocks) assert.equal(canonicalCidr(b.value.cidr), b.value.cidr);
});

test("node, orchRef, handle, affinity and tier relations still hold", async () => {
  const after = decode(anonymizeEntries(await datasetEntries(), "k1").entries);
  const nodes = new Set(after.resources.filter((r) => r.kind === "Node").map((r) => r.metadata.name));
  for (const wep of after.resources.filter((r) => r.kind === "WorkloadEndpoint"))
    assert.ok(nodes.has(String(wep.spec?.node)), `WorkloadEndpoint ${wep.metadata.name} on unknown node`);
  for (const a of after.affinities.filter((x) => x.type === "host"))
    assert.ok(nodes.has(a.host), `affinity for unknown host ${a.host}`);
  const handles = new Set(after.handles.map((h) => h.id));
  for (const b of after.blocks)
    for (const attr of b.value.attributes)
      if (attr.handle_id)
        assert.ok(handles.has(attr.handle_id), `block ${b.value.cidr}: no handle ${attr.handle_id}`);
  for (const h of after.handles)
    for (const cidr of Object.keys(h.value.block))
      assert.ok(
        after.blocks.some((b) => b.value.cidr === cidr),
        `handle ${h.id}: no block ${cidr}`,
      );
  const tiers = new Set(after.resources.filter((r) => r.kind === "Tier").map((r) => r.metadata.name));
  for (const p of after.resources.filter((r) => /NetworkPolicy$/.test(r.kind) && r.spec?.tier)) {
    assert.ok(tiers.has(String(p.spec?.tier)), `${p.kind} ${p.metadata.name}: no tier ${p.spec?.tier}`);
    if (p.spec?.tier !== "default")
      assert.ok(p.metadata.name.startsWith(`${p.spec?.tier}.`), p.metadata.name);
  }
  // the export still renames etcd nodes to their Kubernetes nodes and skips what it skipped
  const before = decode(await datasetEntries());
  const rules = (d: typeof before) =>
    buildExport(d)
      .skipped.map((s) => `${s.kind}:${s.rule}`)
      .sort();
  assert.deepEqual(rules(after), rules(before));
  assert.equal(
    Object.keys(buildExport(after).nodeMap).length,
    Object.keys(buildExport(before).nodeMap).length,
  );
});

test("an export file anonymised parses, and keeps its shape", async () => {
  const before = decode(await datasetEntries());
  const text = exportText(buildExport(before));
  const out = anonymizeCalicoExport(parseExport(text, "export.yaml"), "k1");
  const parsed = parseExport(out, "anonymised.yaml");
  const original = parseExport(text, "export.yaml");
  assert.deepEqual(
    parsed.resources.map((r) => r.kind),
    original.resources.map((r) => r.kind),
  );
  assert.equal(parsed.ipam.blocks?.length, original.ipam.blocks?.length);
  assert.ok(!out.includes("etcd-node1") && !out.includes("10.65."));
  assert.equal(anonymizeCalicoExport(parseExport(text, "export.yaml"), "k1"), out);
});

test("a v2 tree keeps its shape, value sizes and hidden keys; names are gone", async () => {
  const dump = parseV2Dump(
    JSON.stringify({
      action: "get",
      node: {
        dir: true,
        nodes: [
          {
            key: "/coreos.com",
            dir: true,
            nodes: [
              {
                key: "/coreos.com/network",
                dir: true,
                nodes: [
                  {
                    key: "/coreos.com/network/config",
                    value: '{"Network":"10.244.0.0/16","Backend":{"Type":"vxlan"}}',
                  },
                  { key: "/coreos.com/network/_hidden", value: "x" },
                ],
              },
            ],
          },
          {
            key: "/acme",
            dir: true,
            nodes: [{ key: "/acme/secret-service", value: "payroll.acme.internal", ttl: 30 }],
          },
        ],
      },
    }),
    "dump.json",
  );
  const out = anonymizeV2Tree(dump, "k1");
  const flat = (n: typeof dump, acc: string[] = []): string[] => {
    acc.push(
      `${n.dir ? "d" : "f"}${n.key.length}:${n.value?.length ?? "-"}:${n.ttl ?? "-"}:${n.key.split("/").pop()?.startsWith("_")}`,
    );
    for (const c of n.nodes ?? []) flat(c, acc);
    return acc;
  };
  // an address may print a digit shorter or longer; every other value keeps its size exactly
  const withoutIps = (lines: string[]) => lines.map((l) => (l.startsWith("f26:") ? "f26:config" : l)).sort();
  assert.deepEqual(withoutIps(flat(out)), withoutIps(flat(dump)));
  const leaves = (n: typeof dump): (typeof dump)[] => (n.dir ? (n.nodes ?? []).flatMap(leaves) : [n]);
  const config = JSON.parse(leaves(out).find((n) => n.value?.startsWith("{"))?.value ?? "{}");
  assert.match(String(config.Network), /^10\.\d+\.0\.0\/16$/);
  assert.equal(config.Backend.Type, "vxlan");
  const text = JSON.stringify(out);
  assert.ok(!/acme|payroll|coreos|10\.244\./.test(text), text);
  assert.deepEqual(anonymizeV2Tree(dump, "k1"), out);
});

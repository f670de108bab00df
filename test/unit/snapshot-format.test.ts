import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { decodeCalicoCrd } from "../../src/calico/kube-snapshot.js";
import { calicoEtcdRecord } from "../../src/snapshot/calico-etcd.js";
import { canonicalRecordLine } from "../../src/snapshot/canonical.js";
import { collectRecords, loadSnapshot, saveSnapshot, snapshotFromRecords } from "../../src/snapshot/file.js";
import { registryKind, registryRecord } from "../../src/snapshot/kube-registry.js";
import {
  bytesToField,
  bytesToId,
  compareIds,
  fieldToBytes,
  type SnapshotHeader,
} from "../../src/snapshot/record.js";
import { parseStoreUri } from "../../src/store-uri/store-uri.js";

const header: SnapshotHeader = { storeshiftSnapshot: 1, format: "etcd-v3", store: "unit", capturedAt: "t" };

describe("bytes", () => {
  it("keeps UTF-8 as text (BOM included) and anything else as exact base64", () => {
    assert.equal(bytesToField(Buffer.from("héllo ✓")), "héllo ✓");
    const bom = Buffer.from([0xef, 0xbb, 0xbf, 0x41]);
    assert.deepEqual(fieldToBytes(bytesToField(bom)), bom);
    for (const bad of [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]) {
      const field = bytesToField(Buffer.from(bad));
      assert.equal(typeof field, "object", `bytes ${bad} are not UTF-8`);
      assert.deepEqual(fieldToBytes(field), Buffer.from(bad));
    }
    assert.equal(bytesToId(Buffer.from([0x2f, 0xff])), "base64:L/8=");
  });

  it("orders ids by UTF-16 units, the one order readers, files and the diff share", () => {
    assert.ok(compareIds("/a", "/b") < 0 && compareIds("/a/b", "/a-b") > 0 && compareIds("x", "x") === 0);
  });
});

describe("store URIs", () => {
  it("parses each scheme", () => {
    assert.deepEqual(parseStoreUri("etcd://127.0.0.1:2379/registry"), {
      scheme: "etcd",
      endpoints: ["http://127.0.0.1:2379"],
      prefix: "/registry",
      uri: "etcd://127.0.0.1:2379/registry",
    });
    const multi = parseStoreUri("etcdv2://h1:1,h2:2");
    assert.deepEqual("endpoints" in multi ? multi.endpoints : [], ["http://h1:1", "http://h2:2"]);
    assert.deepEqual(parseStoreUri("calico-kube:///tmp/kc.yaml#ctx"), {
      scheme: "calico-kube",
      kubeconfigPath: "/tmp/kc.yaml",
      context: "ctx",
      uri: "calico-kube:///tmp/kc.yaml#ctx",
    });
    assert.deepEqual(parseStoreUri("calico-kube://"), { scheme: "calico-kube", uri: "calico-kube://" });
    assert.equal(parseStoreUri("file:snap.ndjson").scheme, "file");
    assert.equal(parseStoreUri("kube-registry://127.0.0.1:1/").scheme, "kube-registry");
  });

  it("rejects bad URIs with one line naming the URI", () => {
    assert.throws(() => parseStoreUri("127.0.0.1:2379"), /store "127.0.0.1:2379": not a store URI/);
    assert.throws(() => parseStoreUri("redis://x:1"), /unknown scheme "redis"/);
    assert.throws(() => parseStoreUri("etcd://nohost"), /"nohost" is not host:port/);
    assert.throws(() => parseStoreUri("calico-etcd://h:1/foo"), /calico-etcd reads fixed prefixes/);
    assert.throws(() => parseStoreUri("file:"), /file: needs a path/);
  });
});

describe("decoders", () => {
  it("turns Calico etcd keys into v3 and IPAM records; other keys are skipped", () => {
    const policy = calicoEtcdRecord(
      Buffer.from("/calico/resources/v3/projectcalico.org/networkpolicies/ns1/default.allow"),
      Buffer.from(
        JSON.stringify({ kind: "NetworkPolicy", metadata: { name: "default.allow", namespace: "ns1" } }),
      ),
    );
    assert.equal(policy?.id, "projectcalico.org/v3/NetworkPolicy/ns1/default.allow");
    assert.equal(policy?.apiVersion, "projectcalico.org/v3");
    const handle = calicoEtcdRecord(
      Buffer.from("/calico/ipam/v2/handle/k8s-pod-network.abc"),
      Buffer.from('{"block":{}}'),
    );
    assert.equal(handle?.id, "ipam/IPAMHandle/k8s-pod-network.abc");
    const notJson = calicoEtcdRecord(
      Buffer.from("/calico/resources/v3/projectcalico.org/ippools/p"),
      Buffer.from([0xff]),
    );
    assert.deepEqual(notJson?.raw, { $base64: "/w==" }, "a value that is not JSON is kept, not dropped");
    assert.equal(calicoEtcdRecord(Buffer.from("/calico/felix/v1/x"), Buffer.from("1")), undefined);
  });

  it("decodes a Calico CRD back to v3 from the metadata annotation", () => {
    const record = decodeCalicoCrd(
      {
        apiVersion: "crd.projectcalico.org/v1",
        kind: "NetworkPolicy",
        metadata: {
          name: "knp.default.x",
          namespace: "ns",
          resourceVersion: "5",
          annotations: {
            "projectcalico.org/metadata": JSON.stringify({
              name: "default.x",
              labels: { a: "b" },
              creationTimestamp: "c",
            }),
          },
        },
        spec: { order: 1 },
      },
      "NetworkPolicy",
    );
    assert.equal(record.id, "projectcalico.org/v3/NetworkPolicy/ns/default.x");
    assert.deepEqual(record.metadata, {
      name: "default.x",
      namespace: "ns",
      labels: { a: "b" },
      creationTimestamp: "c",
      resourceVersion: "5",
    });
    assert.equal(record.apiVersion, "projectcalico.org/v3");
    const block = decodeCalicoCrd(
      { kind: "IPAMBlock", metadata: { name: "10-0-0-0-26" }, spec: { cidr: "10.0.0.0/26" } },
      "IPAMBlock",
    );
    assert.equal(block.id, "ipam/IPAMBlock/10-0-0-0-26");
  });

  it("names registry kinds by resource (group/plural for custom resources) and parses JSON objects", () => {
    assert.equal(registryKind("/registry/pods/ns/p"), "pods");
    assert.equal(registryKind("/registry/crd.projectcalico.org/ippools/x"), "crd.projectcalico.org/ippools");
    const parsed = registryRecord({ id: "/registry/x/y", kind: "x", value: '{"a":1}', version: 1 });
    assert.deepEqual(parsed.object, { a: 1 });
    assert.equal(parsed.value, undefined);
  });
});

describe("snapshot files", () => {
  it("write canonical sorted lines and read back exactly; broken or unsorted files fail naming file and line", async () => {
    const dir = await mkdtemp(join(tmpdir(), "storeshift-snapshot-unit-"));
    try {
      const file = join(dir, "s.ndjson");
      const records = [
        { id: "/a", kind: "a", value: { $base64: "/w==" }, zeta: { b: 2, a: 1 } },
        { id: "/b", kind: "b", value: "text" },
      ];
      assert.equal(await saveSnapshot(snapshotFromRecords(header, records), file), 2);
      const lines = (await readFile(file, "utf8")).trim().split("\n");
      assert.equal(lines[1], '{"id":"/a","kind":"a","value":{"$base64":"/w=="},"zeta":{"a":1,"b":2}}');
      assert.equal(canonicalRecordLine(records[1] as never), lines[2]);
      assert.deepEqual(await collectRecords((await loadSnapshot(file)).records), [
        { id: "/a", kind: "a", value: { $base64: "/w==" }, zeta: { a: 1, b: 2 } },
        { id: "/b", kind: "b", value: "text" },
      ]);
      const unsorted = join(dir, "unsorted.ndjson");
      await writeFile(unsorted, [lines[0], lines[2], lines[1]].join("\n"));
      await assert.rejects(
        collectRecords((await loadSnapshot(unsorted)).records),
        /unsorted\.ndjson: line 3 id "\/a" comes after "\/b"; not sorted/,
      );
      await assert.rejects(
        saveSnapshot(snapshotFromRecords(header, [records[1], records[0]] as never), join(dir, "bad.ndjson")),
        /snapshot save .*bad\.ndjson: unit: record 2 id "\/a" comes after "\/b"/,
      );
      const { existsSync, readdirSync } = await import("node:fs");
      assert.ok(!existsSync(join(dir, "bad.ndjson")), "nothing half-written under the real name");
      assert.deepEqual(
        readdirSync(dir).filter((f) => f.includes("partial")),
        [],
      );
      await writeFile(join(dir, "nohdr.ndjson"), '{"id":"x","kind":"y"}\n');
      await assert.rejects(
        loadSnapshot(join(dir, "nohdr.ndjson")),
        /nohdr\.ndjson:1: not a storeshift snapshot header/,
      );
      await assert.rejects(
        loadSnapshot(join(dir, "absent.ndjson")),
        /absent\.ndjson: cannot read \(ENOENT\)/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

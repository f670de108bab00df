import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDiffConfig, resolveRules } from "../../src/diff/config.js";
import { DEFAULT_IGNORE_RULES } from "../../src/diff/defaults.js";
import {
  diffRecordStreams,
  diffSnapshots,
  firstByteDifference,
  hasDifferences,
} from "../../src/diff/engine.js";
import type { Mapping } from "../../src/diff/mapping.js";
import { formatPath, parsePath, pathCovered } from "../../src/diff/match.js";
import { getMapping, mappingNames } from "../../src/mappings/index.js";
import { snapshotFromRecords } from "../../src/snapshot/file.js";
import type { SnapshotHeader, SnapshotRecord } from "../../src/snapshot/record.js";

const header: SnapshotHeader = { storeshiftSnapshot: 1, format: "calico", store: "test", capturedAt: "t" };

async function* stream(records: SnapshotRecord[]) {
  yield* records;
}

function policy(name: string, extra: Record<string, unknown> = {}): SnapshotRecord {
  return {
    id: `projectcalico.org/v3/NetworkPolicy/ns1/${name}`,
    kind: "NetworkPolicy",
    apiVersion: "projectcalico.org/v3",
    metadata: { name, namespace: "ns1", uid: `uid-${name}`, resourceVersion: "1" },
    spec: { order: 100, selector: "all()" },
    ...extra,
  };
}

describe("diff paths and rules", () => {
  it("parses and formats paths with dotted keys and indexes", () => {
    const path = parsePath("metadata.annotations[kubectl.kubernetes.io/last-applied-configuration]");
    assert.deepEqual(path, ["metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"]);
    assert.equal(formatPath(["spec", "ingress", 0, "a.b"]), "spec.ingress[0][a.b]");
  });

  it("covers descendants and treats ** as any depth, including none", () => {
    assert.ok(pathCovered(parsePath("**.metadata.uid"), ["metadata", "uid"]));
    assert.ok(pathCovered(parsePath("**.metadata.uid"), ["object", "metadata", "uid"]));
    assert.ok(pathCovered(parsePath("**.metadata.managedFields"), ["metadata", "managedFields", 0, "time"]));
    assert.ok(!pathCovered(parsePath("**.metadata.uid"), ["spec", "uid"]));
    assert.ok(pathCovered(parsePath("spec.*.x"), ["spec", 3, "x"]));
  });

  it("names the byte where strings first differ", () => {
    assert.equal(
      firstByteDifference("abcd", "abXd", false),
      "first difference at byte 2 (0x63 → 0x58); lengths 4 → 4",
    );
    const a = Buffer.from([0xff, 0x00, 0x01]).toString("base64");
    const b = Buffer.from([0xff, 0x00, 0x02]).toString("base64");
    assert.match(firstByteDifference(a, b, true) ?? "", /byte 2 \(0x01 → 0x02\)/);
  });

  it("rejects config errors with the file and position, and unknown rule names", () => {
    assert.throws(
      () => parseDiffConfig({ ignore: { rules: [{ description: "x" }] } }, "c.yaml"),
      /c\.yaml: ignore\.rules\[0\]: needs a name/,
    );
    assert.throws(
      () => parseDiffConfig({ ignore: { rules: [{ name: "a", paths: ["x[y"] }] } }, "c.yaml"),
      /not closed/,
    );
    assert.throws(
      () => resolveRules(parseDiffConfig({ ignore: { disable: ["nope"] } }, "c.yaml")),
      /no rule named "nope"/,
    );
    const rules = resolveRules(parseDiffConfig({ ignore: { disable: ["etcd-revisions"] } }, "c.yaml"));
    assert.ok(!rules.some((r) => r.name === "etcd-revisions"));
    assert.equal(rules.length, DEFAULT_IGNORE_RULES.length - 1);
  });
});

describe("diff of record streams", () => {
  it("gives an empty diff for identical streams", async () => {
    const records = [policy("a"), policy("b")];
    const result = await diffRecordStreams(stream(records), stream(records.map((r) => structuredClone(r))));
    assert.equal(result.differences.length, 0);
    assert.equal(result.counts.identical, 2);
    assert.ok(!hasDifferences(result));
  });

  it("finds every class, in id order, with paths and both values", async () => {
    const expected = [policy("a"), policy("b"), policy("c")];
    const actual = [
      policy("a", { metadata: { name: "a", namespace: "ns1", uid: "other-uid", resourceVersion: "9" } }),
      policy("b", { spec: { order: 200, selector: "all()" } }),
      policy("d"),
    ];
    const result = await diffRecordStreams(stream(expected), stream(actual), {
      rules: [...DEFAULT_IGNORE_RULES],
    });
    const summary = result.differences.map((d) => [d.class, d.id.split("/").at(-1), d.path, d.rule ?? ""]);
    assert.deepEqual(summary, [
      ["accounted", "a", "metadata.resourceVersion", "kube-server-managed-metadata"],
      ["accounted", "a", "metadata.uid", "kube-server-managed-metadata"],
      ["changed", "b", "spec.order", ""],
      ["missing", "c", "", ""],
      ["unexpected", "d", "", ""],
    ]);
    const changed = result.differences.find((d) => d.class === "changed");
    assert.equal(changed?.expected, 100);
    assert.equal(changed?.actual, 200);
    assert.deepEqual(
      { ...result.counts },
      {
        expected: 3,
        actual: 3,
        identical: 1,
        missing: 1,
        unexpected: 1,
        changed: 1,
        changedPaths: 1,
        accounted: 2,
      },
    );
  });

  it("accounts whole records with a rule that has no paths", async () => {
    const rules = resolveRules(
      parseDiffConfig(
        { ignore: { rules: [{ name: "wep", description: "d", kinds: ["WorkloadEndpoint"] }] } },
        "cfg",
      ),
    );
    const wep: SnapshotRecord = {
      id: "projectcalico.org/v3/WorkloadEndpoint/ns/w",
      kind: "WorkloadEndpoint",
    };
    const result = await diffRecordStreams(stream([wep]), stream([]), { rules });
    assert.equal(result.differences[0]?.class, "accounted");
    assert.equal(result.differences[0]?.rule, "wep");
    assert.equal(rules[0]?.source, "cfg");
  });
});

describe("mappings", () => {
  it("has identity registered and refuses unknown names", async () => {
    assert.ok(mappingNames().includes("identity"));
    assert.throws(() => getMapping("nope"), /mapping "nope": unknown; known mappings: .*identity/);
  });

  it("sorts a mapping's output and reports its notes as accounted", async () => {
    const renaming: Mapping = {
      name: "test-rename",
      description: "renames b to z, drops c",
      async *map(source, context) {
        for await (const record of source) {
          if (record.id.endsWith("/c")) {
            context.account({ record, rule: "test/dropped", reason: "c is not migrated" });
            continue;
          }
          yield record.id.endsWith("/b") ? { ...record, id: record.id.replace(/b$/, "z") } : record;
        }
      },
    };
    const source = [policy("a"), policy("b"), policy("c")];
    const target = [policy("a"), { ...policy("b"), id: policy("b").id.replace(/b$/, "z") }];
    const result = await diffSnapshots(
      snapshotFromRecords(header, source),
      snapshotFromRecords(header, target),
      {
        mapping: renaming,
      },
    );
    assert.ok(!hasDifferences(result));
    assert.equal(result.counts.accounted, 1);
    assert.equal(result.differences[0]?.rule, "test/dropped");
    assert.equal(result.differences[0]?.note, "c is not migrated");
    assert.ok(result.rules.some((r) => r.name === "test/dropped"));
  });
});

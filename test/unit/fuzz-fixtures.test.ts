import assert from "node:assert/strict";
import { test } from "node:test";
import { fuzz } from "../../src/input-fuzz/run.js";
import { calicoFixtureTarget, v2FixtureTarget } from "../../src/input-fuzz/targets.js";

test("Calico fixture loader: 600 generated and mutated fixtures, accepted or refused in one line", async () => {
  const r = await fuzz(calicoFixtureTarget(), { numRuns: 600 });
  assert.equal(r.runs, 600);
});

test("etcd v2 fixture loader: 600 generated and mutated fixtures, accepted or refused in one line", async () => {
  const r = await fuzz(v2FixtureTarget(), { numRuns: 600 });
  assert.equal(r.runs, 600);
});

test("regressions found by fuzzing: each is a one-line InputError naming the file", async () => {
  const { parseFixture: calico } = await import("../../src/calico/fixture.js");
  const { parseFixture: v2 } = await import("../../src/etcd-v2v3/fixture.js");
  const f = "format: storeshift/calico-fixture/v1\n";
  const cases: [string, () => unknown, RegExp][] = [
    ["alias", () => calico("*a", "c.yaml"), /c\.yaml.*alias/i],
    [
      "namespaces map",
      () => calico(`${f}kubernetesNamespaces: {}\n`, "c.yaml"),
      /kubernetesNamespaces is not a list/,
    ],
    [
      "null handle",
      () => calico(`${f}ipam: {handles: [null]}\n`, "c.yaml"),
      /ipam\.handles\[0\] is not a mapping/,
    ],
    [
      "bad affinity CIDR",
      () => calico(`${f}ipam: {affinities: [{host: h, cidr: "10.0.0.0/33"}]}\n`, "c.yaml"),
      /c\.yaml: cannot be stored/,
    ],
    ["v2 alias", () => v2("*a", "v.yaml"), /v\.yaml.*alias/i],
  ];
  for (const [name, run, expected] of cases) {
    assert.throws(run, (err: Error) => err.name === "InputError" && expected.test(err.message), name);
    try {
      run();
    } catch (err) {
      assert.ok(!(err as Error).message.includes("\n"), `${name}: one line`);
    }
  }
});

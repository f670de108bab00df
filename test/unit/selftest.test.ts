import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { MUTANTS } from "../../src/selftest/catalogue.js";
import {
  formatSelftest,
  type MutantOutcome,
  planFor,
  type SelftestReport,
  selectMutants,
  selftestExitCode,
  suiteFiles,
} from "../../src/selftest/selftest.js";

test("the fast subset is the mutants @smoke scenarios catch; --mutant picks from every subset", () => {
  const fast = selectMutants("fast");
  assert.ok(fast.length >= 3 && fast.length <= 5, `${fast.length} fast mutants`);
  assert.ok(fast.every((m) => m.fast && m.fast.length > 0));
  assert.equal(selectMutants("full").length, MUTANTS.length);
  assert.deepEqual(
    selectMutants("fast", ["offline-member-skipped"]).map((m) => m.name),
    ["offline-member-skipped"],
  );
  assert.throws(() => selectMutants("full", ["no-such-mutant"]), /unknown mutant no-such-mutant; known: /);
});

test("fast runs a mutant's @smoke scenarios only; full runs its migration's suite without real calicoctl", () => {
  const fast = selectMutants("fast")[0];
  assert.ok(fast);
  const plan = planFor(fast, "fast", "/pkg");
  assert.equal(plan.tags, "@smoke");
  assert.ok(plan.paths.every((p) => /^\/pkg\/features\/.*\.feature$/.test(p)));
  assert.ok(plan.names && plan.names.length > 0 && plan.names.every((n) => /^\^.+\$$/.test(n)));
  const member = MUTANTS.find((m) => m.name === "offline-member-skipped");
  assert.ok(member);
  const files = (migration: string) =>
    migration === "calico"
      ? ["/pkg/features/calico/forward.feature", "/pkg/features/calico/rollback.feature"]
      : ["/pkg/features/etcd-v2v3/online.feature", "/pkg/features/etcd-v2v3/offline.feature"];
  assert.deepEqual(planFor(member, "fast", "/pkg", files), {
    paths: ["/pkg/features/etcd-v2v3/offline.feature"],
    tags: "not @real-calicoctl",
  });
  const rollbackOnly = MUTANTS.find((m) => m.name === "crd-left-on-rollback");
  assert.ok(rollbackOnly);
  assert.deepEqual(planFor(rollbackOnly, "full", "/pkg", files), {
    paths: ["/pkg/features/calico/forward.feature", "/pkg/features/calico/rollback.feature"],
    tags: "@rollback and not @real-calicoctl",
  });
});

test("every fast scenario exists under that exact name in its feature file, tagged @smoke", async () => {
  const { readFile } = await import("node:fs/promises");
  const root = join(import.meta.dirname, "..", "..");
  for (const m of selectMutants("fast")) {
    for (const pick of m.fast ?? []) {
      const text = await readFile(join(root, pick.feature), "utf8");
      // an outline's example row fills in the name; find the outline line and the row
      const lines = text.split("\n");
      const direct = lines.findIndex((l) => l.trim() === `Scenario: ${pick.scenario}`);
      const outline = lines.findIndex((l) => {
        const m2 = /^\s*Scenario Outline: (.*)$/.exec(l);
        if (!m2?.[1]) return false;
        const re = new RegExp(
          `^${m2[1].replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/<[^>]+>/g, "(.+)")}$`,
        );
        const got = re.exec(pick.scenario);
        return got?.slice(1).every((v) => text.includes(`| ${v} `));
      });
      const at = direct >= 0 ? direct : outline;
      assert.ok(at >= 0, `${m.name}: no scenario "${pick.scenario}" in ${pick.feature}`);
      assert.match(lines[at - 1] ?? "", /@smoke/, `${m.name}: "${pick.scenario}" is not @smoke`);
    }
  }
});

test("a migration's suite lists the likeliest catchers first, then every other feature file", () => {
  const root = join(import.meta.dirname, "..", "..");
  const calico = suiteFiles("calico", root).map((p) => p.slice(root.length + 1));
  assert.deepEqual(calico.slice(0, 2), [
    "features/calico/forward.feature",
    "features/calico/rollback.feature",
  ]);
  assert.ok(calico.includes("features/calico/etcd-versions.feature"));
  assert.equal(new Set(calico).size, calico.length);
});

function outcome(name: string, status: MutantOutcome["status"]): MutantOutcome {
  return {
    name,
    migration: "calico",
    bugClass: `class of ${name}`,
    shouldBeCaughtBy: "deliverable 2",
    description: `breaks ${name}`,
    status,
    caughtBy:
      status === "caught"
        ? [{ feature: "features/calico/forward.feature", name: "fwd", message: "boom" }]
        : [],
    applied: status === "caught" ? 2 : 0,
    scenarios: 3,
    durationMs: 1000,
  };
}

function report(...mutants: MutantOutcome[]): SelftestReport {
  return {
    subset: "full",
    failFast: false,
    startedAt: "2026-01-01T00:00:00Z",
    durationMs: 61_000,
    reportDir: "/r",
    baseline: { scenarios: 3, passed: 3, failed: [], notRun: 0 },
    mutants,
    caught: mutants.filter((m) => m.status === "caught").length,
    total: mutants.length,
  };
}

test("exit 0 only when every mutant is caught; --report-only turns survivors into 0, never errors", () => {
  const allCaught = report(outcome("a", "caught"), outcome("b", "caught"));
  const oneSurvives = report(outcome("a", "caught"), outcome("b", "survived"));
  const unexercised = report(outcome("a", "caught"), outcome("b", "unexercised"));
  const broken = report(outcome("a", "caught"), outcome("b", "error"));
  assert.equal(selftestExitCode(allCaught, false), 0);
  assert.equal(selftestExitCode(oneSurvives, false), 1);
  assert.equal(selftestExitCode(oneSurvives, true), 0);
  assert.equal(selftestExitCode(unexercised, false), 1);
  assert.equal(selftestExitCode(broken, true), 2);
});

test("the summary names each mutant, its catcher or what should catch it, and the catch rate", () => {
  const text = formatSelftest(report(outcome("a", "caught"), outcome("b", "survived")));
  assert.match(text, /CAUGHT +a +class of a\n +caught by features\/calico\/forward\.feature: fwd — boom/);
  assert.match(
    text,
    /SURVIVED +b +class of b\n +breaks b; break applied 0 time\(s\)\n +should be caught by: deliverable 2/,
  );
  assert.match(text, /selftest \(full\): caught 1 of 2 mutants \(50%\) in 61 s\n$/);
});

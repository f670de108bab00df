import { checkSummary, differenceLine, scenarioDurationSeconds } from "./format.js";
import type { RunResult, ScenarioResult } from "./result.js";
import { toolLabel } from "./upstream.js";

/** XML 1.0 forbids most control characters even escaped; they are dropped. */
export function xmlEscape(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

const MAX_LINES_PER_FAILURE = 200;

function failureText(scenario: ScenarioResult): { message: string; body: string } {
  const failedChecks = scenario.checks.filter((c) => c.status === "failed");
  const failedPhases = scenario.phases.filter((p) => p.status === "failed");
  const message =
    failedChecks.map((c) => `${c.name}: ${c.message ?? checkSummary(c)}`).join("; ") ||
    failedPhases.map((p) => `${p.name}: ${p.message ?? "failed"}`).join("; ") ||
    scenario.reason ||
    "failed";
  const lines: string[] = scenario.reason ? [scenario.reason] : [];
  for (const phase of failedPhases) lines.push(`phase ${phase.name} failed: ${phase.message ?? ""}`);
  for (const check of failedChecks) {
    lines.push(`check ${check.name}: ${checkSummary(check)}`);
    const counted = (check.differences ?? []).filter((d) => d.class !== "accounted");
    for (const d of counted.slice(0, MAX_LINES_PER_FAILURE)) lines.push(`  ${differenceLine(d)}`);
    if (counted.length > MAX_LINES_PER_FAILURE) {
      lines.push(`  … ${counted.length - MAX_LINES_PER_FAILURE} more in result.json / report.html`);
    }
  }
  return { message, body: lines.join("\n") };
}

/**
 * Phases that only set the stage or tidy up: when one of them fails, the scenario never got to say
 * anything about the migration, which CI should see as an error of the test bed, not as a finding.
 */
const STAGE_PHASE = /^(provision|prepare|seed|snapshot|heal faults|fault:)/;

/**
 * How a failed scenario reads in JUnit: `error` when the test bed broke before a verdict (a store did
 * not start, seeding failed), `failure` when the migration or a check failed — typed `difference`
 * when a diff found counted differences, `migration` when a migration phase failed, `assertion`
 * for any other failed check or step.
 */
export function junitOutcome(s: ScenarioResult): { element: "failure" | "error"; type: string } {
  const failedChecks = s.checks.filter((c) => c.status === "failed");
  const failedPhases = s.phases.filter((p) => p.status === "failed");
  if (failedChecks.some((c) => (c.counts ? countedDifferences(c.counts) > 0 : false)))
    return { element: "failure", type: "difference" };
  if (failedChecks.length > 0) return { element: "failure", type: "assertion" };
  if (failedPhases.length > 0 && failedPhases.every((p) => STAGE_PHASE.test(p.name)))
    return { element: "error", type: "infrastructure" };
  if (failedPhases.length > 0) return { element: "failure", type: "migration" };
  return { element: "failure", type: "assertion" };
}

function countedDifferences(c: NonNullable<ScenarioResult["checks"][number]["counts"]>): number {
  return c.missing + c.unexpected + c.changed;
}

function testcase(s: ScenarioResult): string {
  const attrs = `classname="${xmlEscape(s.feature)}" name="${xmlEscape(s.name)}" time="${scenarioDurationSeconds(s)}"`;
  const inner: string[] = [];
  if (s.status === "failed") {
    const { message, body } = failureText(s);
    const { element, type } = junitOutcome(s);
    inner.push(`<${element} type="${type}" message="${xmlEscape(message)}">${xmlEscape(body)}</${element}>`);
  } else if (s.status === "skipped" || s.status === "not-run") {
    const reason = s.reason ?? (s.status === "not-run" ? "not run" : "skipped");
    inner.push(`<skipped message="${xmlEscape(reason)}"/>`);
  }
  const phases = s.phases.map(
    (p) => `${p.name}: ${p.status} ${p.durationMs} ms${p.message ? ` (${p.message})` : ""}`,
  );
  // upstream-case verdicts ride in system-out: the JUnit shape CI servers read has no other place for them
  const upstream = (s.upstreamCases ?? []).map(
    (v) => `upstream ${v.caseId} ${toolLabel(v)}: ${v.outcome}: ${v.detail}`,
  );
  const out = [...phases, ...upstream];
  if (out.length > 0) inner.push(`<system-out>${xmlEscape(out.join("\n"))}</system-out>`);
  return inner.length === 0
    ? `    <testcase ${attrs}/>`
    : `    <testcase ${attrs}>\n      ${inner.join("\n      ")}\n    </testcase>`;
}

/**
 * JUnit XML in the shape Jenkins' junit plugin and GitLab's test reports read: one testsuite per feature,
 * one testcase per scenario, `<failure>` with the diff summary or `<error>` when the test bed broke,
 * `<skipped>` with the reason.
 */
export function renderJunit(result: RunResult): string {
  const features = new Map<string, ScenarioResult[]>();
  for (const s of result.scenarios) features.set(s.feature, [...(features.get(s.feature) ?? []), s]);
  const suites: string[] = [];
  let totalTime = 0;
  for (const [feature, scenarios] of features) {
    const failed = scenarios.filter((s) => s.status === "failed");
    const errors = failed.filter((s) => junitOutcome(s).element === "error").length;
    const failures = failed.length - errors;
    const skipped = scenarios.filter((s) => s.status === "skipped" || s.status === "not-run").length;
    const time = scenarios.reduce((sum, s) => sum + s.durationMs, 0) / 1000;
    totalTime += time;
    suites.push(
      `  <testsuite name="${xmlEscape(feature)}" tests="${scenarios.length}" failures="${failures}" errors="${errors}" ` +
        `skipped="${skipped}" time="${time.toFixed(3)}" timestamp="${xmlEscape(result.startedAt.replace(/Z$/, ""))}">\n` +
        `${scenarios.map(testcase).join("\n")}\n  </testsuite>`,
    );
  }
  const t = result.totals;
  const tests = result.scenarios.length;
  const errors = result.scenarios.filter(
    (s) => s.status === "failed" && junitOutcome(s).element === "error",
  ).length;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="storeshift ${xmlEscape(result.runId)}" tests="${tests}" failures="${t.failed - errors}" errors="${errors}" ` +
    `skipped="${t.skipped + t.notRun}" time="${totalTime.toFixed(3)}">\n${suites.join("\n")}\n</testsuites>\n`
  );
}

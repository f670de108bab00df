import type { DiffResult } from "../diff/engine.js";
import { hasDifferences } from "../diff/engine.js";
import { countsLine } from "./format.js";
import {
  type Check,
  RESULT_SCHEMA_VERSION,
  type RuleInfo,
  type RunResult,
  type ScenarioResult,
} from "./result.js";

/** A diff as a check of a scenario: failed when anything is missing, unexpected or changed. */
export function diffCheck(name: string, diff: DiffResult): Check {
  return {
    name,
    status: hasDifferences(diff) ? "failed" : "passed",
    message: countsLine(diff.counts),
    differences: diff.differences,
    counts: diff.counts,
    truncated: diff.truncated,
    mapping: diff.mapping,
  };
}

/** The rules a diff used, for `RunResult.rules` (provenance in reports). */
export function ruleInfos(diff: DiffResult): RuleInfo[] {
  return diff.rules.map((r) => ({
    name: r.name,
    description: r.description,
    ...(r.source ? { source: r.source } : {}),
    ...(r.kinds ? { kinds: r.kinds } : {}),
    ...(r.ids ? { ids: r.ids } : {}),
    ...(r.paths ? { paths: r.paths } : {}),
  }));
}

/** A one-scenario run result for a stand-alone `storeshift diff` (so every report format works for it). */
export function diffRunResult(
  diff: DiffResult,
  options: { runId: string; startedAt: Date; durationMs: number },
): RunResult {
  const passed = !hasDifferences(diff);
  const scenario: ScenarioResult = {
    id: "diff",
    name: `${diff.source?.store ?? "source"} → ${diff.target?.store ?? "target"}`,
    feature: "storeshift diff",
    tags: [],
    status: passed ? "passed" : "failed",
    durationMs: options.durationMs,
    phases: [{ name: "diff", status: passed ? "passed" : "failed", durationMs: options.durationMs }],
    checks: [diffCheck(`diff (mapping ${diff.mapping})`, diff)],
  };
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    runId: options.runId,
    startedAt: options.startedAt.toISOString(),
    finishedAt: new Date(options.startedAt.getTime() + options.durationMs).toISOString(),
    backend: { name: "snapshots", reason: "stand-alone diff of two stores or snapshot files" },
    versions: {},
    scenarios: [scenario],
    totals: { passed: passed ? 1 : 0, failed: passed ? 0 : 1, skipped: 0, notRun: 0 },
    rules: ruleInfos(diff),
  };
}

import { randomBytes } from "node:crypto";
import { storeshiftVersion } from "../common/package-root.js";
import type { ScenarioCollector } from "../report/from-messages.js";
import { RESULT_SCHEMA_VERSION, type RunResult, type ScenarioResult } from "../report/result.js";

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${randomBytes(2).toString("hex")}`;
}

const STATUS_ORDER: Record<ScenarioResult["status"], number> = {
  failed: 0,
  "not-run": 1,
  skipped: 2,
  passed: 3,
};

/** Reports list what needs a person first: failures, then what did not run, then the rest. */
export function failuresFirst(a: ScenarioResult, b: ScenarioResult): number {
  return (
    STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
    a.feature.localeCompare(b.feature) ||
    a.id.localeCompare(b.id)
  );
}

export function totals(scenarios: ScenarioResult[]): RunResult["totals"] {
  return {
    passed: scenarios.filter((s) => s.status === "passed").length,
    failed: scenarios.filter((s) => s.status === "failed").length,
    skipped: scenarios.filter((s) => s.status === "skipped").length,
    notRun: scenarios.filter((s) => s.status === "not-run").length,
  };
}

/** Assembles a run result from what the collector saw. */
export function runResultFrom(
  collector: ScenarioCollector,
  meta: Pick<RunResult, "runId" | "startedAt" | "backend"> & { versions?: Record<string, string> },
): RunResult {
  const scenarios = collector.results().sort(failuresFirst);
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    runId: meta.runId,
    startedAt: meta.startedAt,
    finishedAt: new Date().toISOString(),
    backend: meta.backend,
    versions: { storeshift: storeshiftVersion(), node: process.version, ...meta.versions },
    scenarios,
    totals: totals(scenarios),
  };
}

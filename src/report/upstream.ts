import type { RunResult, UpstreamCaseVerdict } from "./result.js";

/** One row of a run's upstream table: a case, a tool at a version, what it showed, which scenario said so. */
export interface UpstreamRow extends UpstreamCaseVerdict {
  scenario: string;
  /** The scenario's id, for a link to it in the HTML report. */
  scenarioId: string;
}

/** The case ids' numbers compare as numbers: C-2 before C-10. */
function caseOrder(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}

/** Every upstream verdict of the run, by case id, then tool, then version. */
export function upstreamRows(result: RunResult): UpstreamRow[] {
  return result.scenarios
    .flatMap((s) => (s.upstreamCases ?? []).map((v) => ({ ...v, scenario: s.name, scenarioId: s.id })))
    .sort(
      (a, b) =>
        caseOrder(a.caseId, b.caseId) ||
        a.tool.localeCompare(b.tool) ||
        caseOrder(a.toolVersion ?? "", b.toolVersion ?? ""),
    );
}

/** "calicoctl 3.32.1", or the tool alone when no version was recorded. */
export function toolLabel(v: UpstreamCaseVerdict): string {
  return v.toolVersion ? `${v.tool} ${v.toolVersion}` : v.tool;
}

/** Counts per outcome, for a one-line summary. */
export function upstreamCounts(rows: UpstreamRow[]): Record<UpstreamCaseVerdict["outcome"], number> {
  const counts = {
    reproduced: 0,
    "not-reproduced": 0,
    "fixed-by-storeshift": 0,
    "not-applicable": 0,
    "not-run": 0,
  };
  for (const r of rows) counts[r.outcome]++;
  return counts;
}

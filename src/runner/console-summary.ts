import type { RunResult } from "../report/result.js";

const MAX_DIFFS_SHOWN = 20;

function show(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value ?? null);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** The console's closing lines: every failed scenario with its failing checks and exact paths. */
export function consoleSummary(result: RunResult, runDir: string): string {
  const lines: string[] = [];
  for (const s of result.scenarios.filter((x) => x.status === "failed")) {
    lines.push(`FAILED ${s.name} (${s.feature})`);
    if (s.reason) lines.push(`  ${s.reason}`);
    for (const c of s.checks.filter((x) => x.status === "failed")) {
      lines.push(`  check ${c.name}: ${c.message ?? "failed"}`);
      const diffs = (c.differences ?? []).filter((d) => d.class !== "accounted");
      for (const d of diffs.slice(0, MAX_DIFFS_SHOWN)) {
        const where = d.path ? `${d.id} ${d.path}` : d.id;
        if (d.class === "changed")
          lines.push(`    changed    ${where}: ${show(d.expected)} → ${show(d.actual)}`);
        else lines.push(`    ${d.class.padEnd(10)} ${where}`);
      }
      if (diffs.length > MAX_DIFFS_SHOWN)
        lines.push(`    ... ${diffs.length - MAX_DIFFS_SHOWN} more in the report`);
    }
  }
  for (const s of result.scenarios.filter((x) => x.status === "not-run")) {
    lines.push(`NOT RUN ${s.name}: ${s.reason ?? "no reason recorded"}`);
  }
  const t = result.totals;
  lines.push(`reports: ${runDir}`);
  lines.push(
    `backend ${result.backend.name}; ${t.notRun} not run (listed above), ${t.skipped} skipped by cucumber`,
  );
  // last, in the plain "N passed, N failed, N skipped" form CI log readers recognise; "skipped"
  // here counts every scenario that did not run, for whatever reason the line above gives
  lines.push(`storeshift: ${t.passed} passed, ${t.failed} failed, ${t.notRun + t.skipped} skipped`);
  return `${lines.join("\n")}\n`;
}

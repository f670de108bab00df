import { checkSummary, differenceLine } from "./format.js";
import type { RunResult, ScenarioResult } from "./result.js";
import { timingsMarkdown } from "./timings.js";
import { toolLabel, upstreamCounts, upstreamRows } from "./upstream.js";

const ICON: Record<ScenarioResult["status"], string> = {
  passed: "✅",
  failed: "❌",
  skipped: "⏭️",
  "not-run": "⏸️",
};
const MAX_DIFFERENCES_PER_CHECK = 20;

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** A short Markdown summary for `$GITHUB_STEP_SUMMARY` / GitLab job summaries: totals, a table, failures. */
export function renderMarkdown(result: RunResult): string {
  const t = result.totals;
  const lines: string[] = [
    `## storeshift run \`${result.runId}\``,
    "",
    `**${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped, ${t.notRun} not run** · backend \`${result.backend.name}\` (${result.backend.reason}) · ${result.startedAt} → ${result.finishedAt}`,
    "",
  ];
  const versions = Object.entries(result.versions);
  if (versions.length > 0)
    lines.push(`Versions: ${versions.map(([k, v]) => `${k} \`${v}\``).join(", ")}`, "");
  lines.push("| | scenario | feature | time | differences |", "|---|---|---|---:|---|");
  for (const s of result.scenarios) {
    const diffs = s.checks
      .filter((c) => c.differences || c.counts)
      .map((c) => checkSummary(c))
      .join("; ");
    const detail = diffs || (s.status === "passed" ? "" : (s.reason ?? ""));
    lines.push(
      `| ${ICON[s.status]} | ${cell(s.name)} | ${cell(s.feature)} | ${(s.durationMs / 1000).toFixed(1)} s | ${cell(detail)} |`,
    );
  }
  const upstream = upstreamRows(result);
  if (upstream.length > 0) {
    const counts = upstreamCounts(upstream);
    lines.push(
      "",
      "### Upstream cases",
      "",
      Object.entries(counts)
        .filter(([, n]) => n > 0)
        .map(([o, n]) => `${n} ${o}`)
        .join(", "),
      "",
      "| case | tool | outcome | detail |",
      "|---|---|---|---|",
    );
    for (const r of upstream)
      lines.push(`| ${r.caseId} | ${cell(toolLabel(r))} | ${r.outcome} | ${cell(r.detail)} |`);
  }
  const failed = result.scenarios.filter((s) => s.status === "failed");
  for (const s of failed) {
    lines.push("", `### ❌ ${s.name}`, "");
    if (s.reason) lines.push(`- ${s.reason}`);
    for (const p of s.phases.filter((p) => p.status === "failed"))
      lines.push(`- phase **${p.name}** failed: ${p.message ?? ""}`);
    for (const c of s.checks.filter((c) => c.status === "failed")) {
      lines.push(`- check **${c.name}**: ${c.message ?? checkSummary(c)}`);
      const counted = (c.differences ?? []).filter((d) => d.class !== "accounted");
      if (counted.length > 0) {
        lines.push("", "```text");
        for (const d of counted.slice(0, MAX_DIFFERENCES_PER_CHECK)) lines.push(differenceLine(d, 80));
        if (counted.length > MAX_DIFFERENCES_PER_CHECK) {
          lines.push(`… ${counted.length - MAX_DIFFERENCES_PER_CHECK} more: see report.html`);
        }
        lines.push("```");
      }
    }
  }
  lines.push(...timingsMarkdown(result));
  if (result.redaction?.enabled) lines.push("", "_Secret-looking values are redacted._");
  return `${lines.join("\n")}\n`;
}

import type { RunResult } from "./result.js";

/**
 * Where a run's time went: each phase name summed over every scenario, and the slowest single steps
 * and hooks. Pure; the Markdown and HTML reports render it as a section of their own.
 */
export interface PhaseTotal {
  name: string;
  count: number;
  totalMs: number;
  maxMs: number;
}

export interface SlowStep {
  scenario: string;
  feature: string;
  text: string;
  status: string;
  durationMs: number;
}

export interface RunTimings {
  /** Sum of scenario durations (with several workers this exceeds the wall time). */
  scenariosMs: number;
  phases: PhaseTotal[];
  slowest: SlowStep[];
}

/**
 * Phases with a number in their name ("snapshot before", "fault: etcd \"source\" killed") are summed
 * by name as recorded; most phase names are fixed, so the totals group the same work together.
 */
export function runTimings(result: RunResult, top = 10): RunTimings {
  const phases = new Map<string, PhaseTotal>();
  for (const s of result.scenarios) {
    for (const p of s.phases) {
      const t = phases.get(p.name) ?? { name: p.name, count: 0, totalMs: 0, maxMs: 0 };
      t.count++;
      t.totalMs += p.durationMs;
      t.maxMs = Math.max(t.maxMs, p.durationMs);
      phases.set(p.name, t);
    }
  }
  const slowest = result.scenarios
    .flatMap((s) =>
      (s.steps ?? []).map((st) => ({
        scenario: s.name,
        feature: s.feature,
        text: st.text,
        status: st.status,
        durationMs: st.durationMs,
      })),
    )
    .sort((a, b) => b.durationMs - a.durationMs)
    .slice(0, top);
  return {
    scenariosMs: result.scenarios.reduce((sum, s) => sum + s.durationMs, 0),
    phases: [...phases.values()].sort((a, b) => b.totalMs - a.totalMs),
    slowest,
  };
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function mdCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** The "Where the time went" section of summary.md; empty when the run recorded no timings. */
export function timingsMarkdown(result: RunResult, topPhases = 15): string[] {
  const t = runTimings(result);
  if (t.phases.length === 0 && t.slowest.length === 0) return [];
  const lines = ["", "### Where the time went", "", `Scenarios took ${seconds(t.scenariosMs)} in total.`];
  if (t.phases.length > 0) {
    lines.push("", "| phase | times | total | longest |", "|---|---:|---:|---:|");
    for (const p of t.phases.slice(0, topPhases))
      lines.push(`| ${mdCell(p.name)} | ${p.count} | ${seconds(p.totalMs)} | ${seconds(p.maxMs)} |`);
  }
  if (t.slowest.length > 0) {
    lines.push("", `Slowest ${t.slowest.length} steps:`, "", "| step | scenario | time |", "|---|---|---:|");
    for (const s of t.slowest)
      lines.push(`| ${mdCell(s.text)} | ${mdCell(s.scenario)} | ${seconds(s.durationMs)} |`);
  }
  return lines;
}

/** The same section for report.html; `esc` is the page's own HTML escaper. */
export function timingsHtml(result: RunResult, esc: (s: string) => string, topPhases = 15): string {
  const t = runTimings(result);
  if (t.phases.length === 0 && t.slowest.length === 0) return "";
  const phaseRows = t.phases
    .slice(0, topPhases)
    .map(
      (p) =>
        `<tr><td>${esc(p.name)}</td><td class="num">${p.count}</td><td class="num">${seconds(p.totalMs)}</td><td class="num">${seconds(p.maxMs)}</td></tr>`,
    )
    .join("");
  const stepRows = t.slowest
    .map(
      (s) =>
        `<tr><td>${esc(s.text)}</td><td>${esc(s.scenario)}</td><td class="num">${seconds(s.durationMs)}</td></tr>`,
    )
    .join("");
  return (
    `<section id="timings"><h2>Where the time went</h2><p class="help">Scenarios took ${seconds(t.scenariosMs)} in total (summed over workers).</p>` +
    (phaseRows
      ? `<table class="timings"><thead><tr><th>phase</th><th>times</th><th>total</th><th>longest</th></tr></thead><tbody>${phaseRows}</tbody></table>`
      : "") +
    (stepRows
      ? `<h3>Slowest ${t.slowest.length} steps</h3><table class="timings"><thead><tr><th>step</th><th>scenario</th><th>time</th></tr></thead><tbody>${stepRows}</tbody></table>`
      : "") +
    "</section>"
  );
}

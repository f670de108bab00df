import type { Check, DiffCounts, Difference, RunResult, ScenarioResult } from "./result.js";

/** A value on one line, cut at `max` characters: for JUnit messages, Markdown and the CLI. */
export function showValue(value: unknown, max = 120): string {
  if (value === undefined) return "(none)";
  const text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `changed  NetworkPolicy  projectcalico.org/v3/… spec.order: 100 → 200` */
export function differenceLine(d: Difference, max = 120): string {
  const where = d.path ? `${d.id} ${d.path}` : d.id;
  switch (d.class) {
    case "missing":
      return `missing     ${d.kind}  ${where}`;
    case "unexpected":
      return `unexpected  ${d.kind}  ${where}`;
    case "changed":
      return `changed     ${d.kind}  ${where}: ${showValue(d.expected, max)} → ${showValue(d.actual, max)}${d.note ? ` (${d.note})` : ""}`;
    case "accounted":
      return `accounted   ${d.kind}  ${where} [${d.rule ?? "?"}]${d.note ? ` ${d.note}` : ""}`;
  }
}

export function countsLine(c: DiffCounts): string {
  return (
    `${c.missing} missing, ${c.unexpected} unexpected, ${c.changed} changed (${c.changedPaths} paths), ` +
    `${c.accounted} accounted; ${c.identical} identical of ${c.expected} expected / ${c.actual} actual`
  );
}

/** Counts from a difference list when a check does not carry its own. */
export function countDifferences(
  differences: readonly Difference[],
): Pick<DiffCounts, "missing" | "unexpected" | "changed" | "accounted"> {
  const out = { missing: 0, unexpected: 0, changed: 0, accounted: 0 };
  for (const d of differences) out[d.class]++;
  return out;
}

export function checkSummary(check: Check): string {
  if (check.counts) return countsLine(check.counts);
  const c = countDifferences(check.differences ?? []);
  return `${c.missing} missing, ${c.unexpected} unexpected, ${c.changed} changed paths, ${c.accounted} accounted`;
}

export function scenarioDurationSeconds(s: ScenarioResult): string {
  return (s.durationMs / 1000).toFixed(3);
}

export function allDifferences(
  result: RunResult,
): Array<{ scenario: ScenarioResult; check: Check; d: Difference }> {
  const out: Array<{ scenario: ScenarioResult; check: Check; d: Difference }> = [];
  for (const scenario of result.scenarios) {
    for (const check of scenario.checks)
      for (const d of check.differences ?? []) out.push({ scenario, check, d });
  }
  return out;
}

/**
 * A diff as plain text (counts, then one line per difference, accounted ones last), for attaching to
 * a cucumber scenario (`this.attach(text, "text/plain")`) so cucumber's own formatters show it too.
 * Pass differences through `redactDifference` first.
 */
export function diffText(
  diff: { counts: DiffCounts; differences: readonly Difference[]; mapping?: string },
  max = 500,
): string {
  const counted = diff.differences.filter((d) => d.class !== "accounted");
  const accounted = diff.differences.filter((d) => d.class === "accounted");
  const lines = [`${diff.mapping ? `mapping ${diff.mapping}: ` : ""}${countsLine(diff.counts)}`];
  for (const d of [...counted, ...accounted].slice(0, max)) lines.push(differenceLine(d));
  if (diff.differences.length > max) lines.push(`… ${diff.differences.length - max} more`);
  return `${lines.join("\n")}\n`;
}

/**
 * The run result: what `result.json` holds and every other report is rendered from.
 * Versioned: a change that removes or renames a field bumps `schemaVersion`.
 */
export const RESULT_SCHEMA_VERSION = 1;

export type DifferenceClass = "missing" | "unexpected" | "changed" | "accounted";

export interface Difference {
  class: DifferenceClass;
  /** The record's identity, e.g. `etcd:/foo` or `projectcalico.org/v3/NetworkPolicy/ns1/allow-dns`. */
  id: string;
  /** Group for filters, e.g. the Calico kind or the etcd key's first segment. */
  kind: string;
  /** Field path inside the record for `changed` / `accounted` (dot and [i] form); empty for whole records. */
  path: string;
  expected?: unknown;
  actual?: unknown;
  /** The ignore/mapping rule that accounted for this difference (only for class `accounted`). */
  rule?: string;
  /** For `changed`/`accounted` paths: whether the field was added, removed or edited in the target. */
  change?: "added" | "removed" | "edited";
  /** A hint for people, e.g. "first difference at byte 17 (0x61 → 0x62)" or a mapping's reason. */
  note?: string;
}

/** Counts of one diff; `changed` counts records, `changedPaths` the paths inside them. */
export interface DiffCounts {
  expected: number;
  actual: number;
  identical: number;
  missing: number;
  unexpected: number;
  changed: number;
  changedPaths: number;
  accounted: number;
}

/** An ignore or mapping rule as reports show it (provenance for `accounted` differences). */
export interface RuleInfo {
  name: string;
  description: string;
  /** `default`, `optional`, a mapping name, or the config file it came from. */
  source?: string;
  kinds?: string[];
  ids?: string[];
  paths?: string[];
}

export interface Check {
  name: string;
  status: "passed" | "failed" | "skipped";
  message?: string;
  differences?: Difference[];
  /** Exact counts even when `differences` was cut at a limit. */
  counts?: DiffCounts;
  /** True when `differences` holds fewer entries than the counts say. */
  truncated?: boolean;
  /** The mapping the diff used (e.g. `identity`, `etcd-v2v3`). */
  mapping?: string;
}

export interface Phase {
  name: string;
  status: "passed" | "failed" | "skipped";
  durationMs: number;
  message?: string;
}

export interface ScenarioResult {
  id: string;
  name: string;
  feature: string;
  tags: string[];
  status: "passed" | "failed" | "skipped" | "not-run";
  /** Why a scenario did not run (e.g. "needs Docker: no Docker engine"). */
  reason?: string;
  durationMs: number;
  phases: Phase[];
  checks: Check[];
  /** Seeds of generated fixtures, so a failure can be replayed. */
  seeds?: Record<string, number>;
  /** Files saved for replay (fixtures, export file, snapshots), relative to the report dir. */
  artifacts?: string[];
}

export interface RunResult {
  schemaVersion: typeof RESULT_SCHEMA_VERSION;
  runId: string;
  startedAt: string;
  finishedAt: string;
  backend: { name: string; reason: string };
  versions: Record<string, string>;
  scenarios: ScenarioResult[];
  totals: { passed: number; failed: number; skipped: number; notRun: number };
  /** Seeds used for the run as a whole (per-scenario seeds are in each scenario). */
  seeds?: Record<string, number>;
  /** Every rule referred to by an `accounted` difference, for provenance in reports. */
  rules?: RuleInfo[];
  /** Set by the report writer: the patterns used to redact values. */
  redaction?: { enabled: boolean; patterns: string[] };
}

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
}

export interface Check {
  name: string;
  status: "passed" | "failed" | "skipped";
  message?: string;
  differences?: Difference[];
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
}

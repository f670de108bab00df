/**
 * The run result: what `result.json` holds and every other report is rendered from.
 * Versioned: a change that removes or renames a field bumps `schemaVersion`.
 */

// The diff's own vocabulary lives with the diff; reports render it.
import type { DiffCounts, Difference, RuleInfo } from "../diff/types.js";

export const RESULT_SCHEMA_VERSION = 1;

export type { DiffCounts, Difference, DifferenceClass, RuleInfo } from "../diff/types.js";

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

/** How long one cucumber step (or hook) of a scenario took, from cucumber's own messages. */
export interface StepTiming {
  /** The step's text, or `hook (before)` / `hook (after)` (the After hook holds cleanup and store reset). */
  text: string;
  status: string;
  durationMs: number;
}

export interface Phase {
  name: string;
  status: "passed" | "failed" | "skipped";
  durationMs: number;
  message?: string;
}

/**
 * What one scenario found about one upstream case (`../shared/reference/upstream-cases.md` ids such
 * as C-03 or E-10): whether a given tool at a given version shows the bug. Release engineers read
 * these as a table of which upstream versions have which bug.
 */
export interface UpstreamCaseVerdict {
  /** The case id, e.g. `C-03`, `E-10`. */
  caseId: string;
  /** The tool the verdict is about: `storeshift`, `calicoctl`, `etcdctl migrate`, `etcd`. */
  tool: string;
  toolVersion?: string;
  /**
   * reproduced: the tool shows the upstream bug; not-reproduced: the tool behaves correctly;
   * fixed-by-storeshift: storeshift's migrator avoids or refuses what upstream gets wrong;
   * not-applicable: the case cannot arise for this tool/version (detail says why);
   * not-run: something needed is absent here (detail says what).
   */
  outcome: "reproduced" | "not-reproduced" | "fixed-by-storeshift" | "not-applicable" | "not-run";
  detail: string;
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
  /** Every step and hook with its duration, in run order (cucumber's testStepFinished). */
  steps?: StepTiming[];
  /** Upstream cases this scenario judged (features/upstream). */
  upstreamCases?: UpstreamCaseVerdict[];
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

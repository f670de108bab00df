import type { UpstreamCaseVerdict } from "../report/result.js";

export type Outcome = UpstreamCaseVerdict["outcome"];

/** What a case's check observed: the outcome it supports and the facts behind it, in one line. */
export interface Observed {
  outcome: Outcome;
  detail: string;
}

export const OUTCOMES: Outcome[] = [
  "reproduced",
  "not-reproduced",
  "fixed-by-storeshift",
  "not-applicable",
  "not-run",
];

export function asOutcome(word: string): Outcome {
  const o = OUTCOMES.find((x) => x === word);
  if (!o) throw new Error(`"${word}" is not an upstream-case outcome (${OUTCOMES.join(", ")})`);
  return o;
}

/**
 * The verdict to record, and whether the scenario fails. The real tool's behaviour is a fact to
 * report whatever the feature expected (upstream fixing a bug must not fail a run); storeshift's own
 * migrator showing the upstream bug fails the scenario.
 */
export function settle(
  caseId: string,
  tool: { name: string; version?: string; storeshift: boolean },
  expected: Outcome,
  observed: Observed,
): { verdict: UpstreamCaseVerdict; failure?: string } {
  const surprise = expected === observed.outcome ? "" : ` (the feature expected ${expected})`;
  const verdict: UpstreamCaseVerdict = {
    caseId,
    tool: tool.name,
    toolVersion: tool.version,
    outcome: observed.outcome,
    detail: `${observed.detail}${surprise}`,
  };
  const failure =
    tool.storeshift && observed.outcome === "reproduced"
      ? `upstream case ${caseId}: storeshift's migrator (${tool.name}) shows the upstream bug: ${observed.detail}`
      : undefined;
  return { verdict, failure };
}

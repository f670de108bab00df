import type { ScenarioResult, StepTiming } from "./result.js";

/**
 * The media type of the attachment the step library's After hook adds to every scenario: the
 * scenario's phases, checks, seeds and artifacts as the reports show them. Everything else in a
 * scenario's result comes from cucumber's own messages.
 */
export const SCENARIO_MEDIA_TYPE = "application/vnd.storeshift.scenario+json";

/** The parts of cucumber's message envelopes the collector reads (structurally typed on purpose). */
interface Timestamp {
  seconds: number;
  nanos: number;
}
interface StepResult {
  status: string;
  message?: string;
  duration?: Timestamp;
}
export interface Envelope {
  pickle?: {
    id: string;
    uri: string;
    name: string;
    tags: Array<{ name: string }>;
    steps: Array<{ id: string; text: string }>;
  };
  testCase?: { id: string; pickleId: string; testSteps: Array<{ id: string; pickleStepId?: string }> };
  testCaseStarted?: { id: string; testCaseId: string; attempt: number; timestamp: Timestamp };
  testStepFinished?: { testCaseStartedId: string; testStepId: string; testStepResult: StepResult };
  testCaseFinished?: { testCaseStartedId: string; timestamp: Timestamp; willBeRetried: boolean };
  attachment?: {
    testCaseStartedId?: string;
    mediaType: string;
    body: string;
    contentEncoding?: string;
  };
}

interface Attempt {
  testCaseId: string;
  startedMs: number;
  finishedMs?: number;
  willBeRetried: boolean;
  steps: Array<{ testStepId: string; result: StepResult }>;
  recorded?: Partial<ScenarioResult>;
}

const millis = (t: Timestamp) => t.seconds * 1000 + Math.round(t.nanos / 1e6);

/** cucumber's worst-first order of step statuses; the first one present decides the scenario. */
const WORST_FIRST = ["FAILED", "AMBIGUOUS", "UNDEFINED", "PENDING", "SKIPPED", "UNKNOWN", "PASSED"];

function slug(uri: string, name: string): string {
  const base = `${uri.replace(/\.feature$/, "")}-${name}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return base.slice(0, 80) || "scenario";
}

/**
 * Builds one result per scenario from cucumber's message stream, as every formatter sees it, in
 * `storeshift run` and in plain `cucumber-js` alike. A scenario whose After hook attached its record
 * gets phases and checks from it; one that never reached the hook (an undefined or ambiguous step,
 * a failing Before hook) is still reported, with the step that stopped it named.
 */
export class ScenarioCollector {
  private readonly pickles = new Map<string, NonNullable<Envelope["pickle"]>>();
  private readonly testCases = new Map<string, NonNullable<Envelope["testCase"]>>();
  private readonly attempts = new Map<string, Attempt>();

  add(envelope: Envelope): void {
    if (envelope.pickle) this.pickles.set(envelope.pickle.id, envelope.pickle);
    if (envelope.testCase) this.testCases.set(envelope.testCase.id, envelope.testCase);
    const started = envelope.testCaseStarted;
    if (started) {
      this.attempts.set(started.id, {
        testCaseId: started.testCaseId,
        startedMs: millis(started.timestamp),
        willBeRetried: false,
        steps: [],
      });
    }
    const step = envelope.testStepFinished;
    if (step) {
      this.attempts
        .get(step.testCaseStartedId)
        ?.steps.push({ testStepId: step.testStepId, result: step.testStepResult });
    }
    const finished = envelope.testCaseFinished;
    if (finished) {
      const attempt = this.attempts.get(finished.testCaseStartedId);
      if (attempt) {
        attempt.finishedMs = millis(finished.timestamp);
        attempt.willBeRetried = finished.willBeRetried;
      }
    }
    const a = envelope.attachment;
    if (a?.testCaseStartedId && a.mediaType === SCENARIO_MEDIA_TYPE) {
      const attempt = this.attempts.get(a.testCaseStartedId);
      const text = a.contentEncoding === "BASE64" ? Buffer.from(a.body, "base64").toString("utf8") : a.body;
      if (attempt) attempt.recorded = JSON.parse(text) as Partial<ScenarioResult>;
    }
  }

  /** One result per scenario: the last attempt of each (a retried attempt is not a result). */
  results(): ScenarioResult[] {
    const out: ScenarioResult[] = [];
    for (const attempt of this.attempts.values()) {
      if (attempt.willBeRetried || attempt.finishedMs === undefined) continue;
      const testCase = this.testCases.get(attempt.testCaseId);
      const pickle = testCase ? this.pickles.get(testCase.pickleId) : undefined;
      if (!testCase || !pickle) continue;
      out.push(this.resultOf(attempt, testCase, pickle));
    }
    return out;
  }

  private resultOf(
    attempt: Attempt,
    testCase: NonNullable<Envelope["testCase"]>,
    pickle: NonNullable<Envelope["pickle"]>,
  ): ScenarioResult {
    const worst = WORST_FIRST.find((s) => attempt.steps.some((st) => st.result.status === s)) ?? "PASSED";
    const stopped = attempt.steps.find((st) => st.result.status === worst);
    const stepText = (testStepId: string) => {
      const pickleStepId = testCase.testSteps.find((t) => t.id === testStepId)?.pickleStepId;
      const text = pickle.steps.find((s) => s.id === pickleStepId)?.text;
      return text === undefined ? "a hook" : `step "${text}"`;
    };
    const recorded = attempt.recorded ?? {};
    const cucumberStatus: ScenarioResult["status"] =
      worst === "PASSED" ? "passed" : worst === "SKIPPED" ? "skipped" : "failed";
    // the World may know better: a scenario it skipped for a missing prerequisite is "not-run"
    const status =
      recorded.status && !(cucumberStatus === "failed" && recorded.status !== "failed")
        ? recorded.status
        : cucumberStatus;
    let reason = recorded.reason;
    if (!reason && stopped && worst !== "PASSED") {
      const where = stepText(stopped.testStepId);
      if (worst === "UNDEFINED") reason = `undefined ${where}: no step definition matches it`;
      else if (worst === "AMBIGUOUS") reason = `ambiguous ${where}: ${firstLine(stopped.result.message)}`;
      else if (worst === "PENDING") reason = `pending ${where}`;
      else if (worst !== "SKIPPED") reason = firstLine(stopped.result.message) || `${where} failed`;
    }
    const steps = stepTimings(attempt, testCase, pickle);
    return {
      id: recorded.id ?? slug(pickle.uri, pickle.name),
      // a matrix row's World adds what it found to the name (e.g. the calicoctl version it ran)
      name: recorded.name ?? pickle.name,
      feature: pickle.uri,
      tags: pickle.tags.map((t) => t.name),
      status,
      ...(reason ? { reason } : {}),
      durationMs: (attempt.finishedMs ?? attempt.startedMs) - attempt.startedMs,
      phases: recorded.phases ?? [],
      checks: recorded.checks ?? [],
      ...(recorded.seeds ? { seeds: recorded.seeds } : {}),
      ...(recorded.artifacts ? { artifacts: recorded.artifacts } : {}),
      ...(recorded.upstreamCases ? { upstreamCases: recorded.upstreamCases } : {}),
      ...(steps.length > 0 ? { steps } : {}),
    };
  }
}

/**
 * Each finished step and hook of an attempt with cucumber's own duration. Hooks are named by where
 * they ran: before the first step, or after the last (the After hook holds cleanup and store reset).
 */
function stepTimings(
  attempt: Attempt,
  testCase: NonNullable<Envelope["testCase"]>,
  pickle: NonNullable<Envelope["pickle"]>,
): StepTiming[] {
  const firstStep = testCase.testSteps.findIndex((t) => t.pickleStepId !== undefined);
  return attempt.steps
    .filter((st) => st.result.duration !== undefined)
    .map((st) => {
      const index = testCase.testSteps.findIndex((t) => t.id === st.testStepId);
      const pickleStepId = testCase.testSteps[index]?.pickleStepId;
      const text =
        pickleStepId !== undefined
          ? (pickle.steps.find((s) => s.id === pickleStepId)?.text ?? "a step")
          : firstStep >= 0 && index > firstStep
            ? "hook (after)"
            : "hook (before)";
      return { text, status: st.result.status, durationMs: millis(st.result.duration as Timestamp) };
    });
}

/** The head of an error message: its first two non-empty lines (an assertion's title and values). */
function firstLine(text: string | undefined): string {
  const lines = (text ?? "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  return lines.slice(0, 2).join(" — ").slice(0, 300);
}

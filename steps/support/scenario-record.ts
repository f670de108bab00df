import { log } from "../../src/common/log.js";
import type {
  Check,
  Difference,
  Phase,
  ScenarioResult,
  UpstreamCaseVerdict,
} from "../../src/report/result.js";

/**
 * What one scenario did, as the reports show it: phases with timings, named checks with their
 * differences. Steps add to it through the World; the After hook saves it.
 */
export class ScenarioRecord {
  readonly phases: Phase[] = [];
  readonly checks: Check[] = [];
  readonly seeds: Record<string, number> = {};
  readonly artifacts: string[] = [];
  readonly upstreamCases: UpstreamCaseVerdict[] = [];
  reason: string | undefined;
  /**
   * What a version matrix row found and ran (e.g. "calicoctl 3.32.1", "kube-apiserver v1.36.3"),
   * added to the scenario's name in the reports, so each cell says what it was.
   */
  readonly variants: string[] = [];
  /** Shown before progress lines, so parallel workers' lines can be told apart. */
  label = "";
  private lastProgress = 0;

  async phase<T>(name: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const value = await work();
      const durationMs = Math.round(performance.now() - started);
      this.phases.push({ name, status: "passed", durationMs });
      if (durationMs >= 1000) log.info(`${this.label} ${name}: ${(durationMs / 1000).toFixed(1)} s`);
      return value;
    } catch (err) {
      this.phases.push({
        name,
        status: "failed",
        durationMs: Math.round(performance.now() - started),
        message: err instanceof Error ? err.message : String(err),
      });
      throw err;
    }
  }

  /** Objects done / total on long work, at most one line a second. */
  progress(what: string, done: number, total: number): void {
    const now = Date.now();
    if (done < total && now - this.lastProgress < 1000) return;
    this.lastProgress = now;
    log.info(`${this.label} ${what}: ${done}/${total}`);
  }

  check(name: string, differences: Difference[], message?: string): Check {
    const counted = differences.filter((d) => d.class !== "accounted");
    const check: Check = {
      name,
      status: counted.length === 0 ? "passed" : "failed",
      message: message ?? (counted.length === 0 ? undefined : `${counted.length} difference(s)`),
      differences,
    };
    this.checks.push(check);
    return check;
  }

  /**
   * Records a named check and fails the step when a difference counts (is not accounted for). The
   * error names the check, its message and its first counting differences, so the failure reads on
   * its own; `passedNote` is the message of a passed check (what was compared, how much).
   */
  expectCheck(name: string, differences: Difference[], passedNote?: string): Check {
    const counted = differences.some((d) => d.class !== "accounted");
    const check = this.check(name, differences, counted ? undefined : passedNote);
    if (check.status === "failed") throw new Error(checkFailure(check));
    return check;
  }

  /**
   * Records a check built elsewhere (a diff's, a judge's verdict) and fails the step when it failed,
   * with the same error as `expectCheck`.
   */
  expect(check: Check): Check {
    this.checks.push(check);
    if (check.status === "failed") throw new Error(checkFailure(check));
    return check;
  }

  /** Records what this scenario found about an upstream case; reports tabulate these per case and tool. */
  upstreamCase(verdict: UpstreamCaseVerdict): void {
    this.upstreamCases.push(verdict);
  }

  /** The case and tool this scenario is about, so a scenario that stops early still reports them. */
  private readonly expectedCases: Omit<UpstreamCaseVerdict, "outcome" | "detail">[] = [];

  expectUpstreamCase(expected: Omit<UpstreamCaseVerdict, "outcome" | "detail">): void {
    this.expectedCases.push(expected);
  }

  /**
   * After the scenario: a case it was to judge but never did (a step failed first) is listed as not
   * run with that failure, never left out of the upstream table.
   */
  settleUpstreamCases(failure: string | undefined): void {
    for (const e of this.expectedCases) {
      if (this.upstreamCases.some((v) => v.caseId === e.caseId && v.tool === e.tool)) continue;
      this.upstreamCases.push({
        ...e,
        outcome: "not-run",
        detail: `the scenario stopped before its verdict: ${failure ?? "no verdict step"}`,
      });
    }
  }

  /** `name` with what the row found, e.g. "… on Kubernetes 1.36 [kube-apiserver v1.36.3]". */
  nameWithVariants(name: string): string {
    return this.variants.length > 0 ? `${name} [${this.variants.join(", ")}]` : name;
  }

  toResult(
    base: Omit<ScenarioResult, "phases" | "checks" | "seeds" | "artifacts" | "upstreamCases">,
  ): ScenarioResult {
    return {
      ...base,
      name: this.nameWithVariants(base.name),
      phases: this.phases,
      checks: this.checks,
      seeds: Object.keys(this.seeds).length ? this.seeds : undefined,
      artifacts: this.artifacts.length ? this.artifacts : undefined,
      upstreamCases: this.upstreamCases.length ? this.upstreamCases : undefined,
    };
  }
}

/** `NAME: MESSAGE; first: CLASS ID PATH [KIND] (NOTE); …`: a failed check as one line. */
export function checkFailure(check: Check, shown = 5): string {
  const first = (check.differences ?? [])
    .filter((d) => d.class !== "accounted")
    .slice(0, shown)
    .map((d) => `${d.class} ${d.id}${d.path ? ` ${d.path}` : ""} [${d.kind}]${d.note ? ` (${d.note})` : ""}`);
  return `${check.name}: ${check.message ?? "failed"}${first.length ? `; first: ${first.join("; ")}` : ""}`;
}

import type { Check, Difference, Phase, ScenarioResult } from "../../src/report/result.js";

/**
 * What one scenario did, as the reports show it: phases with timings, named checks with their
 * differences. Steps add to it through the World; the After hook saves it.
 */
export class ScenarioRecord {
  readonly phases: Phase[] = [];
  readonly checks: Check[] = [];
  readonly seeds: Record<string, number> = {};
  readonly artifacts: string[] = [];
  reason: string | undefined;

  async phase<T>(name: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const value = await work();
      this.phases.push({ name, status: "passed", durationMs: Math.round(performance.now() - started) });
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

  toResult(base: Omit<ScenarioResult, "phases" | "checks" | "seeds" | "artifacts">): ScenarioResult {
    return {
      ...base,
      phases: this.phases,
      checks: this.checks,
      seeds: Object.keys(this.seeds).length ? this.seeds : undefined,
      artifacts: this.artifacts.length ? this.artifacts : undefined,
    };
  }
}

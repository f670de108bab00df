import { readFileSync } from "node:fs";
import { rm, symlink } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { type Envelope, ScenarioCollector } from "../report/from-messages.js";
import { RESULT_SCHEMA_VERSION, type RunResult } from "../report/result.js";
import { failuresFirst, newRunId, packageRoot, totals } from "./run-suites.js";
import { writeRunReports } from "./write-run-reports.js";

/** storeshift's own version, from its own package.json — never the version of the project using it. */
export function storeshiftVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version?: string };
  return pkg.version ?? "unknown";
}

/** `formatOptions: { storeshift: { … } }` in a cucumber configuration. */
export interface FormatterOptions {
  /** Where run directories go (default `reports`); each run gets `<reportDir>/<runId>`. */
  reportDir?: string;
  runId?: string;
}

interface FormatterContext {
  on: (key: "message", handler: (value: Envelope & { testRunFinished?: unknown }) => void) => void;
  options: FormatterOptions;
  logger: { info: (message: string) => void };
}

/** Assembles a run result from what the collector saw. */
export function runResultFrom(
  collector: ScenarioCollector,
  meta: Pick<RunResult, "runId" | "startedAt" | "backend"> & { versions?: Record<string, string> },
): RunResult {
  const scenarios = collector.results().sort(failuresFirst);
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    runId: meta.runId,
    startedAt: meta.startedAt,
    finishedAt: new Date().toISOString(),
    backend: meta.backend,
    versions: { storeshift: storeshiftVersion(), node: process.version, ...meta.versions },
    scenarios,
    totals: totals(scenarios),
  };
}

/**
 * A cucumber formatter plugin (`format: ["storeshift/formatter"]`): a plain `cucumber-js` run that
 * imports the step library gets the same result.json, junit.xml, report.html and summary.md that
 * `storeshift run` writes, built from cucumber's message stream.
 */
const storeshiftFormatter = {
  type: "formatter" as const,
  optionsKey: "storeshift",
  formatter({ on, options, logger }: FormatterContext) {
    const collector = new ScenarioCollector();
    const runId = options.runId ?? newRunId();
    const runDir = resolve(options.reportDir ?? "reports", runId);
    const startedAt = new Date().toISOString();
    let written: Promise<void> | undefined;
    on("message", (envelope) => {
      collector.add(envelope);
      if (!envelope.testRunFinished) return;
      const result = runResultFrom(collector, {
        runId,
        startedAt,
        backend: { name: "cucumber-js", reason: "plain cucumber-js run with the storeshift formatter" },
      });
      written = (async () => {
        await writeRunReports(result, runDir);
        const latest = join(dirname(runDir), "latest");
        await rm(latest, { force: true });
        await symlink(basename(runDir), latest).catch(() => undefined);
        logger.info(`storeshift reports in ${runDir}`);
      })();
    });
    // cucumber awaits the cleanup, so the reports are on disk before the process exits
    return async () => {
      await written;
    };
  },
};

export default storeshiftFormatter;

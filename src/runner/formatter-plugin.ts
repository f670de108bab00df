import { rm, symlink } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { type Envelope, ScenarioCollector } from "../report/from-messages.js";
import { newRunId, runResultFrom } from "./run-result.js";
import { writeRunReports } from "./write-run-reports.js";

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

import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { InputError } from "../../common/errors.js";
import { log } from "../../common/log.js";
import { parseBackend } from "../../providers/backend.js";
import type { RunResult, ScenarioResult } from "../../report/result.js";
import { runSuites, savedFeaturePath } from "../../runner/run-suites.js";
import { type Command, parseFlags } from "../command.js";
import { finishRun, parseKeep } from "./run.js";

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The scenarios to replay: the named one (id, or a unique part of its name), else every failed one. */
export function pickScenarios(
  result: RunResult,
  wanted: string | undefined,
  reportDir: string,
): ScenarioResult[] {
  if (wanted === undefined) {
    const failed = result.scenarios.filter((s) => s.status === "failed");
    if (failed.length === 0)
      throw new InputError(`replay: ${reportDir}: no failed scenario to replay; name one`);
    return failed;
  }
  const exact = result.scenarios.filter((s) => s.id === wanted || s.name === wanted);
  if (exact.length > 0) return exact;
  const partial = result.scenarios.filter((s) => s.name.includes(wanted));
  if (partial.length === 1) return partial;
  if (partial.length === 0) throw new InputError(`replay: ${reportDir}: no scenario matches "${wanted}"`);
  throw new InputError(
    `replay: ${reportDir}: "${wanted}" matches ${partial.length} scenarios; use an id from result.json`,
  );
}

export const replayCommand: Command = {
  name: "replay",
  usage: `storeshift replay <report-dir> [scenario-id-or-name] [--keep never|on-failure|always] [--backend …]

Re-runs the scenario(s) with the feature files and fixtures saved in <report-dir>/inputs at the time
of the run; the new reports go to <report-dir>/replays/<run-id>/. Default --keep on-failure, so a
failure leaves its stores up with reconnect commands.`,
  async run(argv) {
    const { values, positionals } = parseFlags(
      "replay",
      argv,
      { keep: { type: "string", default: "on-failure" }, backend: { type: "string", default: "local" } },
      true,
    );
    const [dirArg, wanted] = positionals;
    if (!dirArg) throw new InputError("replay: missing <report-dir>");
    const reportDir = resolve(dirArg);
    const resultFile = join(reportDir, "result.json");
    if (!existsSync(resultFile)) throw new InputError(`replay: ${resultFile}: no such file`);
    let result: RunResult;
    try {
      result = JSON.parse(await readFile(resultFile, "utf8")) as RunResult;
    } catch (err) {
      throw new InputError(`replay: ${resultFile}: not valid JSON (${(err as Error).message})`);
    }
    const chosen = pickScenarios(result, wanted, reportDir);
    const paths = [...new Set(chosen.map((s) => savedFeaturePath(reportDir, s.feature)))];
    for (const p of paths)
      if (!existsSync(p)) throw new InputError(`replay: ${p}: the run saved no copy of this feature`);
    log.info(`replaying ${chosen.map((s) => `"${s.name}"`).join(", ")} from ${reportDir}`);
    const outcome = await runSuites({
      paths,
      names: chosen.map((s) => `^${escapeRegex(s.name)}$`),
      backend: parseBackend(String(values.backend)),
      parallel: 1,
      keep: parseKeep(String(values.keep)),
      migrator: "builtin",
      reportDir: join(reportDir, "replays"),
      fixtureRoot: join(reportDir, "inputs", "fixtures"),
    });
    return finishRun(outcome);
  },
};

import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { extractBundle } from "../../bundle/index.js";
import { InputError } from "../../common/errors.js";
import { log } from "../../common/log.js";
import { parseBackend } from "../../providers/backend.js";
import type { RunResult, ScenarioResult } from "../../report/result.js";
import { type RunInputs, runInputsPath, runSuites, savedFeaturePath } from "../../runner/run-suites.js";
import { type Command, parseFlags } from "../command.js";
import { finishRun, parseKeep, parseMigrator } from "./run.js";

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

/** The run's own inputs/run.json: how it was made, so the replay makes it the same way. */
async function readRunInputs(reportDir: string): Promise<RunInputs | undefined> {
  const file = runInputsPath(reportDir);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(await readFile(file, "utf8")) as RunInputs;
  } catch (err) {
    throw new InputError(`replay: ${file}: not valid JSON (${(err as Error).message})`);
  }
}

/**
 * The saved copy of a feature. A feature from outside the working dir (verify's generated guide)
 * is saved under a path that depends on where the run ran; on another machine (a bundle) it is
 * found by its file name, when that is unique among the saved features.
 */
async function savedFeature(reportDir: string, feature: string): Promise<string> {
  const expected = savedFeaturePath(reportDir, feature);
  if (existsSync(expected)) return expected;
  const name = basename(feature);
  const found = (await readdir(join(reportDir, "inputs"), { recursive: true }))
    .map(String)
    .filter((p) => basename(p) === name);
  return found.length === 1 ? join(reportDir, "inputs", found[0] ?? "") : expected;
}

export const replayCommand: Command = {
  name: "replay",
  usage: `storeshift replay <report-dir|bundle.tgz> [scenario-id-or-name] [--keep never|on-failure|always]
                  [--backend local|docker|existing] [--migrator builtin|calicoctl=PATH|module=FILE] [--disposable]

Re-runs the scenario(s) with the feature files and fixtures saved in <report-dir>/inputs at the time
of the run, with the run's migrator, backend and generated-data seeds (inputs/run.json); --backend and
--migrator override them. The new reports go to <report-dir>/replays/<run-id>/. Default --keep
on-failure, so a failure stays as it ended, with reconnect commands. A bundle (\`storeshift bundle\`)
is unpacked next to itself (bug.tgz → bug.replay/) and replayed the same way.`,
  async run(argv) {
    const { values, positionals } = parseFlags(
      "replay",
      argv,
      {
        keep: { type: "string", default: "on-failure" },
        backend: { type: "string" },
        migrator: { type: "string" },
        disposable: { type: "boolean", default: false },
      },
      true,
    );
    const [dirArg, wanted] = positionals;
    if (!dirArg) throw new InputError("replay: missing <report-dir>");
    // a bug bundle (storeshift bundle) is unpacked next to itself and replayed like a report dir
    const reportDir = /\.(tgz|tar\.gz)$/.test(dirArg)
      ? (await extractBundle(dirArg)).runDir
      : resolve(dirArg);
    const resultFile = join(reportDir, "result.json");
    if (!existsSync(resultFile)) throw new InputError(`replay: ${resultFile}: no such file`);
    let result: RunResult;
    try {
      result = JSON.parse(await readFile(resultFile, "utf8")) as RunResult;
    } catch (err) {
      throw new InputError(`replay: ${resultFile}: not valid JSON (${(err as Error).message})`);
    }
    const chosen = pickScenarios(result, wanted, reportDir);
    const made = await readRunInputs(reportDir);
    const backendFlag = values.backend === undefined ? undefined : String(values.backend);
    const migratorFlag = values.migrator === undefined ? undefined : String(values.migrator);
    if (!made && (backendFlag === undefined || migratorFlag === undefined)) {
      throw new InputError(
        `replay: ${runInputsPath(reportDir)}: no such file, so the run's migrator and backend are unknown; pass --migrator and --backend`,
      );
    }
    const recorded = migratorFlag ?? made?.migrator ?? "builtin";
    const calicoctl = recorded.startsWith("calicoctl=") ? recorded.slice("calicoctl=".length) : undefined;
    if (calicoctl !== undefined && !existsSync(calicoctl)) {
      throw new InputError(
        `replay: the run used --migrator ${recorded}, and ${calicoctl} is not there any more; pass --migrator`,
      );
    }
    // a migrator module is loaded (and checked) again, as the run did
    const migrator = await parseMigrator(recorded);
    const backend = parseBackend(backendFlag ?? made?.backend.name ?? "local");
    const seeds = Object.fromEntries(
      chosen.flatMap((s) => {
        const drawn = made?.seeds[s.id] ?? s.seeds;
        return drawn ? [[s.id, drawn]] : [];
      }),
    );
    const paths = [...new Set(await Promise.all(chosen.map((s) => savedFeature(reportDir, s.feature))))];
    for (const p of paths)
      if (!existsSync(p)) throw new InputError(`replay: ${p}: the run saved no copy of this feature`);
    const seedText = Object.values(seeds)
      .flatMap((x) => Object.entries(x).map(([k, v]) => `${k}=${v}`))
      .join(", ");
    log.info(
      `replaying ${chosen.map((s) => `"${s.name}"`).join(", ")} from ${reportDir} with migrator ${migrator}, backend ${backend}${seedText ? `, seeds ${seedText}` : ""}`,
    );
    const outcome = await runSuites({
      paths,
      names: chosen.map((s) => `^${escapeRegex(s.name)}$`),
      backend,
      parallel: 1,
      keep: parseKeep(String(values.keep)),
      migrator,
      seeds,
      disposable: values.disposable === true,
      reportDir: join(reportDir, "replays"),
      fixtureRoot: join(reportDir, "inputs", "fixtures"),
    });
    return finishRun(outcome);
  },
};

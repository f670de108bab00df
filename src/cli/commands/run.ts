import { cpus } from "node:os";
import { InputError } from "../../common/errors.js";
import { formatMigratorSpec, loadMigratorModule, parseMigratorSpec } from "../../migrator-module/module.js";
import { parseBackend } from "../../providers/backend.js";
import { consoleSummary } from "../../runner/console-summary.js";
import { type KeepPolicy, parseShard, type RunOutcome, runSuites } from "../../runner/run-suites.js";
import { type Command, parseFlags } from "../command.js";

export function parseKeep(value: string): KeepPolicy {
  if (value === "never" || value === "on-failure" || value === "always") return value;
  throw new InputError(`run: --keep ${value}: expected never, on-failure or always`);
}

export function parseParallel(value: string): number | "auto" {
  if (value === "auto") return "auto";
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 32)
    throw new InputError(`run: --parallel ${value}: expected auto or 1..32`);
  return n;
}

/** Checks `--migrator`; a module is loaded now, so a bad one stops the run before any store starts. */
export async function parseMigrator(value: string): Promise<string> {
  const spec = parseMigratorSpec(value, "run: --migrator");
  if (spec.kind === "module") await loadMigratorModule(spec);
  return formatMigratorSpec(spec);
}

/** Prints a run's closing lines and returns its exit code; a run that proved nothing says why last. */
export function finishRun(outcome: RunOutcome): number {
  process.stdout.write(consoleSummary(outcome.result, outcome.runDir));
  if (outcome.nothingRan) process.stderr.write(`storeshift: ${outcome.nothingRan}\n`);
  return outcome.exitCode;
}

export const runCommand: Command = {
  name: "run",
  usage: `storeshift run [paths...] [--tags EXPR] [--name REGEX]... [--backend auto|local|docker|existing]
                [--parallel auto|N] [--shard i/n] [--keep never|on-failure|always]
                [--migrator builtin|calicoctl=PATH|module=PATH[#EXPORT]] [--report-dir DIR]
                [--allow-not-run] [--disposable] [--fail-fast] [--config FILE] [--profile NAME]...

Runs the given .feature files/dirs (file:line selects one scenario); with none, the project's
./features (or the paths its cucumber configuration names), else the suites bundled with storeshift.
The project's cucumber configuration (cucumber.js/.mjs/.cjs/.json/.yaml, or --config FILE) and its
profiles are honoured: its own steps, formats and world parameters come along with storeshift's.
--backend existing uses the cluster of KUBECONFIG (context STORESHIFT_KUBE_CONTEXT, else the current
one), where scenarios delete every Calico CRD and Nodes: it runs only when the cluster is declared
disposable by both --disposable and the label storeshift.io/disposable=true on namespace kube-system.
Exit codes: 0 every scenario that ran passed and at least one ran (not-run scenarios are listed,
never counted as passed), 1 a scenario failed, 2 nothing ran (no scenario matched, or every selected
one was not run; --allow-not-run makes that 0) or the run could not start (bad flag, no backend,
missing binary).
--parallel auto (the default) runs 2 workers, each with its own stores, when at least 8 scenarios
are selected on a machine with 2 or more cores, else 1 (docs/main-job-time.md).
--fail-fast stops at the first failed scenario (the rest are skipped, so the run exits 1).
--migrator module=PATH[#EXPORT] drives the scenarios with a JavaScript module's migrators (the
export, default "default", has calico(stores, builtin) and/or etcdV2V3(builtin) factories returning
the Migrator and V2V3Migrator interfaces); see docs/selftest.md.`,
  async run(argv) {
    const { values, positionals } = parseFlags(
      "run",
      argv,
      {
        tags: { type: "string" },
        name: { type: "string", multiple: true },
        backend: { type: "string", default: "auto" },
        parallel: { type: "string", default: "auto" },
        shard: { type: "string" },
        keep: { type: "string", default: "never" },
        migrator: { type: "string", default: "builtin" },
        "report-dir": { type: "string", default: "reports" },
        "allow-not-run": { type: "boolean", default: false },
        disposable: { type: "boolean", default: false },
        "fail-fast": { type: "boolean", default: false },
        config: { type: "string" },
        profile: { type: "string", multiple: true },
      },
      true,
    );
    const parallel = parseParallel(String(values.parallel));
    if (parallel !== "auto" && parallel > cpus().length * 2) {
      throw new InputError(
        `run: --parallel ${parallel}: more than twice this machine's ${cpus().length} cores`,
      );
    }
    const outcome = await runSuites({
      paths: positionals,
      tags: values.tags as string | undefined,
      names: values.name as string[] | undefined,
      backend: parseBackend(String(values.backend)),
      parallel,
      shard: values.shard === undefined ? undefined : parseShard(String(values.shard)),
      keep: parseKeep(String(values.keep)),
      migrator: await parseMigrator(String(values.migrator)),
      reportDir: String(values["report-dir"]),
      allowNotRun: values["allow-not-run"] === true,
      disposable: values.disposable === true,
      failFast: values["fail-fast"] === true,
      ...(values.config !== undefined ? { config: String(values.config) } : {}),
      profiles: (values.profile as string[] | undefined) ?? [],
    });
    return finishRun(outcome);
  },
};

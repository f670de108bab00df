import { existsSync } from "node:fs";
import { cp, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { requireBinary } from "../binaries/install.js";
import type { Tool } from "../binaries/locate.js";
import { envVar } from "../common/environment.js";
import { InputError, StoreshiftError } from "../common/errors.js";
import { log } from "../common/log.js";
import { packageRoot } from "../common/package-root.js";
import { type BackendRequest, chooseBackend } from "../providers/backend.js";
import { assertDisposable, useExistingCluster } from "../providers/existing/existing-cluster.js";
import { type Envelope, ScenarioCollector } from "../report/from-messages.js";
import type { RunResult, ScenarioResult } from "../report/result.js";
import { newRunId, runResultFrom } from "./run-result.js";
import { writeRunReports } from "./write-run-reports.js";

export type KeepPolicy = "never" | "on-failure" | "always";

export interface RunOptions {
  paths: string[];
  /** A cucumber configuration file; undefined looks for cucumber's defaults in the working dir, false uses none. */
  config?: string | false;
  /** cucumber profiles from that configuration. */
  profiles?: string[];
  tags?: string;
  names?: string[];
  backend: BackendRequest;
  /** Workers; "auto": see `autoParallel`. */
  parallel: number | "auto";
  shard?: string;
  keep: KeepPolicy;
  migrator: string;
  reportDir: string;
  fixtureRoot?: string;
  runId?: string;
  /** A replay's generator seeds, by scenario id (steps reuse them instead of drawing new ones). */
  seeds?: Record<string, Record<string, number>>;
  /** `--backend existing` only: the person running declares the cluster disposable (the label must too). */
  disposable?: boolean;
  /** A run in which nothing ran exits 0 instead of 2 (a job that only lists what it would need). */
  allowNotRun?: boolean;
  /** Stop at the first failed scenario; the rest are reported as skipped. */
  failFast?: boolean;
}

export interface RunOutcome {
  exitCode: 0 | 1 | 2;
  runDir: string;
  result: RunResult;
  /** Why the run proved nothing (every scenario not run), when it did; printed last, with exit 2. */
  nothingRan?: string;
}

export function parseShard(shard: string): string {
  const m = /^(\d+)\/(\d+)$/.exec(shard);
  const index = Number(m?.[1]);
  const total = Number(m?.[2]);
  if (!m || total < 1 || index < 1 || index > total) {
    throw new InputError(`run: --shard ${shard}: expected i/n with 1 <= i <= n, e.g. 1/3`);
  }
  // cucumber counts shards from 1 as well
  return `${index}/${total}`;
}

/**
 * Copies the features and fixtures a run used into <runDir>/inputs, keeping paths relative to the
 * working directory, so `storeshift replay` can re-run a scenario exactly as it was written.
 */
export async function saveInputs(paths: string[], fixtureRoot: string, runDir: string): Promise<void> {
  const inputs = join(runDir, "inputs");
  for (const p of paths) {
    const file = resolve(p.replace(/:\d+(:\d+)*$/, ""));
    const rel = relative(process.cwd(), file);
    const target = rel.startsWith("..")
      ? join(inputs, "external", rel.replace(/^(\.\.\/)+/, ""))
      : join(inputs, rel);
    await cp(file, target, { recursive: true });
  }
  if (existsSync(fixtureRoot)) await cp(fixtureRoot, join(inputs, "fixtures"), { recursive: true });
}

/**
 * How a run was made, saved as <runDir>/inputs/run.json, so `storeshift replay` re-runs a scenario
 * with the same migrator, backend and generated data rather than with its own defaults.
 */
export interface RunInputs {
  runId: string;
  /** "builtin" or "calicoctl=PATH". */
  migrator: string;
  backend: { name: string; reason: string };
  tags?: string;
  names?: string[];
  /** Generator seeds each scenario drew, by scenario id; written when the run ends. */
  seeds: Record<string, Record<string, number>>;
}

export function runInputsPath(runDir: string): string {
  return join(runDir, "inputs", "run.json");
}

async function writeRunInputs(runDir: string, inputs: RunInputs): Promise<void> {
  await mkdir(join(runDir, "inputs"), { recursive: true });
  await writeFile(runInputsPath(runDir), `${JSON.stringify(inputs, null, 2)}\n`);
}

/** Where a scenario's feature file was saved in a run's inputs. */
export function savedFeaturePath(runDir: string, featureUri: string): string {
  const rel = relative(process.cwd(), resolve(featureUri));
  return rel.startsWith("..")
    ? join(runDir, "inputs", "external", rel.replace(/^(\.\.\/)+/, ""))
    : join(runDir, "inputs", rel);
}

/** Binaries the local backend needs, installed up front so no scenario pays for a build. */
const LOCAL_TOOLS: Tool[] = ["etcd-v2", "etcdctl-v2", "etcd", "etcdctl", "kube-apiserver"];

/** storeshift's own formatter plugin, dropped from a project's config: `run` writes the reports itself. */
function isOurFormatter(format: unknown): boolean {
  const spec = Array.isArray(format) ? String(format[0]) : String(format);
  return spec.includes("formatter-plugin.js") || spec.replace(/"/g, "") === "storeshift/formatter";
}

/**
 * The features a run uses when none are named: the project's `./features` when it has one (and its
 * cucumber configuration names none), else the suites bundled with storeshift.
 */
function defaultPaths(cwd: string): string[] {
  const own = join(cwd, "features");
  return existsSync(own) ? [own] : [join(packageRoot(), "features")];
}

/**
 * Runs feature files through cucumber's JavaScript API and writes every report. The project's
 * cucumber configuration (cucumber.js/.mjs/.json/.yaml, profiles) is honoured; storeshift adds its
 * step library, its formats and the World's parameters. Everything that can reject the run — a bad
 * path, tag expression or configuration, a selection that matches nothing, a missing binary, a
 * cluster not declared disposable — is checked before a report directory exists.
 */
export async function runSuites(o: RunOptions): Promise<RunOutcome> {
  const cwd = process.cwd();
  const root = packageRoot();
  for (const p of o.paths) {
    const file = p.replace(/:\d+(:\d+)*$/, "");
    if (!existsSync(file)) throw new InputError(`run: ${p}: no such feature file or directory`);
  }
  const stepsEntry = join(root, "dist", "steps", "index.js");
  if (!existsSync(stepsEntry))
    throw new StoreshiftError(`run: ${stepsEntry} is missing; run \`npm run build\``);

  const { loadConfiguration, loadSources, runCucumber } = await import("@cucumber/cucumber/api");
  let loaded: Awaited<ReturnType<typeof loadConfiguration>>;
  try {
    loaded = await loadConfiguration(
      {
        file: o.config === false ? false : o.config,
        profiles: o.profiles ?? [],
        provided: {
          paths: o.paths,
          import: [stepsEntry],
          ...(o.tags ? { tags: o.tags } : {}),
          name: o.names ?? [],
          parallel: 0,
          shard: o.shard ?? "",
          failFast: o.failFast ?? false,
        },
      },
      { cwd },
    );
  } catch (err) {
    throw new InputError(`run: cucumber configuration: ${deepestMessage(err)}`, { cause: err });
  }
  const { runConfiguration } = loaded;
  if (runConfiguration.sources.paths.length === 0) runConfiguration.sources.paths = defaultPaths(cwd);
  const paths = runConfiguration.sources.paths;
  const usesBundled = paths.some((p) => resolve(p).startsWith(join(root, "features")));
  const fixtureRoot = o.fixtureRoot ?? (usesBundled ? join(root, "fixtures") : join(cwd, "fixtures"));

  let selected: number;
  try {
    const sources = await loadSources(runConfiguration.sources);
    if (sources.errors.length > 0) {
      const first = sources.errors[0] as { uri?: string; message?: string };
      throw new InputError(`run: ${first.uri ?? "feature"}: ${first.message ?? "could not be parsed"}`);
    }
    selected = sources.plan.length;
  } catch (err) {
    if (err instanceof InputError) throw err;
    // a bad --tags expression surfaces here, wrapped twice; its own message is the useful line
    throw new InputError(`run: ${deepestMessage(err)}`, { cause: err });
  }
  if (selected === 0) {
    // a CI job whose filter selects nothing has tested nothing: that is not a pass
    const what = `${paths.map((p) => relative(cwd, p) || ".").join(" ")}${o.tags ? ` with --tags "${o.tags}"` : ""}${o.names?.length ? ` and --name ${o.names.join(" ")}` : ""}`;
    if (!o.allowNotRun)
      throw new InputError(`run: no scenario matched ${what} (--allow-not-run accepts that)`);
  }

  const workers = o.parallel === "auto" ? autoParallel(selected, cpus().length) : o.parallel;
  // cucumber counts extra workers: 0 runs in this process
  runConfiguration.runtime.parallel = workers > 1 ? workers : 0;

  const backend = await chooseBackend(o.backend);
  if (backend.name === "existing") {
    // before any binary, report dir or scenario: scenarios delete Calico's CRDs and Nodes there
    await assertDisposable(
      useExistingCluster({ context: envVar("STORESHIFT_KUBE_CONTEXT") }),
      o.disposable === true,
    );
  }
  const versions: Record<string, string> = {};
  for (const tool of LOCAL_TOOLS) versions[tool] = (await requireBinary(tool)).version;

  const runId = o.runId ?? newRunId();
  const runDir = resolve(o.reportDir, runId);
  await mkdir(runDir, { recursive: true });
  const startedAt = new Date().toISOString();
  await saveInputs(paths, fixtureRoot, runDir);
  const inputs: RunInputs = {
    runId,
    migrator: o.migrator,
    backend: { name: backend.name, reason: backend.reason },
    ...(o.tags ? { tags: o.tags } : {}),
    ...(o.names?.length ? { names: o.names } : {}),
    seeds: {},
  };
  await writeRunInputs(runDir, inputs);
  log.info(
    `run ${runId}: backend ${backend.name} (${backend.reason}); ${workers} worker${workers > 1 ? "s" : ""}; reports in ${relative(cwd, runDir) || "."}`,
  );

  runConfiguration.formats.stdout = "summary";
  runConfiguration.formats.files = {
    ...Object.fromEntries(
      Object.entries(runConfiguration.formats.files).filter(([, spec]) => !isOurFormatter(spec)),
    ),
    [join(runDir, "cucumber.html")]: "html",
    [join(runDir, "cucumber-messages.ndjson")]: "message",
  };
  runConfiguration.runtime.worldParameters = {
    ...runConfiguration.runtime.worldParameters,
    runDir,
    backend: backend.name,
    backendReason: backend.reason,
    keep: o.keep,
    migrator: o.migrator,
    fixtureRoot,
    ...(o.seeds ? { seeds: o.seeds } : {}),
  };
  const collector = new ScenarioCollector();
  let success: boolean;
  try {
    ({ success } = await runCucumber(runConfiguration, { cwd }, (envelope) =>
      collector.add(envelope as Envelope),
    ));
  } catch (err) {
    throw new StoreshiftError(`run: cucumber could not start: ${deepestMessage(err)}`, { cause: err });
  }
  const result = runResultFrom(collector, { runId, startedAt, backend, versions });
  const scenarios = result.scenarios;
  for (const sc of scenarios) if (sc.seeds) inputs.seeds[sc.id] = sc.seeds;
  await writeRunInputs(runDir, inputs);
  await writeRunReports(result, runDir);
  const latest = join(dirname(runDir), "latest");
  await rm(latest, { force: true });
  await symlink(runId, latest).catch(() => undefined);
  const failed = !success || result.totals.failed > 0;
  if (failed) return { exitCode: 1, runDir, result };
  const why = nothingRan(scenarios);
  if (why && !o.allowNotRun) return { exitCode: 2, runDir, result, nothingRan: why };
  return { exitCode: 0, runDir, result };
}

/**
 * Workers for `--parallel auto`: 2 when there are enough scenarios to share (each worker starts its
 * own stores, a control plane included, which a short run would not win back) and 2 cores to share
 * them on; else 1. Most of a store scenario's time is spent waiting on stores, timeouts and
 * reconnects, so two workers overlap that waiting even on 2 busy cores (docs/main-job-time.md).
 */
export function autoParallel(selected: number, cores: number): number {
  return selected >= 8 && cores >= 2 ? 2 : 1;
}

/**
 * Why a run without failures still proved nothing: no scenario passed, so every selected one was not
 * run (or skipped). Undefined when at least one scenario passed or failed.
 */
export function nothingRan(scenarios: ScenarioResult[]): string | undefined {
  if (scenarios.some((s) => s.status === "passed" || s.status === "failed")) return undefined;
  if (scenarios.length === 0) return "run: nothing ran: no scenario was selected";
  const reasons = new Map<string, number>();
  for (const s of scenarios) {
    const why = s.reason ?? (s.status === "skipped" ? "skipped by cucumber" : "no reason recorded");
    reasons.set(why, (reasons.get(why) ?? 0) + 1);
  }
  const listed = [...reasons].map(([why, n]) => (n > 1 ? `${n}× ${why}` : why)).join("; ");
  return `run: nothing ran: all ${scenarios.length} selected scenario(s) were not run (${listed}); --allow-not-run accepts that`;
}

/** The innermost cause's message: cucumber wraps a tag or config error in generic ones. */
function deepestMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e && typeof e === "object" && e.cause && typeof e.cause === "object") e = e.cause as typeof e;
  return (e?.message ?? String(err)).split("\n")[0] ?? "";
}

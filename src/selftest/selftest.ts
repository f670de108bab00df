import { spawn } from "node:child_process";
import { createWriteStream, existsSync, readdirSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { registerCleanup } from "../common/cleanup.js";
import { environment } from "../common/environment.js";
import { InputError, StoreshiftError } from "../common/errors.js";
import { log } from "../common/log.js";
import { packageRoot } from "../common/package-root.js";
import type { RunResult, ScenarioResult } from "../report/result.js";
import { newRunId } from "../runner/run-result.js";
import { type Migration, MUTANTS, type MutantEntry, mutantByName } from "./catalogue.js";
import { MUTANT_LOG_ENV } from "./mutants/support.js";

export type Subset = "fast" | "full";

export interface SelftestOptions {
  subset: Subset;
  /** Only these mutants (any subset's); default every mutant of the subset. */
  mutants?: string[];
  reportDir: string;
  backend: string;
  /** Run every scenario for each mutant (lists every catcher) instead of stopping at the first catch. */
  everyCatch?: boolean;
  /** Per `storeshift run`; a run past it is killed and counts as an error. */
  runTimeoutMs?: number;
}

/** One `storeshift run` of the selftest: which scenarios, with which migrator. */
interface RunPlan {
  label: string;
  paths: string[];
  tags: string;
  /** Exact scenario names (anchored regexes); none = every scenario the paths and tags select. */
  names?: string[];
  migrator: string;
  failFast?: boolean;
}

export interface ScenarioRef {
  feature: string;
  name: string;
  /** The first failing phase's or check's message. */
  message?: string;
}

export interface MutantOutcome {
  name: string;
  migration: Migration;
  bugClass: string;
  shouldBeCaughtBy: string;
  description: string;
  /**
   * caught: a scenario that passes on the builtin failed, and the break was applied;
   * survived: every scenario passed (or failed only where the builtin fails too);
   * unexercised: a scenario failed but the break was never applied (the mutant, not the suite, broke);
   * error: the run could not start or did not finish.
   */
  status: "caught" | "survived" | "unexercised" | "error";
  caughtBy: ScenarioRef[];
  /** How often the break was applied during the run. */
  applied: number;
  scenarios: number;
  durationMs: number;
  runDir?: string;
  error?: string;
}

export interface SelftestReport {
  subset: Subset;
  /** Each mutant's run stopped at its first catch, so `caughtBy` names one scenario. */
  failFast: boolean;
  startedAt: string;
  durationMs: number;
  reportDir: string;
  baseline: { scenarios: number; passed: number; failed: ScenarioRef[]; notRun: number; runDir?: string };
  mutants: MutantOutcome[];
  caught: number;
  total: number;
}

const FULL_TAGS = "not @real-calicoctl";
const FEATURES: Record<Migration, string> = { calico: "features/calico", "etcd-v2v3": "features/etcd-v2v3" };
/**
 * With --fail-fast a caught mutant stops at its first failure, so the scenarios that catch most and
 * cost least go first; every other feature file of the directory follows in name order.
 */
const FIRST: Record<Migration, string[]> = {
  calico: ["forward.feature", "rollback.feature"],
  "etcd-v2v3": ["online.feature", "offline.feature"],
};

/** A migration's feature files, cheapest-and-likeliest catchers first. */
export function suiteFiles(migration: Migration, root: string): string[] {
  const dir = join(root, FEATURES[migration]);
  const names = readdirSync(dir).filter((f) => f.endsWith(".feature"));
  const first = FIRST[migration].filter((f) => names.includes(f));
  const rest = names.filter((f) => !first.includes(f)).sort();
  return [...first, ...rest].map((f) => join(dir, f));
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function key(s: { feature: string; name: string }): string {
  return `${s.feature}: ${s.name}`;
}

/** The mutants a subset runs, in catalogue order; unknown names are bad input. */
export function selectMutants(subset: Subset, names?: string[]): MutantEntry[] {
  if (names && names.length > 0) {
    const unknown = names.filter((n) => !mutantByName(n));
    if (unknown.length > 0)
      throw new InputError(
        `selftest: unknown mutant ${unknown.join(", ")}; known: ${MUTANTS.map((m) => m.name).join(", ")}`,
      );
    return MUTANTS.filter((m) => names.includes(m.name));
  }
  return subset === "fast" ? MUTANTS.filter((m) => m.fast) : MUTANTS;
}

/**
 * Fast: the @smoke scenarios that catch it. Full: its migration's bundled suite, narrowed only to the
 * scenarios that call what it breaks (the others run the builtin's code and cannot differ).
 */
export function planFor(
  m: MutantEntry,
  subset: Subset,
  root: string,
  files: (migration: Migration, root: string) => string[] = suiteFiles,
): Omit<RunPlan, "label" | "migrator"> {
  if (subset === "fast" && m.fast)
    return {
      paths: [...new Set(m.fast.map((p) => join(root, p.feature)))],
      tags: "@smoke",
      names: m.fast.map((p) => `^${escapeRegex(p.scenario)}$`),
    };
  const all = files(m.migration, root);
  const only = m.onlyFeatures;
  const paths = only ? all.filter((p) => only.some((f) => p.endsWith(`/${f}`))) : all;
  return { paths, tags: m.onlyTagged ? `${m.onlyTagged} and ${FULL_TAGS}` : FULL_TAGS };
}

function failureMessage(s: ScenarioResult): string | undefined {
  const phase = s.phases.find((p) => p.status === "failed")?.message;
  const check = s.checks.find((c) => c.status === "failed")?.message;
  const text = s.reason ?? phase ?? check;
  return text?.split("\n")[0]?.slice(0, 200);
}

async function readResult(runRoot: string): Promise<RunResult | undefined> {
  const file = join(runRoot, "latest", "result.json");
  if (!existsSync(file)) return undefined;
  return JSON.parse(await readFile(file, "utf8")) as RunResult;
}

/** Runs `storeshift run` in a child process (a mutant's leftovers die with it); output goes to a log file. */
async function runOnce(
  plan: RunPlan,
  runRoot: string,
  options: SelftestOptions,
  env: Record<string, string>,
): Promise<{ exitCode: number; result?: RunResult; durationMs: number; logFile: string }> {
  await mkdir(runRoot, { recursive: true });
  const logFile = join(runRoot, "run.log");
  const out = createWriteStream(logFile);
  const started = Date.now();
  const args = [
    join(packageRoot(), "bin", "storeshift.js"),
    "run",
    ...plan.paths,
    "--tags",
    plan.tags,
    "--backend",
    options.backend,
    "--migrator",
    plan.migrator,
    "--report-dir",
    runRoot,
    // one worker per mutant run, as the catch table was measured
    "--parallel",
    "1",
    ...(plan.names ?? []).flatMap((n) => ["--name", n]),
    ...(plan.failFast ? ["--fail-fast"] : []),
  ];
  const child = spawn(process.execPath, args, {
    env: { ...environment(), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  const timeoutMs = options.runTimeoutMs ?? 20 * 60_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    // SIGTERM first: `storeshift run` then stops the stores it started
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 15_000).unref();
  }, timeoutMs);
  const closed = new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve(code ?? -1));
  });
  // a selftest stopped by a signal stops its run too, which then stops the stores it started
  const unregister = registerCleanup(`storeshift run (${plan.label})`, async () => {
    child.kill("SIGTERM");
    await closed.catch(() => undefined);
  });
  const exitCode = await closed.finally(() => {
    clearTimeout(timer);
    unregister();
  });
  await new Promise<void>((r) => out.end(r));
  if (timedOut) return { exitCode: 2, durationMs: Date.now() - started, logFile, result: undefined };
  return { exitCode, result: await readResult(runRoot), durationMs: Date.now() - started, logFile };
}

async function countApplied(file: string): Promise<number> {
  if (!existsSync(file)) return 0;
  return (await readFile(file, "utf8")).split("\n").filter((l) => l.trim() !== "").length;
}

function lastLines(text: string, n: number): string {
  return text.trim().split("\n").slice(-n).join(" | ");
}

/**
 * Runs the scenarios once on the builtin migrator (the baseline), then once per mutant with
 * `--migrator module=<mutant>`. A mutant is caught by a scenario that passed on the builtin and failed
 * on the mutant, in a run where the mutant applied its break.
 */
export async function runSelftest(options: SelftestOptions): Promise<SelftestReport> {
  const root = packageRoot();
  const mutants = selectMutants(options.subset, options.mutants);
  for (const m of mutants) {
    const file = join(root, "dist", "src", "selftest", "mutants", `${m.name}.js`);
    if (!existsSync(file)) throw new StoreshiftError(`selftest: ${file} is missing; run \`npm run build\``);
  }
  const started = Date.now();
  const reportDir = resolve(options.reportDir, newRunId());
  await mkdir(reportDir, { recursive: true });
  const descriptions = new Map<string, string>();
  for (const m of mutants) {
    const url = pathToFileURL(join(root, "dist", "src", "selftest", "mutants", `${m.name}.js`)).href;
    const mod = (await import(url)) as {
      default: { description?: string };
    };
    descriptions.set(m.name, mod.default.description ?? "");
  }

  // one baseline run covers every scenario any selected mutant runs: the union of their paths, with
  // the subset's widest tag expression (each mutant's own tags only narrow it)
  const plans = mutants.map((m) => planFor(m, options.subset, root));
  const paths = [...new Set(plans.flatMap((p) => p.paths))];
  const allTags = [...new Set(plans.map((p) => p.tags))];
  const tags =
    allTags.length === 1 ? (allTags[0] ?? FULL_TAGS) : options.subset === "fast" ? "@smoke" : FULL_TAGS;
  const names = plans.every((p) => p.names) ? [...new Set(plans.flatMap((p) => p.names ?? []))] : undefined;
  log.info(`selftest: baseline: the builtin migrator on ${paths.map((p) => relative(root, p)).join(" ")}`);
  const baselineDir = join(reportDir, "baseline");
  const baseline = await runOnce(
    { label: "baseline", paths, tags, names, migrator: "builtin" },
    baselineDir,
    options,
    {},
  );
  if (!baseline.result || baseline.exitCode === 2) {
    const said = lastLines(await readFile(baseline.logFile, "utf8").catch(() => ""), 3);
    throw new StoreshiftError(
      `selftest: the baseline run could not run (exit ${baseline.exitCode}): ${said}; log ${baseline.logFile}`,
    );
  }
  const baselineScenarios = baseline.result.scenarios;
  const passedOnBuiltin = new Set(baselineScenarios.filter((s) => s.status === "passed").map(key));
  const baselineFailed = baselineScenarios
    .filter((s) => s.status === "failed")
    .map((s) => ({ feature: s.feature, name: s.name, message: failureMessage(s) }));
  if (passedOnBuiltin.size === 0)
    throw new StoreshiftError(
      `selftest: no scenario passed on the builtin migrator (${baselineScenarios.length} selected); nothing can catch a mutant`,
    );
  for (const f of baselineFailed)
    log.warn(`selftest: fails on the builtin migrator too, so it cannot count as a catch: ${key(f)}`);
  // stopping at the first failure is sound only when every failure is a catch
  const failFast = options.subset === "full" && !options.everyCatch && baselineFailed.length === 0;

  const outcomes: MutantOutcome[] = [];
  const report: SelftestReport = {
    subset: options.subset,
    failFast,
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
    reportDir,
    baseline: {
      scenarios: baselineScenarios.length,
      passed: passedOnBuiltin.size,
      failed: baselineFailed,
      notRun: baselineScenarios.filter((s) => s.status === "not-run").length,
      runDir: join(baselineDir, baseline.result.runId),
    },
    mutants: outcomes,
    caught: 0,
    total: mutants.length,
  };
  // written after every mutant, so a long run cut short still leaves what it measured
  const save = async () => {
    report.durationMs = Date.now() - started;
    report.caught = outcomes.filter((o) => o.status === "caught").length;
    await writeFile(join(reportDir, "selftest.json"), `${JSON.stringify(report, null, 2)}\n`);
  };
  for (const [n, m] of mutants.entries()) {
    if (n > 0) await save();
    const plan = planFor(m, options.subset, root);
    const module = join(root, "dist", "src", "selftest", "mutants", `${m.name}.js`);
    const runRoot = join(reportDir, "mutants", m.name);
    const appliedLog = join(runRoot, "applied.ndjson");
    log.info(`selftest: mutant ${n + 1}/${mutants.length} ${m.name}`);
    await mkdir(runRoot, { recursive: true });
    const run = await runOnce(
      { label: m.name, ...plan, migrator: `module=${module}`, failFast },
      runRoot,
      options,
      { [MUTANT_LOG_ENV]: appliedLog },
    );
    const applied = await countApplied(appliedLog);
    const base = {
      name: m.name,
      migration: m.migration,
      bugClass: m.bugClass,
      shouldBeCaughtBy: m.shouldBeCaughtBy,
      description: descriptions.get(m.name) ?? "",
      applied,
      durationMs: run.durationMs,
      runDir: run.result ? join(runRoot, run.result.runId) : runRoot,
    };
    if (!run.result || run.exitCode === 2 || run.exitCode < 0) {
      const said = lastLines(await readFile(run.logFile, "utf8").catch(() => ""), 2);
      outcomes.push({
        ...base,
        status: "error",
        caughtBy: [],
        scenarios: 0,
        error: `exit ${run.exitCode}: ${said}`,
      });
      continue;
    }
    const caughtBy = run.result.scenarios
      .filter((s) => s.status === "failed" && passedOnBuiltin.has(key(s)))
      .map((s) => ({ feature: s.feature, name: s.name, message: failureMessage(s) }));
    const status = caughtBy.length === 0 ? "survived" : applied > 0 ? "caught" : "unexercised";
    outcomes.push({ ...base, status, caughtBy, scenarios: run.result.scenarios.length });
  }

  report.total = outcomes.length;
  await save();
  return report;
}

/** The console summary: each mutant, what caught it (or what should), and the catch rate. */
export function formatSelftest(report: SelftestReport): string {
  const lines: string[] = [];
  const width = Math.max(...report.mutants.map((m) => m.name.length), 10);
  const b = report.baseline;
  lines.push(
    `baseline (builtin migrator): ${b.passed} of ${b.scenarios} scenarios passed` +
      (b.failed.length > 0 ? `, ${b.failed.length} failed (not counted as catches)` : "") +
      (b.notRun > 0 ? `, ${b.notRun} not run` : ""),
  );
  for (const m of report.mutants) {
    const head = `${m.status.toUpperCase().padEnd(11)} ${m.name.padEnd(width)}  ${m.bugClass}`;
    lines.push(head);
    if (m.status === "caught" || m.status === "unexercised") {
      for (const s of m.caughtBy)
        lines.push(`    caught by ${s.feature}: ${s.name}${s.message ? ` — ${s.message}` : ""}`);
      if (m.status === "unexercised") lines.push("    but the mutant never applied its break: not a catch");
    } else if (m.status === "survived") {
      lines.push(`    ${m.description}; break applied ${m.applied} time(s)`);
      lines.push(`    should be caught by: ${m.shouldBeCaughtBy}`);
    } else {
      lines.push(`    could not run: ${m.error ?? "unknown"}`);
    }
  }
  const pct = report.total === 0 ? 0 : Math.round((100 * report.caught) / report.total);
  if (report.failFast) lines.push("each mutant's run stopped at its first catch (--every-catch lists all)");
  lines.push(`reports: ${report.reportDir}`);
  lines.push(
    `selftest (${report.subset}): caught ${report.caught} of ${report.total} mutants (${pct}%) in ${Math.round(report.durationMs / 1000)} s`,
  );
  return `${lines.join("\n")}\n`;
}

export function selftestExitCode(report: SelftestReport, reportOnly: boolean): 0 | 1 | 2 {
  if (report.mutants.some((m) => m.status === "error")) return 2;
  if (reportOnly) return 0;
  return report.caught === report.total ? 0 : 1;
}

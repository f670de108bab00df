import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { cp, mkdir, readdir, readFile, rm, symlink } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { requireBinary } from "../binaries/install.js";
import type { Tool } from "../binaries/locate.js";
import { InputError, StoreshiftError } from "../common/errors.js";
import { log } from "../common/log.js";
import { type BackendRequest, chooseBackend } from "../providers/backend.js";
import { assertDisposable, useExistingCluster } from "../providers/existing/existing-cluster.js";
import { RESULT_SCHEMA_VERSION, type RunResult, type ScenarioResult } from "../report/result.js";
import { writeRunReports } from "./write-run-reports.js";

export type KeepPolicy = "never" | "on-failure" | "always";

export interface RunOptions {
  paths: string[];
  tags?: string;
  names?: string[];
  backend: BackendRequest;
  parallel: number;
  shard?: string;
  keep: KeepPolicy;
  migrator: string;
  reportDir: string;
  fixtureRoot?: string;
  runId?: string;
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

/** The package's own root (features/, fixtures/, dist/steps live there), wherever it is installed. */
export function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
}

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${randomBytes(2).toString("hex")}`;
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

async function readScenarioResults(runDir: string): Promise<ScenarioResult[]> {
  const dir = join(runDir, "scenarios");
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: ScenarioResult[] = [];
  for (const n of names.sort()) {
    const file = join(dir, n, "scenario.json");
    if (existsSync(file)) out.push(JSON.parse(await readFile(file, "utf8")) as ScenarioResult);
  }
  return out;
}

const STATUS_ORDER: Record<ScenarioResult["status"], number> = {
  failed: 0,
  "not-run": 1,
  skipped: 2,
  passed: 3,
};

/** Reports list what needs a person first: failures, then what did not run, then the rest. */
export function failuresFirst(a: ScenarioResult, b: ScenarioResult): number {
  return (
    STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
    a.feature.localeCompare(b.feature) ||
    a.id.localeCompare(b.id)
  );
}

export function totals(scenarios: ScenarioResult[]): RunResult["totals"] {
  return {
    passed: scenarios.filter((s) => s.status === "passed").length,
    failed: scenarios.filter((s) => s.status === "failed").length,
    skipped: scenarios.filter((s) => s.status === "skipped").length,
    notRun: scenarios.filter((s) => s.status === "not-run").length,
  };
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

/** Where a scenario's feature file was saved in a run's inputs. */
export function savedFeaturePath(runDir: string, featureUri: string): string {
  const rel = relative(process.cwd(), resolve(featureUri));
  return rel.startsWith("..")
    ? join(runDir, "inputs", "external", rel.replace(/^(\.\.\/)+/, ""))
    : join(runDir, "inputs", rel);
}

/** Binaries the local backend needs, installed up front so no scenario pays for a build. */
const LOCAL_TOOLS: Tool[] = ["etcd-v2", "etcdctl-v2", "etcd", "etcdctl", "kube-apiserver"];

/** Runs feature files through cucumber's JavaScript API and writes every report. */
export async function runSuites(o: RunOptions): Promise<RunOutcome> {
  const root = packageRoot();
  const paths = o.paths.length > 0 ? o.paths : [join(root, "features")];
  for (const p of paths) {
    const file = p.replace(/:\d+(:\d+)*$/, "");
    if (!existsSync(file)) throw new InputError(`run: ${p}: no such feature file or directory`);
  }
  const stepsEntry = join(root, "dist", "steps", "index.js");
  if (!existsSync(stepsEntry))
    throw new StoreshiftError(`run: ${stepsEntry} is missing; run \`npm run build\``);

  const backend = await chooseBackend(o.backend);
  if (backend.name === "existing") {
    // before any binary, report dir or scenario: scenarios delete Calico's CRDs and Nodes there
    await assertDisposable(
      useExistingCluster({ context: process.env.STORESHIFT_KUBE_CONTEXT }),
      o.disposable === true,
    );
  }
  const versions: Record<string, string> = {
    storeshift: process.env.npm_package_version ?? "0.1.0",
    node: process.version,
  };
  for (const tool of LOCAL_TOOLS) versions[tool] = (await requireBinary(tool)).version;

  const runId = o.runId ?? newRunId();
  const runDir = resolve(o.reportDir, runId);
  await mkdir(runDir, { recursive: true });
  const startedAt = new Date().toISOString();
  const fixtureRoot = o.fixtureRoot ?? join(root, "fixtures");
  await saveInputs(paths, fixtureRoot, runDir);
  log.info(
    `run ${runId}: backend ${backend.name} (${backend.reason}); reports in ${relative(process.cwd(), runDir) || "."}`,
  );

  const { loadConfiguration, runCucumber } = await import("@cucumber/cucumber/api");
  const { runConfiguration } = await loadConfiguration({
    file: false,
    provided: {
      paths,
      import: [stepsEntry],
      tags: o.tags ?? "",
      name: o.names ?? [],
      parallel: o.parallel > 1 ? o.parallel : 0,
      shard: o.shard ?? "",
      failFast: o.failFast ?? false,
      format: [
        "summary",
        ["html", join(runDir, "cucumber.html")],
        ["message", join(runDir, "cucumber-messages.ndjson")],
      ],
      worldParameters: {
        runDir,
        backend: backend.name,
        backendReason: backend.reason,
        keep: o.keep,
        migrator: o.migrator,
        fixtureRoot,
      },
    },
  });
  let success: boolean;
  try {
    ({ success } = await runCucumber(runConfiguration, { cwd: process.cwd() }));
  } catch (err) {
    throw new StoreshiftError(`run: cucumber could not start: ${(err as Error).message}`, { cause: err });
  }
  const scenarios = (await readScenarioResults(runDir)).sort(failuresFirst);
  const result: RunResult = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    runId,
    startedAt,
    finishedAt: new Date().toISOString(),
    backend,
    versions,
    scenarios,
    totals: totals(scenarios),
  };
  await writeRunReports(result, runDir);
  const latest = join(dirname(runDir), "latest");
  await rm(latest, { force: true });
  await symlink(runId, latest).catch(() => undefined);
  if (scenarios.length === 0 && success && !o.allowNotRun) {
    // a CI job whose filter selects nothing has tested nothing: that is not a pass
    throw new InputError(
      `run: no scenario matched ${paths.join(" ")}${o.tags ? ` with --tags "${o.tags}"` : ""}${o.names?.length ? ` and --name ${o.names.join(" ")}` : ""} (--allow-not-run accepts that)`,
    );
  }
  const failed = !success || result.totals.failed > 0;
  if (failed) return { exitCode: 1, runDir, result };
  const why = nothingRan(scenarios);
  if (why && !o.allowNotRun) return { exitCode: 2, runDir, result, nothingRan: why };
  return { exitCode: 0, runDir, result };
}

/**
 * Why a run without failures still proved nothing: no scenario passed, so every selected one was not
 * run (or skipped). Undefined when at least one scenario passed.
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

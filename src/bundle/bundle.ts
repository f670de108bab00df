import { existsSync } from "node:fs";
import { cp, mkdir, readdir, readFile, realpath, stat, writeFile } from "node:fs/promises";
import { basename, extname, join, relative, resolve } from "node:path";
import { execa } from "execa";
import { anonymizeFile } from "../anonymize/index.js";
import { writeDirAtomic, writeFileAtomicVia } from "../common/atomic-write.js";
import { InputError, StoreshiftError } from "../common/errors.js";
import { makeTempDir, removeDir } from "../common/temp.js";
import type { RunResult } from "../report/result.js";

/**
 * A bug bundle: one .tgz holding what a run needs to be replayed on another machine (the saved
 * features and fixtures, the user's data the features seed from, optionally anonymised), what it
 * found (the reports), the versions it ran with and the command that started it.
 *
 * Layout: bundle.json, run/ (the run dir: result.json, reports, scenarios/, inputs/), and the user's
 * data under run/inputs/fixtures/byo-data/, where a replay's fixture root finds it.
 */
export const BUNDLE_FORMAT = "storeshift/bug-bundle/v1";
export const DATA_DIR = "byo-data";

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  createdAt: string;
  runId: string;
  versions: Record<string, string>;
  /** The command that produced the run, when it recorded one (verify does). */
  command?: string;
  /** How to reproduce it from the bundle. */
  replay: string;
  anonymized: boolean;
  data: { original: string; inBundle: string; kind: "file" | "dir" }[];
}

/** The data steps of the bring-your-own library: the quoted path they seed from. */
const DATA_STEP =
  /(the etcd snapshot|the etcd data directory|the etcd v2 dump|the Calico export) "((?:[^"\\]|\\.)*)"/g;
const LIVE_STEP = /the (?:v2 keys of the )?live etcd "((?:[^"\\]|\\.)*)"/;

const unquoteStep = (s: string) => s.replace(/\\(.)/g, "$1");
const quoteStep = (s: string) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');

async function featureFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await featureFiles(p)));
    else if (e.name.endsWith(".feature")) out.push(p);
  }
  return out;
}

/** Where a step's path pointed when the run ran: under its fixture root, else from its working dir. */
function originalPath(path: string, fixtureRoot: string): string {
  const under = join(fixtureRoot, path);
  return existsSync(under) ? under : resolve(path);
}

export interface BundleOptions {
  runDir: string;
  out: string;
  /** Rewrite the data (and leave out reports and artifacts, which name the original). */
  anonymizeKey?: string;
}

export async function createBundle(o: BundleOptions): Promise<BundleManifest> {
  // reports/latest is a symlink: bundle the run it points at
  const runDir = await realpath(resolve(o.runDir)).catch(() => {
    throw new InputError(`bundle: ${o.runDir}: no such run dir`);
  });
  const resultFile = join(runDir, "result.json");
  if (!existsSync(resultFile))
    throw new InputError(`bundle: ${runDir}: no result.json; give a run's report dir`);
  let result: RunResult;
  try {
    result = JSON.parse(await readFile(resultFile, "utf8")) as RunResult;
  } catch (err) {
    throw new InputError(`bundle: ${resultFile}: not valid JSON (${(err as Error).message})`);
  }
  const out = resolve(o.out);
  if (existsSync(out)) throw new InputError(`bundle: -o ${o.out} exists; remove it or choose another path`);
  const features = await featureFiles(join(runDir, "inputs"));
  if (features.length === 0) throw new InputError(`bundle: ${runDir}: the run saved no features in inputs/`);
  for (const f of features) {
    const live = LIVE_STEP.exec(await readFile(f, "utf8"));
    if (live)
      throw new InputError(
        `bundle: ${relative(runDir, f)} copies the live etcd ${unquoteStep(live[1] ?? "")}, which cannot travel; ` +
          "save a snapshot of it (`etcdctl snapshot save`), verify from that, and bundle that run",
      );
  }

  const staging = await makeTempDir("bundle");
  try {
    const run = join(staging, "run");
    if (o.anonymizeKey) {
      // reports, logs and artifacts name the original data: only what reproduces the run travels
      await cp(join(runDir, "inputs"), join(run, "inputs"), { recursive: true });
      await writeFile(join(run, "result.json"), JSON.stringify(verdictsOnly(result), null, 2));
    } else {
      await cp(runDir, run, {
        recursive: true,
        filter: (src) => !src.startsWith(join(runDir, "replays")),
      });
    }
    const fixtureRoot = join(run, "inputs", "fixtures");
    // only what placeData puts there: a data dir a run saved by other means must not travel unrewritten
    await removeDir(join(fixtureRoot, DATA_DIR));
    const data: BundleManifest["data"] = [];
    const placed = new Map<string, string>();
    for (const f of await featureFiles(join(run, "inputs"))) {
      const text = await readFile(f, "utf8");
      let rewritten = text;
      for (const m of text.matchAll(DATA_STEP)) {
        const original = originalPath(unquoteStep(m[2] ?? ""), join(runDir, "inputs", "fixtures"));
        let inBundle = placed.get(original);
        if (!inBundle) {
          inBundle = await placeData(original, fixtureRoot, placed.size, o.anonymizeKey);
          placed.set(original, inBundle);
          const isDir = (await stat(join(fixtureRoot, inBundle))).isDirectory();
          data.push({
            original: o.anonymizeKey ? "(anonymised)" : original,
            inBundle,
            kind: isDir ? "dir" : "file",
          });
        }
        rewritten = rewritten.replace(m[0], `${m[1]} "${quoteStep(inBundle)}"`);
      }
      if (o.anonymizeKey) rewritten = rewritten.replace(/^(Feature: .*--from ).*$/m, "$1(anonymised data)");
      if (rewritten !== text) await writeFile(f, rewritten);
    }
    const commandFile = join(runDir, "command.txt");
    const manifest: BundleManifest = {
      format: BUNDLE_FORMAT,
      createdAt: new Date().toISOString(),
      runId: result.runId,
      versions: result.versions,
      command:
        existsSync(commandFile) && !o.anonymizeKey ? (await readFile(commandFile, "utf8")).trim() : undefined,
      replay: `storeshift replay ${basename(out)}`,
      anonymized: Boolean(o.anonymizeKey),
      data,
    };
    await writeFile(join(staging, "bundle.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    // tar writes the archive itself (streamed, never in memory here); it appears under `out` whole
    await writeFileAtomicVia(out, async (tmp) => {
      const tar = await execa("tar", ["-czf", tmp, "-C", staging, "bundle.json", "run"], { reject: false });
      if (tar.exitCode !== 0)
        throw new StoreshiftError(`bundle: tar -czf ${out}: ${`${tar.stderr}`.trim().split("\n").pop()}`);
    });
    return manifest;
  } finally {
    await removeDir(staging);
  }
}

/** Copies (or anonymises) one data source into the bundle's fixture root; returns its path there. */
async function placeData(
  original: string,
  fixtureRoot: string,
  index: number,
  key?: string,
): Promise<string> {
  const s = await stat(original).catch(() => {
    throw new InputError(`bundle: the run's data ${original} is gone; it cannot be bundled`);
  });
  const name = key ? `data-${index}${s.isDirectory() ? "" : extname(original)}` : basename(original);
  const inBundle = `${DATA_DIR}/${index}-${name}`;
  const target = join(fixtureRoot, inBundle);
  await mkdir(join(fixtureRoot, DATA_DIR), { recursive: true });
  if (key) {
    if (s.isDirectory())
      throw new InputError(
        `bundle --anonymize: ${original} is a data directory, which cannot be anonymised; verify from a snapshot or v2 dump of it`,
      );
    await anonymizeFile(original, target, key);
  } else {
    await cp(original, target, { recursive: true });
  }
  return inBundle;
}

/**
 * result.json without anything that names data: statuses, so replay knows what failed. Each
 * scenario's fields are listed, not copied wholesale, so a field added to the result later (step
 * texts, upstream verdict details) stays out of an anonymised bundle until someone decides it is safe.
 */
function verdictsOnly(result: RunResult): RunResult {
  return {
    ...result,
    scenarios: result.scenarios.map((s) => ({
      id: s.id,
      name: s.name,
      feature: s.feature,
      tags: s.tags,
      status: s.status,
      durationMs: s.durationMs,
      reason: s.reason === undefined ? undefined : "(left out of an anonymised bundle)",
      phases: [],
      checks: [],
      artifacts: [],
      ...(s.seeds ? { seeds: s.seeds } : {}),
    })),
  };
}

/** Unpacks a bundle next to it (`bug.tgz` → `bug.replay/`) and returns the run dir inside. */
export async function extractBundle(file: string): Promise<{ runDir: string; manifest: BundleManifest }> {
  const path = resolve(file);
  if (!existsSync(path)) throw new InputError(`replay: ${file}: no such file`);
  const into = path.replace(/(\.tar\.gz|\.tgz)$/, "") + ".replay";
  if (!existsSync(into)) {
    try {
      await writeDirAtomic(into, async (tmp) => {
        const tar = await execa("tar", ["-xzf", path, "-C", tmp], { reject: false });
        if (tar.exitCode !== 0)
          throw new InputError(
            `replay: ${file}: not a storeshift bundle (tar: ${`${tar.stderr}`.trim().split("\n").pop()})`,
          );
      });
    } catch (err) {
      // another replay of the same bundle unpacked it first: theirs is whole, use it
      const code = (err as NodeJS.ErrnoException).code;
      if (!((code === "ENOTEMPTY" || code === "EEXIST") && existsSync(into))) throw err;
    }
  }
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(await readFile(join(into, "bundle.json"), "utf8")) as BundleManifest;
  } catch {
    throw new InputError(`replay: ${file}: not a storeshift bundle (no bundle.json)`);
  }
  if (manifest.format !== BUNDLE_FORMAT)
    throw new InputError(
      `replay: ${file}: bundle format ${String(manifest.format)}, expected ${BUNDLE_FORMAT}`,
    );
  return { runDir: join(into, "run"), manifest };
}

import { readdir, realpath } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { cacheRoot } from "../../binaries/cache.js";
import { isExecutable } from "../../binaries/locate.js";
import { envVar } from "../../common/environment.js";
import { Calicoctl } from "./adapter.js";

/**
 * Every calicoctl this machine offers: the paths STORESHIFT_CALICOCTL lists (colon-separated, like
 * PATH; one path as before), then each `calicoctl-<version>/calicoctl` build in storeshift's cache.
 * The version matrix runs the Calico migration once per calicoctl found.
 */

export interface CalicoctlCandidate {
  path: string;
  /** "STORESHIFT_CALICOCTL" or "cache". */
  source: string;
}

export interface FoundCalicoctl extends CalicoctlCandidate {
  /** What `calicoctl version` printed as its client version. */
  version: string;
}

export interface CalicoctlSearch {
  found: FoundCalicoctl[];
  /** Candidates that could not be used, each with why (not executable, no version printed, a duplicate). */
  rejected: string[];
}

/** STORESHIFT_CALICOCTL's paths in order: split like PATH, blanks dropped, repeats dropped. */
export function parseCalicoctlList(value: string | undefined): string[] {
  const paths = (value ?? "")
    .split(delimiter)
    .map((p) => p.trim())
    .filter((p) => p !== "");
  return [...new Set(paths)];
}

/** Numeric parts of a dotted version, for sorting ("3.32.1" → [3, 32, 1]); non-numbers sort as 0. */
function versionParts(version: string): number[] {
  return version.split(".").map((p) => Number.parseInt(p, 10) || 0);
}

/** Newest first, by numeric parts; names that are not versions sort last, by name. */
export function compareVersionsDescending(a: string, b: string): number {
  const pa = versionParts(a);
  const pb = versionParts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pb[i] ?? 0) - (pa[i] ?? 0);
    if (d !== 0) return d;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The candidates in the order rows take them: the variable's paths as listed, then cached builds newest first. */
export function calicoctlCandidates(
  envValue: string | undefined,
  cacheDirNames: string[],
  root: string,
): CalicoctlCandidate[] {
  const fromEnv = parseCalicoctlList(envValue).map((path) => ({ path, source: "STORESHIFT_CALICOCTL" }));
  const cached = cacheDirNames
    .map((name) => /^calicoctl-(.+)$/.exec(name)?.[1])
    .filter((v): v is string => v !== undefined)
    .sort(compareVersionsDescending)
    .map((version) => ({ path: join(root, "bin", `calicoctl-${version}`, "calicoctl"), source: "cache" }));
  return [...fromEnv, ...cached];
}

/** Every usable calicoctl, each once (by real path), with the version it reports. */
export async function findCalicoctls(): Promise<CalicoctlSearch> {
  const root = cacheRoot();
  let names: string[] = [];
  try {
    names = await readdir(join(root, "bin"));
  } catch {
    // no cache yet: only the variable's paths
  }
  const found: FoundCalicoctl[] = [];
  const rejected: string[] = [];
  const seen = new Map<string, string>();
  for (const c of calicoctlCandidates(envVar("STORESHIFT_CALICOCTL"), names, root)) {
    if (!(await isExecutable(c.path))) {
      // a cache dir without its binary is a build that never finished: not worth a line
      if (c.source !== "cache") rejected.push(`${c.source}: ${c.path} is not an executable file`);
      continue;
    }
    const real = await realpath(c.path);
    const first = seen.get(real);
    if (first) {
      rejected.push(`${c.source}: ${c.path} is ${first} again`);
      continue;
    }
    seen.set(real, c.path);
    const version = await new Calicoctl(c.path).version();
    if (!version) {
      rejected.push(`${c.source}: ${c.path} printed no client version for \`calicoctl version\``);
      continue;
    }
    found.push({ ...c, version });
  }
  return { found, rejected };
}

/** Why there is no calicoctl at all, with where storeshift looked. */
export function noCalicoctlReason(search: CalicoctlSearch): string {
  const looked = `STORESHIFT_CALICOCTL is ${envVar("STORESHIFT_CALICOCTL") ? "set" : "unset"}, and ${join(cacheRoot(), "bin")} has no calicoctl-<version>/calicoctl`;
  const why = search.rejected.length > 0 ? `; rejected: ${search.rejected.join("; ")}` : "";
  return `no calicoctl found (${looked})${why}; run \`storeshift calico install-calicoctl\` or list paths in STORESHIFT_CALICOCTL`;
}

import { existsSync } from "node:fs";
import { resolve } from "node:path";

/**
 * Calico's real CRD manifests are not part of this repository: a test that needs them reads
 * STORESHIFT_CALICO_CRDS (`.ci/run` sets it from ../shared/calico-crds). Unset, such a test is not
 * run and says why (node:test lists it as skipped with this reason, never as passed); set to a
 * directory that is not there, it fails, since that is a broken setup rather than a missing input.
 */
export function realCalicoCrds(): { dir: string; skip: false } | { dir: ""; skip: string } {
  const dir = process.env.STORESHIFT_CALICO_CRDS;
  if (!dir) return { dir: "", skip: "not run: needs Calico's real CRDs; STORESHIFT_CALICO_CRDS is not set" };
  const abs = resolve(dir);
  if (!existsSync(abs)) throw new Error(`test setup: STORESHIFT_CALICO_CRDS=${dir}: no such directory`);
  return { dir: abs, skip: false };
}

import { createHash } from "node:crypto";
import { emptyDiffConfig } from "../../src/diff/config.js";
import { diffSnapshots } from "../../src/diff/engine.js";
import { diffCheck } from "../../src/report/from-diff.js";
import type { Check } from "../../src/report/result.js";
import { loadSnapshot } from "../../src/snapshot/file.js";

/**
 * Undisturbed references, computed once per fixture and worker. A fault scenario's reference is the
 * target an undisturbed migration of its fixture reaches; that target is deterministic (same fixture,
 * same CRDs, same control plane: the same Calico objects once the diff's default rules have set aside
 * what the API server assigns — uids, resourceVersions, creation timestamps, generations), so a worker
 * computes it for the first scenario of each fixture and later scenarios reuse the snapshot file.
 *
 * STORESHIFT_UNDISTURBED_REFERENCE chooses:
 *   cache      (default) the first scenario computes; the second computes again and must equal it
 *              (a recorded check); every later one reuses it
 *   recompute  every scenario computes its own and compares it with the first (the debug mode)
 *   off        every scenario computes its own and nothing is compared (storeshift before the cache)
 */
export type ReferencePolicy = "cache" | "recompute" | "off";

export function referencePolicy(env = process.env.STORESHIFT_UNDISTURBED_REFERENCE): ReferencePolicy {
  const value = env ?? "cache";
  if (value === "cache" || value === "recompute" || value === "off") return value;
  throw new Error(`STORESHIFT_UNDISTURBED_REFERENCE=${value}: expected cache, recompute or off`);
}

export interface CachedReference {
  /** The snapshot file (under the computing scenario's artifacts, kept for the whole run). */
  file: string;
  /** The scenario that computed it, named in the reusing scenarios' reports. */
  computedBy: string;
  /** A second computation equalled it. */
  verified: boolean;
}

/** What decides the reference: everything the undisturbed migration reads. */
export interface ReferenceInputs {
  /** The seeded fixture as loaded (generated fixtures included, so a seed is part of it). */
  fixture: unknown;
  /** CRD manifests the import installs, or undefined for storeshift's generated ones. */
  crds: unknown;
  migrator: string;
  backend: string;
  /** Which etcd line serves the source. */
  sourceEtcd: string;
}

export function referenceKey(inputs: ReferenceInputs): string {
  return createHash("sha256").update(JSON.stringify(inputs)).digest("hex");
}

const references = new Map<string, CachedReference>();

/** The worker's reference for these inputs, if one was computed. */
export function cachedReference(key: string): CachedReference | undefined {
  return references.get(key);
}

export function rememberReference(key: string, reference: CachedReference): void {
  references.set(key, reference);
}

/**
 * Compares two computations of one reference with the diff the fault scenarios' final check uses
 * (identity mapping, default ignore rules): an empty diff is what "deterministic" means here.
 */
export async function compareReferences(name: string, first: string, again: string): Promise<Check> {
  const diff = await diffSnapshots(await loadSnapshot(first), await loadSnapshot(again), {
    config: emptyDiffConfig(),
  });
  return diffCheck(name, diff);
}

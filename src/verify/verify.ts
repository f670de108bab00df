import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { makeTempDir, removeDir } from "../common/temp.js";
import type { BackendRequest } from "../providers/backend.js";
import { type KeepPolicy, type RunOutcome, runSuites } from "../runner/run-suites.js";
import { checkSource, identifySourceFor, type SourcePurpose, type SourceSpec } from "../sources/index.js";
import { guideFeature } from "./guide.js";

export interface VerifyFromOptions {
  purpose: SourcePurpose;
  /** A file, dir or endpoint URL, as the user typed it. */
  from: string;
  reportDir: string;
  keep: KeepPolicy;
  backend: BackendRequest;
}

/**
 * Identifies and checks the source in full first (reads only), so bad input ends the command
 * before a report dir or a store exists; then runs the migration's guide on copies of it.
 */
export async function preflight(purpose: SourcePurpose, from: string): Promise<SourceSpec> {
  const location = /^https?:\/\//.test(from) ? from : resolve(from);
  const spec = await identifySourceFor(location, purpose);
  await checkSource(spec);
  return { ...spec, location: spec.kind === "etcd-endpoint" ? spec.location : location };
}

export async function verifyFrom(o: VerifyFromOptions): Promise<RunOutcome & { spec: SourceSpec }> {
  const spec = await preflight(o.purpose, o.from);
  const scratch = await makeTempDir("verify-guide");
  try {
    const feature = join(scratch, `verify-${o.purpose}.feature`);
    await writeFile(feature, guideFeature(o.purpose, spec));
    const outcome = await runSuites({
      paths: [feature],
      backend: o.backend,
      parallel: 1,
      keep: o.keep,
      migrator: "builtin",
      reportDir: o.reportDir,
    });
    return { ...outcome, spec };
  } finally {
    await removeDir(scratch);
  }
}

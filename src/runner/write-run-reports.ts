import type { RunResult } from "../report/result.js";
import { writeReports } from "../report/write.js";

/** Every report of a run: result.json, junit.xml, report.html and summary.md, redacted. */
export async function writeRunReports(result: RunResult, runDir: string): Promise<string[]> {
  const written = await writeReports(result, runDir);
  return Object.values(written).filter((p): p is string => p !== undefined);
}

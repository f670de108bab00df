import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RunResult } from "../report/result.js";

/** result.json now; the HTML, JUnit and Markdown renderers plug in here. */
export async function writeRunReports(result: RunResult, runDir: string): Promise<string[]> {
  const file = join(runDir, "result.json");
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  return [file];
}

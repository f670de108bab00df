import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);
const cli = new URL("../../bin/storeshift.js", import.meta.url).pathname;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built storeshift CLI as a user would, quietly, never in steps-docs-only mode. `env`
 * adds variables; a variable set to undefined is removed from the child's environment.
 */
export async function storeshiftCli(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<CliResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, STORESHIFT_QUIET: "1", ...env };
  delete childEnv.STORESHIFT_STEPS_DOCS_ONLY;
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], {
      env: childEnv,
      maxBuffer: 1 << 24,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

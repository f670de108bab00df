import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const ENTRY =
  'import { main } from "./src/cli/main.ts"; process.exitCode = await main(process.argv.slice(1));';

/**
 * Runs the CLI from source in a child process: `main()` stops every registered store when it ends, so
 * running it in the test's own process would stop the test's stores too.
 */
export function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", ENTRY, ...args],
      { cwd: root, env: { ...process.env, STORESHIFT_QUIET: "1" }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 2) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

import { readFileSync } from "node:fs";
import { stopAll } from "../common/cleanup.js";
import { errorMessage, firstLine, StoreshiftError } from "../common/errors.js";
import type { Command } from "./command.js";
import { calicoCommand } from "./commands/calico.js";
import { diffCommand } from "./commands/diff.js";
import { doctorCommand } from "./commands/doctor.js";
import { downCommand } from "./commands/down.js";
import { etcdCommand } from "./commands/etcd.js";
import { installCommand } from "./commands/install.js";
import { replayCommand } from "./commands/replay.js";
import { reportCommand } from "./commands/report.js";
import { runCommand } from "./commands/run.js";
import { snapshotCommand } from "./commands/snapshot.js";
import { statusCommand } from "./commands/status.js";
import { upCommand } from "./commands/up.js";

export const commands: Command[] = [
  runCommand,
  replayCommand,
  snapshotCommand,
  diffCommand,
  reportCommand,
  etcdCommand,
  calicoCommand,
  installCommand,
  doctorCommand,
  upCommand,
  downCommand,
  statusCommand,
];

function packageVersion(): string {
  const url = new URL("../../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
}

export function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `storeshift — prove datastore migrations safe on real stores before they touch a live cluster

Usage: storeshift <command> [flags]

Commands:
${lines.join("\n")}

Run \`storeshift <command> --help\` for a command's flags.
Exit codes: 0 success, 1 a check or scenario failed, 2 bad input or the work could not start.
`;
}

/** Runs the CLI and returns the exit code. Errors become one line on stderr, never a stack trace. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v") {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`storeshift: unknown command "${name}"; run \`storeshift --help\`\n`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    const code = err instanceof StoreshiftError ? err.exitCode : 2;
    const prefix = err instanceof StoreshiftError ? "" : `${name}: `;
    process.stderr.write(`storeshift: ${prefix}${firstLine(errorMessage(err))}\n`);
    if (process.env.STORESHIFT_DEBUG === "1" && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return code;
  } finally {
    await stopAll();
  }
}

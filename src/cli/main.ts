import { readFileSync } from "node:fs";
import { stopAll } from "../common/cleanup.js";
import { errorMessage, firstLine, StoreshiftError } from "../common/errors.js";
import type { Command } from "./command.js";

/**
 * Commands load on demand: `storeshift --help` or `storeshift doctor` should not pay for the
 * Kubernetes client, cucumber and testcontainers that other commands pull in.
 */
interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

export const commands: CommandEntry[] = [
  {
    name: "run",
    summary: "run feature suites on real stores and write reports (JSON, JUnit, HTML, Markdown)",
    load: async () => (await import("./commands/run.js")).runCommand,
  },
  {
    name: "selftest",
    summary: "run the suite against deliberately broken migrators and print the catch rate",
    load: async () => (await import("./commands/selftest.js")).selftestCommand,
  },
  {
    name: "replay",
    summary:
      "re-run a failed scenario from a report dir's saved features and fixtures, stores kept on failure",
    load: async () => (await import("./commands/replay.js")).replayCommand,
  },
  {
    name: "verify",
    summary:
      "run a migration's whole guide on copies of your own data (snapshot, data dir, dump, export, URL)",
    load: async () => (await import("./commands/verify.js")).verifyCommand,
  },
  {
    name: "anonymize",
    summary: "rewrite names, IPs and CIDRs of a dump, export or snapshot consistently, so it can be shared",
    load: async () => (await import("./commands/anonymize.js")).anonymizeCommand,
  },
  {
    name: "snapshot",
    summary: "save a store (etcd, etcd v2, Calico, /registry/) as a sorted NDJSON snapshot",
    load: async () => (await import("./commands/snapshot.js")).snapshotCommand,
  },
  {
    name: "diff",
    summary: "compare two stores or snapshots, through a mapping, and explain every difference",
    load: async () => (await import("./commands/diff.js")).diffCommand,
  },
  {
    name: "report",
    summary: "render a result.json as report.html, junit.xml and summary.md",
    load: async () => (await import("./commands/report.js")).reportCommand,
  },
  {
    name: "etcd",
    summary: "etcd v2store → v3store: migrate (offline with etcdctl 3.4, or online), verify, roll back",
    load: async () => (await import("./commands/etcd.js")).etcdCommand,
  },
  {
    name: "calico",
    summary: "Calico etcdv3 → Kubernetes datastore migration: lock, export, import, unlock, rollback",
    load: async () => (await import("./commands/calico.js")).calicoCommand,
  },
  {
    name: "install",
    summary: "find or build every binary the local backend needs (cached outside the repo)",
    load: async () => (await import("./commands/install.js")).installCommand,
  },
  {
    name: "doctor",
    summary: "print which backends, binaries and versions are available, and why not",
    load: async () => (await import("./commands/doctor.js")).doctorCommand,
  },
  {
    name: "up",
    summary: "start local stores and keep them running until Ctrl-C or `storeshift down`",
    load: async () => (await import("./commands/up.js")).upCommand,
  },
  {
    name: "down",
    summary: "stop the stores a `storeshift up` session keeps running",
    load: async () => (await import("./commands/down.js")).downCommand,
  },
  {
    name: "status",
    summary: "list `storeshift up` sessions and whether their stores still run",
    load: async () => (await import("./commands/status.js")).statusCommand,
  },
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
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`storeshift: unknown command "${name}"; run \`storeshift --help\`\n`);
    return 2;
  }
  const command = await entry.load();
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

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { envVar } from "../../common/environment.js";
import { StoreshiftError } from "../../common/errors.js";

/**
 * Runs a real calicoctl against the same stores storeshift uses, configured the way users configure
 * it: DATASTORE_TYPE plus ETCD_ENDPOINTS or KUBECONFIG in the environment.
 */
export type CalicoDatastore =
  | { type: "etcdv3"; endpoints: string[] }
  | { type: "kubernetes"; kubeconfigPath: string };

export interface CalicoctlRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export function calicoctlEnv(datastore: CalicoDatastore): Record<string, string> {
  return datastore.type === "etcdv3"
    ? { DATASTORE_TYPE: "etcdv3", ETCD_ENDPOINTS: datastore.endpoints.join(",") }
    : { DATASTORE_TYPE: "kubernetes", KUBECONFIG: datastore.kubeconfigPath };
}

/** calicoctl exited non-zero; keeps what it had printed (a failed export has printed part of its file). */
export class CalicoctlExitError extends StoreshiftError {
  constructor(
    message: string,
    readonly stdout: string,
  ) {
    super(message, { exitCode: 1 });
    this.name = "CalicoctlExitError";
  }
}

export class Calicoctl {
  constructor(
    readonly path: string,
    /** Kills a running calicoctl when it aborts (a cancelled migration, common/attempt.ts). */
    readonly signal?: AbortSignal,
  ) {}

  async run(datastore: CalicoDatastore, args: string[], input?: string): Promise<CalicoctlRun> {
    const env = calicoctlEnv(datastore);
    // never let a calicoctl.cfg or an inherited variable pick another datastore
    const res = await execa(this.path, args, {
      env: { PATH: envVar("PATH") ?? "", HOME: envVar("HOME") ?? "/tmp", ...env },
      extendEnv: false,
      reject: false,
      input,
      stripFinalNewline: false,
      timeout: 300_000,
      cancelSignal: this.signal,
    });
    return { exitCode: res.exitCode ?? -1, stdout: String(res.stdout), stderr: String(res.stderr) };
  }

  private async must(datastore: CalicoDatastore, args: string[], input?: string): Promise<CalicoctlRun> {
    const res = await this.run(datastore, args, input);
    if (res.exitCode !== 0)
      throw new CalicoctlExitError(
        `calicoctl ${args.join(" ")} (${datastore.type}): exit ${res.exitCode}: ${lastLine(res.stderr || res.stdout)}`,
        res.stdout,
      );
    return res;
  }

  lock(datastore: CalicoDatastore): Promise<CalicoctlRun> {
    return this.must(datastore, ["datastore", "migrate", "lock"]);
  }
  unlock(datastore: CalicoDatastore): Promise<CalicoctlRun> {
    return this.must(datastore, ["datastore", "migrate", "unlock"]);
  }
  async export(datastore: CalicoDatastore): Promise<string> {
    return (await this.must(datastore, ["datastore", "migrate", "export"])).stdout;
  }
  /**
   * Import through a private temp file: calicoctl opens /dev/stdin for `-f -`, which fails on the
   * socket pair a child process gets as stdin.
   */
  async import(datastore: CalicoDatastore, text: string, configFile?: string): Promise<CalicoctlRun> {
    const dir = await mkdtemp(join(tmpdir(), "storeshift-calicoctl-"));
    try {
      const file = join(dir, "etcd-data");
      await writeFile(file, text, { mode: 0o600 });
      const args = ["datastore", "migrate", "import", "-f", file];
      if (configFile !== undefined) {
        const cfg = join(dir, "calicoctl.cfg");
        await writeFile(cfg, configFile, { mode: 0o600 });
        args.push("--config", cfg);
      }
      return await this.run(datastore, args);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The client version calicoctl was built with ("3.32.1"), or undefined if it does not say. */
  async version(): Promise<string | undefined> {
    // no cluster to ask: the client version is printed before the cluster lookup fails
    const res = await this.run({ type: "kubernetes", kubeconfigPath: "/nonexistent/kubeconfig" }, [
      "version",
    ]);
    return /Client Version:\s*v?(\S+)/.exec(res.stdout)?.[1];
  }
}

function lastLine(text: string): string {
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !/^[IW]\d{4} /.test(l));
  return lines[lines.length - 1] ?? "";
}

/** A calicoctl config file (`--config`) that points calicoctl at an etcdv3 datastore. */
export function etcdConfigFile(endpoints: string[]): string {
  return [
    "apiVersion: projectcalico.org/v3",
    "kind: CalicoAPIConfig",
    "metadata: {}",
    "spec:",
    "  datastoreType: etcdv3",
    `  etcdEndpoints: ${endpoints.join(",")}`,
    "",
  ].join("\n");
}

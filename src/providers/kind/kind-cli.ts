import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { execa } from "execa";
import { cachedKind } from "../../binaries/kind.js";
import { registerCleanup } from "../../common/cleanup.js";
import { envVar } from "../../common/environment.js";
import { StoreshiftError } from "../../common/errors.js";
import { log } from "../../common/log.js";
import { tempRoot } from "../../common/temp.js";

/** Maps kind's own failure text to one line a person can act on. */
export function explainKindFailure(operation: string, stderr: string, timedOut: boolean): string {
  if (timedOut)
    return `${operation}: kind did not finish in time; the cluster may be half-created (run \`kind delete cluster\`)`;
  if (
    /Cannot connect to the Docker daemon|failed to detect any supported node provider|Is the docker daemon running/i.test(
      stderr,
    )
  ) {
    return `${operation}: no Docker engine answers (kind needs Docker or podman); use --backend local`;
  }
  const exists = /node\(s\) already exist for a cluster with the name "([^"]+)"/.exec(stderr);
  if (exists)
    return `${operation}: a kind cluster named "${exists[1]}" already exists; reuse it or delete it first`;
  if (/executable file not found|ENOENT|command not found/i.test(stderr))
    return `${operation}: the kind executable was not found`;
  const lastError = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("ERROR") || l.length > 0)
    .at(-1);
  return `${operation}: ${lastError ?? "kind failed with no message"}`;
}

export interface KindCreateOptions {
  name: string;
  /** A kind Config as YAML text; passed on stdin with `--config -`. */
  config?: string;
  image?: string;
  wait?: string;
  kubeconfig: string;
  retain?: boolean;
}

/** "kind" from PATH; storeshift's own build (`storeshift install --tool kind`) when PATH has none. */
function cachedKindOnPathMiss(): string {
  const onPath = (envVar("PATH") ?? "").split(delimiter).some((d) => d && existsSync(join(d, "kind")));
  return onPath ? "kind" : (cachedKind() ?? "kind");
}

/** The `kind` command line, run through execa. `executable` lets tests put a fake kind first. */
export class KindCli {
  constructor(
    readonly executable = envVar("KIND") ?? cachedKindOnPathMiss(),
    private readonly timeoutMs = 10 * 60_000,
  ) {}

  createArgs(o: KindCreateOptions): string[] {
    const args = [
      "create",
      "cluster",
      "--name",
      o.name,
      "--kubeconfig",
      o.kubeconfig,
      "--wait",
      o.wait ?? "120s",
    ];
    if (o.config !== undefined) args.push("--config", "-");
    if (o.image) args.push("--image", o.image);
    if (o.retain) args.push("--retain");
    return args;
  }

  private async run(operation: string, args: string[], input?: string): Promise<string> {
    const result = await execa(this.executable, args, {
      reject: false,
      timeout: this.timeoutMs,
      input,
      stdin: input === undefined ? "ignore" : undefined,
    });
    if (result.exitCode !== 0 || result.failed) {
      const text = `${result.stderr ?? ""}\n${result.stdout ?? ""}\n${result.code === "ENOENT" ? "ENOENT" : ""}`;
      throw new StoreshiftError(explainKindFailure(operation, text, result.timedOut === true));
    }
    return result.stdout;
  }

  async getClusters(): Promise<string[]> {
    const out = await this.run("kind get clusters", ["get", "clusters"]);
    return out
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("No kind clusters found"));
  }

  async createCluster(o: KindCreateOptions): Promise<void> {
    await this.run(`kind create cluster ${o.name}`, this.createArgs(o), o.config);
  }

  async writeKubeconfig(name: string, path: string): Promise<void> {
    const text = await this.run(`kind get kubeconfig ${name}`, ["get", "kubeconfig", "--name", name]);
    await writeFile(path, `${text}\n`, { mode: 0o600 });
  }

  async exportLogs(name: string, dir: string): Promise<void> {
    await this.run(`kind export logs ${name}`, ["export", "logs", dir, "--name", name]);
  }

  async deleteCluster(name: string): Promise<void> {
    await this.run(`kind delete cluster ${name}`, ["delete", "cluster", "--name", name]);
  }
}

export interface StartedKindCluster {
  name: string;
  kubeconfigPath: string;
  /** True when an existing cluster of that name was reused; stop() then leaves it running. */
  reused: boolean;
  stop(): Promise<void>;
}

/** Creates a kind cluster, or reuses one of the same name, as e2e-framework does. */
export async function startKindCluster(
  o: { name: string; config?: string; image?: string; reuse?: boolean },
  cli = new KindCli(),
): Promise<StartedKindCluster> {
  const dir = await mkdtemp(join(tempRoot(), "storeshift-kind-"));
  const kubeconfigPath = join(dir, "kubeconfig");
  let reused: boolean;
  try {
    reused = (await cli.getClusters()).includes(o.name);
    if (reused && o.reuse === false) {
      throw new StoreshiftError(
        `kind create cluster ${o.name}: a kind cluster with that name exists and reuse is off`,
      );
    }
    if (reused) {
      log.info(`reusing kind cluster ${o.name}`);
      await cli.writeKubeconfig(o.name, kubeconfigPath);
    } else {
      log.info(`creating kind cluster ${o.name}`);
      await cli.createCluster({ name: o.name, config: o.config, image: o.image, kubeconfig: kubeconfigPath });
    }
  } catch (err) {
    // no cluster came of it: its kubeconfig dir must not outlive the failure
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    unregister();
    if (!reused) await cli.deleteCluster(o.name);
    await rm(dir, { recursive: true, force: true });
  };
  const unregister = registerCleanup(`kind cluster ${o.name}`, stop);
  return { name: o.name, kubeconfigPath, reused, stop };
}

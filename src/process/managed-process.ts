import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { shuttingDown } from "../common/cleanup.js";
import { environment } from "../common/environment.js";
import { sleep } from "../common/wait.js";

export interface ProcessSpec {
  /** A short name used in errors and logs, e.g. "etcd member m1". */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** stdout and stderr are appended here, so a failed start can quote the process's own words. */
  logFile: string;
}

/**
 * One child process in its own process group. Stop, kill and pause act on the group,
 * so nothing the child forks survives it, and nothing outside it is touched.
 */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(readonly spec: ProcessSpec) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.exitInfo === undefined;
  }

  /** Why the process is no longer running, or undefined while it runs. */
  exitReason(): string | undefined {
    if (!this.exitInfo) return undefined;
    const how = this.exitInfo.signal ? `signal ${this.exitInfo.signal}` : `exit code ${this.exitInfo.code}`;
    return `${this.spec.name} exited (${how}); last log line: ${this.lastLogLine()}`;
  }

  start(): void {
    if (this.running) throw new Error(`start ${this.spec.name}: already running as pid ${this.pid}`);
    if (shuttingDown()) throw new Error(`start ${this.spec.name}: storeshift is stopping after a signal`);
    const fd = openSync(this.spec.logFile, "a", 0o600);
    try {
      this.exitInfo = undefined;
      const child = spawn(this.spec.command, this.spec.args, {
        env: this.spec.env ?? environment(),
        stdio: ["ignore", fd, fd],
        detached: true,
      });
      this.child = child;
      this.exited = new Promise((resolve) => {
        child.once("exit", (code, signal) => {
          this.exitInfo = { code, signal };
          resolve();
        });
        child.once("error", (err) => {
          this.exitInfo = { code: -1, signal: null };
          this.spawnError = err;
          resolve();
        });
      });
    } finally {
      closeSync(fd);
    }
  }

  private spawnError: Error | undefined;

  /** Throws if the process could not be spawned at all (binary missing, not executable). */
  assertSpawned(): void {
    if (this.spawnError) throw new Error(`start ${this.spec.name}: ${this.spawnError.message}`);
  }

  /** SIGTERM to the group, then SIGKILL after `graceMs`. Resolves once the process has exited. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.signalGroup("SIGCONT"); // a paused process cannot act on SIGTERM
    this.signalGroup("SIGTERM");
    const done = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!done) {
      this.signalGroup("SIGKILL");
      await this.exited;
    }
  }

  /** SIGKILL, as a crash would: no shutdown, data dir left as it was at that instant. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.signalGroup("SIGKILL");
    await this.exited;
  }

  /** Lets this process exit while the child runs on (a store kept for an engineer). */
  detach(): void {
    this.child?.unref();
  }

  pause(): void {
    this.requireRunning("pause");
    this.signalGroup("SIGSTOP");
  }

  resume(): void {
    this.requireRunning("resume");
    this.signalGroup("SIGCONT");
  }

  lastLogLine(): string {
    try {
      const lines = readFileSync(this.spec.logFile, "utf8").trimEnd().split("\n");
      return lines.at(-1)?.slice(0, 400) ?? "(empty log)";
    } catch {
      return "(no log)";
    }
  }

  private requireRunning(operation: string): void {
    if (!this.running) throw new Error(`${operation} ${this.spec.name}: not running`);
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
    }
  }
}

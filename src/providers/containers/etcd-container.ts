import { randomBytes } from "node:crypto";
import type { StartedTestContainer } from "testcontainers";
import { registerCleanup } from "../../common/cleanup.js";
import { errorMessage, firstLine, StoreshiftError } from "../../common/errors.js";
import { waitUntil } from "../../common/wait.js";
import { freePorts } from "../../process/ports.js";
import { type EtcdMemberInfo, isHealthy, memberArgs } from "../etcd/local-etcd.js";
import { type EtcdImageLine, ensureEtcdImage } from "./images.js";
import { ownerLabels, removeOrphanedContainers, testcontainers } from "./runtime.js";

export interface EtcdContainerOptions {
  /** 3.6 (v3 only, the default) or 3.4 (Debian's 3.4.23 with the v2 API served). */
  line?: EtcdImageLine;
  members?: number;
  /** Used in container names and messages. */
  name?: string;
  /** An image reference that overrides the line's choice (official image or storeshift's build). */
  image?: string;
  startTimeoutMs?: number;
}

/** One etcd member in its own container, on the host's network, bound to 127.0.0.1. */
export class EtcdContainerMember {
  constructor(
    readonly info: EtcdMemberInfo,
    private readonly container: StartedTestContainer,
    private readonly startTimeoutMs: number,
  ) {}

  get name(): string {
    return this.info.name;
  }
  get clientUrl(): string {
    return this.info.clientUrl;
  }
  get containerId(): string {
    return this.container.getId();
  }

  private async handle() {
    const { getContainerRuntimeClient } = await testcontainers();
    const client = await getContainerRuntimeClient();
    return client.container.dockerode.getContainer(this.container.getId());
  }

  /** The engine's view: running, paused, exited... */
  async state(): Promise<string> {
    const inspected = await (await this.handle()).inspect();
    return inspected.State.Paused ? "paused" : inspected.State.Status;
  }

  /** SIGKILL to the container: a crash. Its filesystem, and so the member's data, stays. */
  async kill(): Promise<void> {
    await this.act("kill", async (c) => {
      await c.kill({ signal: "SIGKILL" });
      await waitUntil(
        `container of etcd member ${this.name} to exit`,
        async () => (await this.state()) === "exited",
        {
          timeoutMs: 10_000,
        },
      );
    });
  }

  /** Freezes every process in the container (cgroup freezer): the member stops answering, keeps its state. */
  async pause(): Promise<void> {
    await this.act("pause", (c) => c.pause());
  }

  async unpause(): Promise<void> {
    await this.act("unpause", (c) => c.unpause());
    await this.waitHealthy();
  }

  /** Starts the same container again (after kill) and waits for the member's /health. */
  async start(): Promise<void> {
    await this.act("start", (c) => c.start());
    await this.waitHealthy();
  }

  /** Graceful stop (SIGTERM, then SIGKILL after 10 s) and start again, as `docker restart` does. */
  async restart(): Promise<void> {
    await this.act("restart", (c) => c.restart({ t: 10 }));
    await this.waitHealthy();
  }

  async waitHealthy(): Promise<void> {
    const what = `etcd member ${this.name} (container) at ${this.clientUrl} /health`;
    let exited: string | undefined;
    await waitUntil(
      what,
      async () => {
        if (await isHealthy(this.clientUrl).catch(() => false)) return true;
        // an exited member never becomes healthy: stop waiting, with the reason etcd gave
        if ((await this.state()) === "exited") exited = `container exited: ${await this.lastLogLine()}`;
        return false;
      },
      { timeoutMs: this.startTimeoutMs, intervalMs: 200, abort: () => exited },
    );
  }

  private async lastLogLine(): Promise<string> {
    const buffer = (await (
      await this.handle()
    ).logs({ stdout: true, stderr: true, tail: 5 })) as unknown as Buffer;
    const lines = demuxLogs(buffer)
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "");
    return lines[lines.length - 1] ?? "(no output)";
  }

  private async act(
    operation: string,
    run: (c: Awaited<ReturnType<EtcdContainerMember["handle"]>>) => Promise<unknown>,
  ): Promise<void> {
    try {
      await run(await this.handle());
    } catch (err) {
      throw new StoreshiftError(
        `${operation} container of etcd member ${this.name}: ${firstLine(errorMessage(err))}`,
        {
          cause: err,
        },
      );
    }
  }

  /** Removes the container and everything in it. */
  async remove(): Promise<void> {
    await this.container.stop({ remove: true, removeVolumes: true, timeout: 0 });
  }
}

/**
 * The text of a non-TTY container's log stream: the engine frames stdout and stderr chunks with an
 * 8-byte header (stream, three zero bytes, big-endian length).
 */
export function demuxLogs(buffer: Buffer): string {
  const parts: string[] = [];
  let at = 0;
  while (at + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(at + 4);
    parts.push(buffer.subarray(at + 8, at + 8 + size).toString("utf8"));
    at += 8 + size;
  }
  return parts.join("");
}

export interface StartedEtcdContainer {
  image: string;
  endpoints: string[];
  members: EtcdContainerMember[];
  stop(): Promise<void>;
}

/** The command of member `index`: the same flags as a local member, data inside the container. */
export function etcdContainerCommand(
  members: EtcdMemberInfo[],
  index: number,
  options: { enableV2: boolean; current: boolean; token: string },
): string[] {
  const peerUrls = members.map((m) => m.peerUrl);
  const args = memberArgs(members, peerUrls, index, options);
  return ["/usr/local/bin/etcd", ...args];
}

/**
 * An etcd cluster in containers through testcontainers. Every member uses the host's network and
 * listens on 127.0.0.1 only (free ports chosen here), so nothing needs a bridge or a published port.
 */
export async function startEtcdContainer(options: EtcdContainerOptions = {}): Promise<StartedEtcdContainer> {
  const line = options.line ?? "3.6";
  const count = options.members ?? 1;
  const label = options.name ?? "etcd";
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const image = options.image ?? (await ensureEtcdImage(line)).image;
  const operation = `start etcd ${line} container${count > 1 ? `s (${count} members)` : ""} ${label} from ${image}`;
  await removeOrphanedContainers();
  const { GenericContainer } = await testcontainers();
  const ports = await freePorts(count * 2);
  const suffix = randomBytes(3).toString("hex");
  const infos: EtcdMemberInfo[] = Array.from({ length: count }, (_, i) => ({
    name: `${label}-${i}`,
    clientUrl: `http://127.0.0.1:${ports[2 * i]}`,
    peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}`,
    dataDir: `/var/lib/etcd/${label}-${i}`,
    walDir: `/var/lib/etcd/${label}-${i}/member/wal`,
    logFile: "(container log)",
  }));
  const flags = { enableV2: line === "3.4", current: line === "3.6", token: `storeshift-${suffix}` };
  const started: StartedTestContainer[] = [];
  const removeAll = async () => {
    await Promise.all(
      started.map((c) => c.stop({ remove: true, removeVolumes: true, timeout: 0 }).catch(() => undefined)),
    );
  };
  const unregister = registerCleanup(`etcd containers ${label}`, removeAll);
  try {
    // all members at once: none reports healthy before a quorum of them runs
    const containers = await Promise.all(
      infos.map(async (_info, i) => {
        const container = await new GenericContainer(image)
          .withName(`storeshift-${label}-${i}-${suffix}`)
          .withNetworkMode("host")
          .withLabels(ownerLabels(`etcd ${line} ${label}`))
          .withCommand(etcdContainerCommand(infos, i, flags))
          // host network, so no published port for testcontainers to wait on: /health is polled below
          .start();
        started.push(container);
        return container;
      }),
    );
    const members = infos.map(
      (info, i) => new EtcdContainerMember(info, containers[i] as StartedTestContainer, startTimeoutMs),
    );
    await Promise.all(members.map((m) => m.waitHealthy()));
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      unregister();
      await removeAll();
    };
    return { image, endpoints: infos.map((i) => i.clientUrl), members, stop };
  } catch (err) {
    unregister();
    await removeAll();
    throw new StoreshiftError(`${operation}: ${firstLine(errorMessage(err))}`, { cause: err });
  }
}

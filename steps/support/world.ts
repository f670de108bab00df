import { existsSync } from "node:fs";
import { copyFile, mkdir, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { type IWorldOptions, World } from "@cucumber/cucumber";
import type { Binary } from "../../src/binaries/locate.js";
import { packageRoot } from "../../src/common/package-root.js";
import type { BackendName } from "../../src/providers/backend.js";
import {
  type EtcdContainerMember,
  type EtcdContainerOptions,
  type StartedEtcdContainer,
  startEtcdContainer,
} from "../../src/providers/containers/etcd-container.js";
import { type StartedLocalEtcd, startLocalEtcd } from "../../src/providers/etcd/local-etcd.js";
import type { KubeTarget } from "../../src/providers/kube-target.js";
import { ProducedByName } from "./produced.js";
import { ScenarioRecord } from "./scenario-record.js";
import {
  CalicoState,
  EtcdMigrationState,
  EtcdOracleState,
  FaultsState,
  LifecycleState,
  LiveWritersState,
  UpstreamState,
} from "./scenario-state.js";
import { type PoolKeys, pool } from "./store-pool.js";

/** Prefix of a fixture name that means "the one bundled with storeshift". */
export const BUNDLED_FIXTURE = "storeshift:";

export type KeepPolicy = "never" | "on-failure" | "always";

/**
 * Something besides its stores that a scenario leaves while it runs: applied faults and fault
 * proxies, containers, offline backups. After the scenario it is released (healed, stopped,
 * deleted), unless the scenario is kept: then it stays exactly as the failure left it, and the
 * engineer gets the lines to reach it.
 */
export interface Leftover {
  /** e.g. `offline backups of etcd "source" in /tmp/…`, named in reports when it was released. */
  what: string;
  /** Heals, stops or deletes it after the scenario. Never called for a kept scenario. */
  release(): Promise<void>;
  /** Keeps it from changing on its own once kept: cancels self-healing timers and armed triggers. */
  freeze?(): Promise<void>;
  /** Reconnect lines (comments and commands) printed when it is kept. */
  reach?(): string[];
  /** Dirs `storeshift down` removes along with the kept stores. */
  dirs?: string[];
}

/** What `storeshift run` passes to every worker (cucumber's worldParameters). */
export interface StoreshiftParameters {
  runDir: string;
  backend: string;
  backendReason: string;
  keep: KeepPolicy;
  /** "builtin", "calicoctl=/path/to/calicoctl" or "module=/abs/path.js[#EXPORT]". */
  migrator: string;
  fixtureRoot: string;
  /** A replay's generator seeds, by scenario id, then by generator name (as the run recorded them). */
  seeds?: Record<string, Record<string, number>>;
}

export const defaultParameters: StoreshiftParameters = {
  runDir: join(process.cwd(), "reports", "adhoc"),
  backend: "local",
  backendReason: "default",
  keep: "never",
  migrator: "builtin",
  fixtureRoot: join(process.cwd(), "fixtures"),
};

/**
 * Holds what one scenario provisioned and produced. Steps stay thin: they call the library and
 * put results in the typed fields here (one object per concept: `calico`, `migrations`, `snapshots`,
 * ...), and record phases and checks for the reports. A project extends it by subclassing.
 */
export class StoreshiftWorld extends World<Partial<StoreshiftParameters>> {
  readonly record = new ScenarioRecord();
  readonly etcds = new Map<string, StartedLocalEtcd>();
  private kubePlane: KubeTarget | undefined;
  /** Nodes this scenario created on a cluster storeshift does not own, deleted afterwards. */
  readonly createdNodes = new Set<string>();
  /** The Calico migration: source etcd, fixture, export text, import and rollback results, CRDs, mode. */
  readonly calico = new CalicoState();
  /** etcd v2 → v3 migration runs and the v2 tree before them, by etcd name. */
  readonly migrations = new EtcdMigrationState();
  /** Snapshot files (NDJSON, in the scenario's artifacts) by label. */
  readonly snapshots = new ProducedByName<string>("snapshot", 'When I snapshot … as "…"');
  /** etcds in containers by scenario-local name; see `etcdContainer()`. */
  readonly containers = new Map<string, StartedEtcdContainer>();
  readonly etcdOracle = new EtcdOracleState();
  readonly lifecycle = new LifecycleState();
  readonly live = new LiveWritersState();
  readonly upstream = new UpstreamState();
  readonly faults = new FaultsState();
  scenarioSlug = "scenario";
  lastError: Error | undefined;
  /**
   * Run after the scenario, newest first: stores the scenario started for itself, leftovers' releases.
   * None of them runs when the scenario is kept (`--keep`), so nothing here may be needed for that.
   */
  readonly cleanups: Array<() => Promise<void>> = [];
  /** What the cleanups release, described, so a kept scenario can say how to reach it. */
  readonly leftovers: Leftover[] = [];

  /** Registers something to release after the scenario, or to keep (with reconnect lines) with it. */
  leave(leftover: Leftover): void {
    this.leftovers.push(leftover);
    this.cleanups.push(() => leftover.release());
  }

  /** A dir (offline backups) deleted after the scenario, or kept with it. */
  leaveDir(what: string, dir: string): void {
    this.leave({
      what: `${what} in ${dir}`,
      release: () => rm(dir, { recursive: true, force: true }),
      reach: () => [`# ${what}: ${dir}`],
      dirs: [dir],
    });
  }

  /** The seed a replay must reuse for this scenario's generator `name`, if this is a replay. */
  replaySeed(name: string): number | undefined {
    return this.params.seeds?.[this.scenarioSlug]?.[name];
  }

  constructor(options: IWorldOptions<Partial<StoreshiftParameters>>) {
    super(options);
  }

  get params(): StoreshiftParameters {
    return { ...defaultParameters, ...this.parameters };
  }

  get artifactDir(): string {
    return join(this.params.runDir, "scenarios", this.scenarioSlug);
  }

  async ensureArtifactDir(): Promise<string> {
    await mkdir(this.artifactDir, { recursive: true });
    return this.artifactDir;
  }

  /**
   * An etcd under a scenario-local name ("source", "target", ...). v3 stores come from the worker's
   * pool and are emptied afterwards. v2 (etcd 3.4) stores are the scenario's own: hidden v2 keys cannot
   * be listed, so no reset could prove them gone, and offline migrations rewrite member data dirs.
   */
  async useEtcd(name: string, keys: PoolKeys): Promise<StartedLocalEtcd> {
    if (keys.etcd === "v2") {
      const etcd = await startLocalEtcd({
        name: `scenario-${name}`,
        members: keys.members,
        enableV2: true,
        snapshotCount: keys.snapshotCount,
        line: keys.line ?? "v2-capable",
      });
      this.ownEtcds.add(etcd);
      this.cleanups.push(async () => {
        if (this.ownEtcds.has(etcd)) await etcd.stop();
      });
      this.etcds.set(name, etcd);
      return etcd;
    }
    const etcd = await pool.etcd(keys);
    this.etcds.set(name, etcd);
    return etcd;
  }

  /** Stores this scenario started for itself (not pooled): never reset, stopped after it. */
  readonly ownEtcds = new Set<StartedLocalEtcd>();

  /** An etcd in containers under a scenario-local name: the scenario's own, removed after it. */
  async useEtcdContainer(name: string, options: EtcdContainerOptions): Promise<StartedEtcdContainer> {
    const etcd = await startEtcdContainer({ name, ...options });
    this.containers.set(name, etcd);
    this.leave({
      what: `etcd container "${name}" (stopped)`,
      release: () => etcd.stop(),
      reach: () => [
        `# etcd container "${name}" (${etcd.image}) at ${etcd.endpoints.join(",")}: \`docker rm -f ${etcd.members.map((m) => m.containerId).join(" ")}\` removes it (unless testcontainers' reaper is on: then it ends with this run)`,
      ],
    });
    return etcd;
  }

  etcdContainer(name: string): StartedEtcdContainer {
    const etcd = this.containers.get(name);
    if (!etcd)
      throw new Error(`no etcd container called "${name}" in this scenario; add a Given step that starts it`);
    return etcd;
  }

  containerMember(name: string, index: number): EtcdContainerMember {
    const etcd = this.etcdContainer(name);
    const member = etcd.members[index];
    if (!member)
      throw new Error(`etcd container "${name}" has members 0..${etcd.members.length - 1}, not ${index}`);
    return member;
  }

  /** Client endpoints of a named etcd, whether local or in a container. */
  endpoints(name: string): string[] {
    const container = this.containers.get(name);
    return container?.endpoints ?? this.etcd(name).endpoints;
  }

  etcd(name: string): StartedLocalEtcd {
    const e = this.etcds.get(name);
    if (!e) throw new Error(`no etcd called "${name}" in this scenario; add a Given step that starts it`);
    return e;
  }

  /** The worker's Kubernetes; with `binary`, a local control plane running that kube-apiserver. */
  async useKube(binary?: Binary): Promise<KubeTarget> {
    // with the docker backend kind serves Kubernetes; etcd stays local, since the offline migration
    // drives members' processes and data dirs directly
    this.kubePlane = await pool.kube(this.params.backend as BackendName, binary);
    return this.kubePlane;
  }

  kube(): KubeTarget {
    if (!this.kubePlane)
      throw new Error("no Kubernetes control plane in this scenario; add a Given step that starts it");
    return this.kubePlane;
  }

  get usedKube(): KubeTarget | undefined {
    return this.kubePlane;
  }

  /**
   * A fixture file: `storeshift:<path>` names one of storeshift's bundled fixtures; any other name is
   * looked up under the run's fixture root (the project's `fixtures/`, or a replay's saved copy), then
   * relative to the working directory. The project's own fixtures are never shadowed by bundled ones. A copy goes into the scenario's
   * artifacts, so a report shows and a replay reuses exactly what was seeded.
   */
  async fixturePath(file: string): Promise<string> {
    let path: string;
    if (file.startsWith(BUNDLED_FIXTURE)) {
      path = join(packageRoot(), "fixtures", file.slice(BUNDLED_FIXTURE.length));
      if (!existsSync(path)) throw new Error(`fixture ${file}: storeshift bundles no ${path}`);
    } else {
      const underRoot = join(this.params.fixtureRoot, file);
      path = existsSync(underRoot) ? underRoot : resolve(file);
      if (!existsSync(path))
        throw new Error(`fixture ${file}: not under ${this.params.fixtureRoot} nor ${resolve(file)}`);
    }
    const copy = join(await this.ensureArtifactDir(), "fixtures", basename(path));
    await mkdir(dirname(copy), { recursive: true });
    await copyFile(path, copy);
    this.record.artifacts.push(copy);
    return path;
  }
}

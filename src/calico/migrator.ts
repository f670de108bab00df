import { KubeConfig } from "@kubernetes/client-node";
import { StoreshiftError } from "../common/errors.js";
import { exportFromEtcd, importToKube, lockEtcd, lockKube, rollback, unlockEtcd, unlockKube } from "./api.js";
import { Calicoctl } from "./calicoctl/adapter.js";
import type { QuirkMode } from "./export/build.js";
import type { CrdManifest } from "./kube/crds.js";
import type { RollbackResult } from "./rollback.js";

/**
 * One migration step set, implemented by storeshift's own core ("builtin") or by a real calicoctl
 * binary ("calicoctl"), so scenarios and differential tests drive either the same way.
 */
export interface MigrationStores {
  etcdEndpoints: string[];
  kubeconfigPath: string;
  /**
   * Cancels the migrator's work: once it aborts no further store call is made and a running tool is
   * killed (a step past its deadline, common/attempt.ts). A module's migrator should honour it too.
   */
  signal?: AbortSignal;
}

export interface MigratorImportResult {
  exitCode: number;
  /** What the tool printed (calicoctl's stdout, or the builtin's messages). */
  output: string;
  warnings: string[];
  error?: string;
}

/**
 * The public interface a Calico migrator implements: storeshift's own, a real calicoctl, or a user
 * module loaded with `--migrator module=PATH` (src/migrator-module), driven by the same scenarios.
 */
export interface Migrator {
  /** "builtin", "calicoctl", or what a module calls itself; shown in reports. */
  readonly name: string;
  lock(datastore: "etcdv3" | "kubernetes"): Promise<void>;
  unlock(datastore: "etcdv3" | "kubernetes"): Promise<void>;
  export(): Promise<string>;
  import(text: string): Promise<MigratorImportResult>;
  /** The guide's rollback: lock Kubernetes, delete every Calico CRD, unlock etcd. */
  rollback(): Promise<RollbackResult>;
}

function kubeConfigFrom(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

export class BuiltinMigrator implements Migrator {
  readonly name = "builtin" as const;
  constructor(
    private readonly stores: MigrationStores,
    /** mode "upstream" reproduces calicoctl's quirks (e.g. colliding nodes: the last one wins). */
    private readonly options: { crds?: CrdManifest[]; mode?: QuirkMode } = {},
  ) {}

  async lock(datastore: "etcdv3" | "kubernetes"): Promise<void> {
    if (datastore === "etcdv3") await lockEtcd(this.stores.etcdEndpoints, this.stores.signal);
    else await lockKube(kubeConfigFrom(this.stores.kubeconfigPath), this.stores.signal);
  }
  async unlock(datastore: "etcdv3" | "kubernetes"): Promise<void> {
    if (datastore === "etcdv3") await unlockEtcd(this.stores.etcdEndpoints, this.stores.signal);
    else await unlockKube(kubeConfigFrom(this.stores.kubeconfigPath), this.stores.signal);
  }
  async export(): Promise<string> {
    const { signal } = this.stores;
    return (await exportFromEtcd(this.stores.etcdEndpoints, { mode: this.options.mode, signal })).text;
  }
  async import(text: string): Promise<MigratorImportResult> {
    try {
      const r = await importToKube(kubeConfigFrom(this.stores.kubeconfigPath), text, {
        crds: this.options.crds,
        mode: this.options.mode,
        signal: this.stores.signal,
      });
      return { exitCode: 0, output: r.messages.join("\n"), warnings: r.warnings };
    } catch (err) {
      const code = err instanceof StoreshiftError ? err.exitCode : 1;
      return { exitCode: code, output: "", warnings: [], error: (err as Error).message };
    }
  }
  rollback(): Promise<RollbackResult> {
    return rollback(kubeConfigFrom(this.stores.kubeconfigPath), this.stores.etcdEndpoints, {
      signal: this.stores.signal,
    });
  }
}

export class CalicoctlMigrator implements Migrator {
  readonly name = "calicoctl" as const;
  private readonly tool: Calicoctl;
  constructor(
    binaryPath: string,
    private readonly stores: MigrationStores,
  ) {
    this.tool = new Calicoctl(binaryPath, stores.signal);
  }

  private datastore(type: "etcdv3" | "kubernetes") {
    return type === "etcdv3"
      ? { type, endpoints: this.stores.etcdEndpoints }
      : { type, kubeconfigPath: this.stores.kubeconfigPath };
  }
  async lock(datastore: "etcdv3" | "kubernetes"): Promise<void> {
    await this.tool.lock(this.datastore(datastore));
  }
  async unlock(datastore: "etcdv3" | "kubernetes"): Promise<void> {
    await this.tool.unlock(this.datastore(datastore));
  }
  export(): Promise<string> {
    return this.tool.export(this.datastore("etcdv3"));
  }
  async import(text: string): Promise<MigratorImportResult> {
    const res = await this.tool.import(this.datastore("kubernetes"), text);
    const warnings = res.stdout.split("\n").filter((l) => l.startsWith("[WARNING]"));
    return {
      exitCode: res.exitCode,
      output: res.stdout,
      warnings,
      ...(res.exitCode !== 0
        ? {
            error: res.stderr
              .split("\n")
              .filter((l) => !/^[IW]\d{4} /.test(l))
              .join(" ")
              .trim(),
          }
        : {}),
    };
  }
  /**
   * calicoctl has no rollback command: the guide deletes the CRDs with kubectl, so this is
   * storeshift's implementation of the guide's steps, as for the builtin.
   */
  rollback(): Promise<RollbackResult> {
    return rollback(kubeConfigFrom(this.stores.kubeconfigPath), this.stores.etcdEndpoints, {
      signal: this.stores.signal,
    });
  }
}

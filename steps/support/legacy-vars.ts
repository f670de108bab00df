import type { CalicoFixture } from "../../src/calico/fixture.js";
import type { CrdManifest } from "../../src/calico/kube/crds.js";
import type { OfflineMigrationResult } from "../../src/etcd-v2v3/offline.js";
import type { OnlineMigrationResult } from "../../src/etcd-v2v3/online.js";
import type { FaultSession } from "../../src/faults/session.js";
import type { Produced, ProducedByName } from "./produced.js";
import type { CalicoState, EtcdMigrationState, FaultAttempt, FaultsState } from "./scenario-state.js";

interface Slot {
  get(): unknown;
  set(value: unknown): void;
  has(): boolean;
  delete(): void;
}

function one<T>(p: Produced<T>): Slot {
  return { get: () => p.peek(), set: (v) => p.set(v as T), has: () => p.has(), delete: () => p.clear() };
}

function byName<T>(p: ProducedByName<T>, name: string): Slot {
  return {
    get: () => p.peek(name),
    set: (v) => p.set(name, v as T),
    has: () => p.has(name),
    delete: () => p.delete(name),
  };
}

/**
 * The old string-keyed bag, kept only for steps/faults.steps.ts until it moves to the typed fields.
 * Every key it uses reads and writes a typed field, so both sides see one value: "calico:source",
 * "calico:export", "calico:fixture", "calico:crds", `etcd:offline:NAME`, `etcd:online:NAME`,
 * `snapshot:LABEL` (shared with other steps) and "faults", "faults:attempt", `faults:backups:NAME`,
 * `faults:batch:NAME` (the World's `faults`). Any other key stays in the map.
 */
export class LegacyVars extends Map<string, unknown> {
  constructor(
    private readonly typed: {
      calico: CalicoState;
      migrations: EtcdMigrationState;
      snapshots: ProducedByName<string>;
      faults: FaultsState;
    },
  ) {
    super();
  }

  private slot(key: string): Slot | undefined {
    const { calico, migrations, snapshots, faults } = this.typed;
    if (key === "faults")
      return {
        get: () => faults.session,
        set: (v) => {
          faults.session = v as FaultSession;
        },
        has: () => faults.session !== undefined,
        delete: () => {
          faults.session = undefined;
        },
      };
    if (key === "faults:attempt") return one<FaultAttempt>(faults.lastAttempt);
    if (key === "calico:source") return one<string>(calico.source);
    if (key === "calico:export") return one<string>(calico.exportText);
    if (key === "calico:fixture") return one<CalicoFixture>(calico.fixture);
    if (key === "calico:crds")
      return {
        get: () => calico.crds,
        set: (v) => {
          calico.crds = v as CrdManifest[];
        },
        has: () => calico.crds !== undefined,
        delete: () => {
          calico.crds = undefined;
        },
      };
    const [prefix, name] = [key.slice(0, key.lastIndexOf(":") + 1), key.slice(key.lastIndexOf(":") + 1)];
    if (prefix === "etcd:offline:") return byName<OfflineMigrationResult>(migrations.offline, name);
    if (prefix === "etcd:online:") return byName<OnlineMigrationResult>(migrations.online, name);
    if (prefix === "faults:backups:") return byName<string>(faults.backupRoots, name);
    if (prefix === "faults:batch:")
      return {
        get: () => faults.batches.get(name),
        set: (v) => faults.batches.set(name, v as number),
        has: () => faults.batches.has(name),
        delete: () => faults.batches.delete(name),
      };
    if (key.startsWith("snapshot:")) return byName<string>(snapshots, key.slice("snapshot:".length));
    return undefined;
  }

  override get(key: string): unknown {
    const slot = this.slot(key);
    return slot ? slot.get() : super.get(key);
  }

  override set(key: string, value: unknown): this {
    const slot = this.slot(key);
    if (slot) slot.set(value);
    else super.set(key, value);
    return this;
  }

  override has(key: string): boolean {
    const slot = this.slot(key);
    return slot ? slot.has() : super.has(key);
  }

  override delete(key: string): boolean {
    const slot = this.slot(key);
    if (!slot) return super.delete(key);
    const had = slot.has();
    slot.delete();
    return had;
  }
}

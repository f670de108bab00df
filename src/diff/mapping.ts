import type { RecordStream, SnapshotHeader, SnapshotRecord } from "../snapshot/record.js";
import type { IgnoreRule } from "./rules.js";

/**
 * A mapping turns a source snapshot into the records the target should hold after a migration
 * (Calico etcd → Kubernetes, etcd v2 → v3) or a round trip (identity). The diff then compares that
 * expected stream with the real target snapshot.
 *
 * Implementations live with their migration (src/etcd-v2v3/mapping.ts, src/calico/mapping.ts) and
 * are found by name through src/mappings, which sits above the diff and both migrations.
 */
export interface Mapping {
  /** Registry name, used by `storeshift diff --mapping <name>` and config files. */
  readonly name: string;
  /** One line for `--help` and the report. */
  readonly description: string;
  /**
   * Turns source records (sorted by id) into expected target records.
   * The output may be in any order unless `preservesOrder` is true; the diff sorts it otherwise.
   * Records the mapping deliberately drops or renames should be reported with `context.account(...)`,
   * so the report can say why a source record has no counterpart.
   */
  map(source: RecordStream, context: MappingContext): RecordStream;
  /** True when output ids come out in `compareIds` order, so the diff can stream without sorting. */
  readonly preservesOrder?: boolean;
  /** Differences this migration is known to cause (e.g. revisions renumbered), added to the defaults. */
  readonly ignoreRules?: IgnoreRule[];
}

export interface MappingContext {
  /** Header of the source snapshot (format, store, meta). */
  source: SnapshotHeader;
  /** Header of the target snapshot, when known. */
  target?: SnapshotHeader;
  /** Mapping-specific options, e.g. `{ nodeRenames: { old: "new" }, ttlPolicy: "drop" }`. */
  options: Record<string, unknown>;
  /**
   * Records a source record the mapping intentionally does not carry over (or carries under another id).
   * It appears in the report as an `accounted` difference with this rule name and reason.
   */
  account(note: MappingNote): void;
}

export interface MappingNote {
  /** The source record concerned. */
  record: Pick<SnapshotRecord, "id" | "kind">;
  /** The rule name, e.g. `calico/kind-not-migrated` or `etcd-v2v3/hidden-key-excluded`. */
  rule: string;
  /** Human reason, e.g. "WorkloadEndpoint is not stored in Kubernetes". */
  reason: string;
  /** For renames: the id the record is expected under in the target. */
  renamedTo?: string;
}

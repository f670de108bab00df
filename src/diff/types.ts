/** What a diff reports: differences by class, exact counts, and the rules that accounted for some. */

export type DifferenceClass = "missing" | "unexpected" | "changed" | "accounted";

export interface Difference {
  class: DifferenceClass;
  /** The record's identity, e.g. `etcd:/foo` or `projectcalico.org/v3/NetworkPolicy/ns1/allow-dns`. */
  id: string;
  /** Group for filters, e.g. the Calico kind or the etcd key's first segment. */
  kind: string;
  /** Field path inside the record for `changed` / `accounted` (dot and [i] form); empty for whole records. */
  path: string;
  expected?: unknown;
  actual?: unknown;
  /** The ignore/mapping rule that accounted for this difference (only for class `accounted`). */
  rule?: string;
  /** For `changed`/`accounted` paths: whether the field was added, removed or edited in the target. */
  change?: "added" | "removed" | "edited";
  /** A hint for people, e.g. "first difference at byte 17 (0x61 → 0x62)" or a mapping's reason. */
  note?: string;
}

/** Counts of one diff; `changed` counts records, `changedPaths` the paths inside them. */
export interface DiffCounts {
  expected: number;
  actual: number;
  identical: number;
  missing: number;
  unexpected: number;
  changed: number;
  changedPaths: number;
  accounted: number;
}

/** An ignore or mapping rule as reports show it (provenance for `accounted` differences). */
export interface RuleInfo {
  name: string;
  description: string;
  /** `default`, `optional`, a mapping name, or the config file it came from. */
  source?: string;
  kinds?: string[];
  ids?: string[];
  paths?: string[];
}

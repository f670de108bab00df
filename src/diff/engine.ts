import deepDiff from "deep-diff";
import { sortedInMemory } from "../snapshot/canonical.js";
import {
  compareIds,
  type RecordStream,
  type Snapshot,
  type SnapshotHeader,
  type SnapshotRecord,
} from "../snapshot/record.js";
import { type DiffConfig, emptyDiffConfig, resolveRules } from "./config.js";
import { identityMapping } from "./identity.js";
import type { Mapping, MappingNote } from "./mapping.js";
import { type CompiledRule, compileRule, coveringRule, formatPath, type PathSegment } from "./match.js";
import type { IgnoreRule } from "./rules.js";
import type { DiffCounts, Difference } from "./types.js";

export interface DiffResult {
  /** The mapping that produced the expected side. */
  mapping: string;
  source?: SnapshotHeader;
  target?: SnapshotHeader;
  /** The rules in effect, in match order. */
  rules: IgnoreRule[];
  counts: DiffCounts;
  /** Deterministic order: by record id, then path. */
  differences: Difference[];
  /** True when more differences were found than `maxDifferences`; counts stay exact. */
  truncated: boolean;
}

export interface StreamDiffOptions {
  rules?: readonly IgnoreRule[];
  /** Keep at most this many differences (all classes); counts are exact regardless. Default 100000. */
  maxDifferences?: number;
}

/** Different means: something missing, unexpected or changed that no rule accounted for. */
export function hasDifferences(result: { counts: DiffCounts }): boolean {
  const c = result.counts;
  return c.missing + c.unexpected + c.changed > 0;
}

function emptyCounts(): DiffCounts {
  return {
    expected: 0,
    actual: 0,
    identical: 0,
    missing: 0,
    unexpected: 0,
    changed: 0,
    changedPaths: 0,
    accounted: 0,
  };
}

/** The record without its identity fields: what `missing` / `unexpected` show as the value. */
function body(record: SnapshotRecord): Record<string, unknown> {
  const { id: _id, kind: _kind, ...rest } = record;
  return rest;
}

/** Equality of two JSON values, key order ignored, without building anything. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  let count = 0;
  for (const key in a) {
    const av = (a as Record<string, unknown>)[key];
    if (av === undefined) continue;
    count++;
    if (!jsonEqual(av, (b as Record<string, unknown>)[key])) return false;
  }
  for (const key in b) if ((b as Record<string, unknown>)[key] !== undefined) count--;
  return count === 0;
}

const utf8 = new TextEncoder();

/** Where two strings (or base64 byte fields) first differ, in bytes, for a one-byte change to stand out. */
export function firstByteDifference(expected: string, actual: string, base64: boolean): string | undefined {
  const a = base64 ? Buffer.from(expected, "base64") : utf8.encode(expected);
  const b = base64 ? Buffer.from(actual, "base64") : utf8.encode(actual);
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) {
      const hex = (x: number | undefined) => `0x${(x ?? 0).toString(16).padStart(2, "0")}`;
      return `first difference at byte ${i} (${hex(a[i])} → ${hex(b[i])}); lengths ${a.length} → ${b.length}`;
    }
  }
  if (a.length !== b.length) return `same first ${n} bytes; lengths ${a.length} → ${b.length}`;
  return undefined;
}

interface Collector {
  counts: DiffCounts;
  differences: Difference[];
  limit: number;
  truncated: boolean;
}

function push(collector: Collector, difference: Difference): void {
  if (collector.differences.length < collector.limit) collector.differences.push(difference);
  else collector.truncated = true;
}

function compareRecords(
  expected: SnapshotRecord,
  actual: SnapshotRecord,
  rules: readonly CompiledRule[],
  collector: Collector,
): void {
  // Most pairs are equal: a cheap structural check first, and deep-diff only the ones that differ.
  if (expected.kind === actual.kind && jsonEqual(expected, actual)) {
    collector.counts.identical++;
    return;
  }
  const left = body(expected);
  const right = body(actual);
  const changes = deepDiff.diff({ kind: expected.kind, ...left }, { kind: actual.kind, ...right }) ?? [];
  const found: Difference[] = [];
  for (const change of changes) {
    let path: PathSegment[] = [...(change.path ?? [])] as PathSegment[];
    let kind = change.kind;
    let lhs: unknown;
    let rhs: unknown;
    if (change.kind === "A") {
      path = [...path, change.index];
      kind = change.item.kind;
      lhs = "lhs" in change.item ? change.item.lhs : undefined;
      rhs = "rhs" in change.item ? change.item.rhs : undefined;
    } else {
      lhs = "lhs" in change ? change.lhs : undefined;
      rhs = "rhs" in change ? change.rhs : undefined;
    }
    const difference: Difference = {
      class: "changed",
      id: expected.id,
      kind: expected.kind,
      path: formatPath(path),
      change: kind === "N" ? "added" : kind === "D" ? "removed" : "edited",
    };
    if (lhs !== undefined) difference.expected = lhs;
    if (rhs !== undefined) difference.actual = rhs;
    if (typeof lhs === "string" && typeof rhs === "string") {
      const note = firstByteDifference(lhs, rhs, path.at(-1) === "$base64");
      if (note) difference.note = note;
    }
    const rule = coveringRule(rules, expected, "changed", path);
    if (rule) {
      difference.class = "accounted";
      difference.rule = rule.name;
    }
    found.push(difference);
  }
  found.sort((a, b) => compareIds(a.path, b.path));
  let counted = 0;
  for (const difference of found) {
    if (difference.class === "accounted") collector.counts.accounted++;
    else counted++;
    push(collector, difference);
  }
  if (counted > 0) {
    collector.counts.changed++;
    collector.counts.changedPaths += counted;
  } else {
    collector.counts.identical++;
  }
}

function recordOnlyOnOneSide(
  record: SnapshotRecord,
  cls: "missing" | "unexpected",
  rules: readonly CompiledRule[],
  collector: Collector,
): void {
  const difference: Difference = { class: cls, id: record.id, kind: record.kind, path: "" };
  if (cls === "missing") difference.expected = body(record);
  else difference.actual = body(record);
  const rule = coveringRule(rules, record, cls, []);
  if (rule) {
    difference.class = "accounted";
    difference.rule = rule.name;
    difference.note = `${cls} in target`;
    collector.counts.accounted++;
  } else {
    collector.counts[cls]++;
  }
  push(collector, difference);
}

/**
 * Diffs two streams, each sorted by id, in one pass (a sorted merge): memory holds one record from each
 * side plus the differences found, never either snapshot.
 */
export async function diffRecordStreams(
  expected: RecordStream,
  actual: RecordStream,
  options: StreamDiffOptions = {},
): Promise<{ counts: DiffCounts; differences: Difference[]; truncated: boolean }> {
  const rules = (options.rules ?? []).map(compileRule);
  const collector: Collector = {
    counts: emptyCounts(),
    differences: [],
    limit: options.maxDifferences ?? 100_000,
    truncated: false,
  };
  const left = expected[Symbol.asyncIterator]();
  const right = actual[Symbol.asyncIterator]();
  let l = await left.next();
  let r = await right.next();
  while (!l.done || !r.done) {
    const order = l.done ? 1 : r.done ? -1 : compareIds(l.value.id, r.value.id);
    if (order < 0) {
      const record = l.value as SnapshotRecord;
      collector.counts.expected++;
      recordOnlyOnOneSide(record, "missing", rules, collector);
      l = await left.next();
    } else if (order > 0) {
      const record = r.value as SnapshotRecord;
      collector.counts.actual++;
      recordOnlyOnOneSide(record, "unexpected", rules, collector);
      r = await right.next();
    } else {
      collector.counts.expected++;
      collector.counts.actual++;
      compareRecords(l.value as SnapshotRecord, r.value as SnapshotRecord, rules, collector);
      l = await left.next();
      r = await right.next();
    }
  }
  return { counts: collector.counts, differences: collector.differences, truncated: collector.truncated };
}

export interface SnapshotDiffOptions {
  /** A Mapping, or its registry name. Default: identity. */
  /** Source → expected target; identity by default. By name: `getMapping` of src/mappings. */
  mapping?: Mapping;
  mappingOptions?: Record<string, unknown>;
  /** User config (extra rules, disabled defaults). */
  config?: DiffConfig;
  /** Use exactly these rules instead of config + mapping + defaults. */
  rules?: IgnoreRule[];
  maxDifferences?: number;
}

/**
 * Maps the source snapshot to the expected target and diffs it with the real target. Records the
 * mapping deliberately did not carry over come out as `accounted` with the mapping's rule and reason.
 */
export async function diffSnapshots(
  source: Snapshot,
  target: Snapshot,
  options: SnapshotDiffOptions = {},
): Promise<DiffResult> {
  const mapping = options.mapping ?? identityMapping;
  const rules = options.rules ?? resolveRules(options.config ?? emptyDiffConfig(), mapping.ignoreRules ?? []);
  const notes: MappingNote[] = [];
  const mapped = mapping.map(source.records, {
    source: source.header,
    target: target.header,
    options: options.mappingOptions ?? {},
    account: (note) => notes.push(note),
  });
  const expected = mapping.preservesOrder ? mapped : sortedInMemory(mapped);
  const result = await diffRecordStreams(expected, target.records, {
    rules,
    maxDifferences: options.maxDifferences,
  });
  const differences = result.differences;
  if (notes.length > 0) {
    for (const note of notes) {
      differences.push({
        class: "accounted",
        id: note.record.id,
        kind: note.record.kind,
        path: "",
        rule: note.rule,
        note: note.renamedTo ? `${note.reason} (expected as ${note.renamedTo})` : note.reason,
      });
      result.counts.accounted++;
    }
    // Keep the one deterministic order: by id, then path (stable for equal keys).
    differences.sort((a, b) => compareIds(a.id, b.id) || compareIds(a.path, b.path));
  }
  const mappingRuleNames = new Set(notes.map((n) => n.rule));
  const allRules = [
    ...rules,
    ...[...mappingRuleNames]
      .filter((name) => !rules.some((r) => r.name === name))
      .map((name) => ({ name, description: `applied by the ${mapping.name} mapping`, source: mapping.name })),
  ];
  return {
    mapping: mapping.name,
    source: source.header,
    target: target.header,
    rules: allRules,
    counts: result.counts,
    differences,
    truncated: result.truncated,
  };
}

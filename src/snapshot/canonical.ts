import { InputError } from "../common/errors.js";
import { compareIds, type SnapshotRecord } from "./record.js";

/**
 * JSON with object keys sorted at every level, `id` and `kind` first, so the same store gives the same
 * bytes every time and two snapshot files can be compared with plain `diff` too.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

export function canonicalRecordLine(record: SnapshotRecord): string {
  // Readers build records in canonical order already; checking is much cheaper than rebuilding.
  if (isCanonicalRecord(record)) return JSON.stringify(record);
  const { id, kind, ...rest } = record;
  const sorted = sortKeys(rest) as Record<string, unknown>;
  return JSON.stringify({ id, kind, ...sorted });
}

function isCanonicalRecord(record: SnapshotRecord): boolean {
  const keys = Object.keys(record);
  if (keys[0] !== "id" || keys[1] !== "kind") return false;
  for (let i = 2; i < keys.length; i++) {
    const key = keys[i] as string;
    if (i > 2 && (keys[i - 1] as string) >= key) return false;
    const child = record[key];
    if (child === undefined || !isCanonicalValue(child)) return false;
  }
  return true;
}

function isCanonicalValue(value: unknown): boolean {
  if (value === null || typeof value !== "object") return true;
  if (Array.isArray(value)) return value.every((v) => v !== undefined && isCanonicalValue(v));
  let previous: string | undefined;
  for (const key in value) {
    if (previous !== undefined && previous >= key) return false;
    const child = (value as Record<string, unknown>)[key];
    if (child === undefined || !isCanonicalValue(child)) return false;
    previous = key;
  }
  return true;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const child = (value as Record<string, unknown>)[key];
    if (child !== undefined) out[key] = sortKeys(child);
  }
  return out;
}

/** The invariant the diff's merge relies on (strictly increasing ids), checked one id at a time. */
export class OrderCheck {
  private previous: string | undefined;
  private index = 0;
  constructor(private readonly source: string) {}

  check(id: string, line?: number): void {
    this.index++;
    const where = line === undefined ? `record ${this.index}` : `line ${line}`;
    if (this.previous !== undefined) {
      const order = compareIds(this.previous, id);
      if (order === 0) throw new InputError(`${this.source}: ${where} repeats id "${id}"`);
      if (order > 0)
        throw new InputError(
          `${this.source}: ${where} id "${id}" comes after "${this.previous}"; not sorted`,
        );
    }
    this.previous = id;
  }
}

/**
 * Passes records through while checking the invariant the diff's merge relies on: strictly
 * increasing ids. A reader bug or a hand-edited file fails here with the offending ids.
 */
export async function* assertSorted(
  records: AsyncIterable<SnapshotRecord>,
  source: string,
): AsyncGenerator<SnapshotRecord> {
  let previous: string | undefined;
  let index = 0;
  for await (const record of records) {
    index++;
    if (previous !== undefined) {
      const order = compareIds(previous, record.id);
      if (order === 0) throw new InputError(`${source}: record ${index} repeats id "${record.id}"`);
      if (order > 0) {
        throw new InputError(
          `${source}: record ${index} id "${record.id}" comes after "${previous}"; not sorted`,
        );
      }
    }
    previous = record.id;
    yield record;
  }
}

/** Sorts a stream in memory: for readers whose store order is not id order (decoded Calico, v2 trees). */
export async function* sortedInMemory(
  records: AsyncIterable<SnapshotRecord>,
): AsyncGenerator<SnapshotRecord> {
  const all: SnapshotRecord[] = [];
  for await (const record of records) all.push(record);
  all.sort((a, b) => compareIds(a.id, b.id));
  yield* all;
}

/** Merges two streams that are each sorted by id into one sorted stream. */
export async function* mergeSorted(
  a: AsyncIterable<SnapshotRecord>,
  b: AsyncIterable<SnapshotRecord>,
): AsyncGenerator<SnapshotRecord> {
  const left = a[Symbol.asyncIterator]();
  const right = b[Symbol.asyncIterator]();
  let l = await left.next();
  let r = await right.next();
  while (!l.done || !r.done) {
    if (r.done || (!l.done && compareIds(l.value.id, r.value.id) <= 0)) {
      yield l.value as SnapshotRecord;
      l = await left.next();
    } else {
      yield r.value;
      r = await right.next();
    }
  }
}

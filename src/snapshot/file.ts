import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { writeFileAtomicWith } from "../common/atomic-write.js";
import { InputError, StoreshiftError, wrapError } from "../common/errors.js";
import { canonicalJson, canonicalRecordLine, OrderCheck } from "./canonical.js";
import type { Snapshot, SnapshotHeader, SnapshotRecord } from "./record.js";

/**
 * Writes a snapshot as NDJSON: the header line, then one canonical record per line. Streams (a record
 * is never held longer than its line), checks the stream is sorted, and writes whole or not at all
 * (`writeFileAtomicWith`): a failed snapshot never leaves a half-written file under the real name.
 * Returns the number of records written.
 */
export async function saveSnapshot(snapshot: Snapshot, path: string): Promise<number> {
  try {
    return await writeFileAtomicWith(path, async (write) => {
      // Readers fill header.meta (e.g. the pinned revision) on their first read, so pull one record first.
      const records = snapshot.records[Symbol.asyncIterator]();
      let next = await records.next();
      await write(`${canonicalJson(snapshot.header)}\n`);
      const order = new OrderCheck(snapshot.header.store);
      // Lines are batched into one write per ~1 MB: one write per record costs more than the JSON.
      let batch = "";
      let count = 0;
      while (!next.done) {
        order.check(next.value.id);
        batch += `${canonicalRecordLine(next.value)}\n`;
        count++;
        if (batch.length > 1 << 20) {
          await write(batch);
          batch = "";
        }
        next = await records.next();
      }
      if (batch !== "") await write(batch);
      return count;
    });
  } catch (err) {
    throw wrapError(`snapshot save ${path}`, err);
  }
}

/**
 * Opens a saved snapshot. The header is read now (so a wrong file fails early); records stream on
 * iteration, each line checked, with errors naming the file and line.
 */
export async function loadSnapshot(path: string): Promise<Snapshot> {
  const header = await readHeader(path);
  return { header, records: readRecords(path) };
}

async function readHeader(path: string): Promise<SnapshotHeader> {
  const lines = createInterface({ input: openInput(path), crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) return parseHeader(line, path);
    throw new InputError(`snapshot ${path}: empty file, expected a header line`);
  } catch (err) {
    if (err instanceof StoreshiftError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`snapshot ${path}: cannot read (${code ?? (err as Error).message})`);
  } finally {
    lines.close();
  }
}

function openInput(path: string) {
  const input = createReadStream(path, { encoding: "utf8" });
  return input;
}

function parseHeader(line: string, path: string): SnapshotHeader {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new InputError(`snapshot ${path}:1: header is not JSON`);
  }
  const header = parsed as SnapshotHeader;
  if (header?.storeshiftSnapshot !== 1 || typeof header.format !== "string") {
    throw new InputError(
      `snapshot ${path}:1: not a storeshift snapshot header (storeshiftSnapshot: 1, format)`,
    );
  }
  return header;
}

async function* readRecords(path: string): AsyncGenerator<SnapshotRecord> {
  const lines = createInterface({ input: openInput(path), crlfDelay: Number.POSITIVE_INFINITY });
  let lineNo = 0;
  const order = new OrderCheck(path);
  try {
    for await (const line of lines) {
      lineNo++;
      if (lineNo === 1 || line === "") continue;
      const record = parseRecord(line, path, lineNo);
      order.check(record.id, lineNo);
      yield record;
    }
  } catch (err) {
    if (err instanceof StoreshiftError) throw err;
    throw new InputError(`snapshot ${path}: ${(err as Error).message}`);
  } finally {
    lines.close();
  }
}

function parseRecord(line: string, path: string, lineNo: number): SnapshotRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    throw new InputError(`snapshot ${path}:${lineNo}: not JSON (${(err as Error).message})`);
  }
  const record = parsed as SnapshotRecord;
  if (typeof record !== "object" || record === null || typeof record.id !== "string") {
    throw new InputError(`snapshot ${path}:${lineNo}: record has no string "id"`);
  }
  if (typeof record.kind !== "string")
    throw new InputError(`snapshot ${path}:${lineNo}: record has no string "kind"`);
  return record;
}

/** A snapshot whose records are an array: for tests, mappings and small stores. */
export function snapshotFromRecords(header: SnapshotHeader, records: SnapshotRecord[]): Snapshot {
  return {
    header,
    records: (async function* () {
      yield* records;
    })(),
  };
}

/** Collects a stream into an array (tests and small stores only). */
export async function collectRecords(records: AsyncIterable<SnapshotRecord>): Promise<SnapshotRecord[]> {
  const out: SnapshotRecord[] = [];
  for await (const record of records) out.push(record);
  return out;
}

import { readFile } from "node:fs/promises";
import { isMap, isSeq, LineCounter, parseDocument } from "yaml";
import { InputError } from "../common/errors.js";

/**
 * A hand-written expected v3 tree: what etcd's v2→v3 migration must leave in v3 after a bundled v2
 * fixture was replayed. It is written by reading the fixture and etcd's documented semantics, never
 * derived from storeshift's own mapping, so a mapping bug cannot hide behind it. Format:
 * fixtures/etcd-v2/expected/README.md.
 */
export interface ExpectedTreeKey {
  /** The exact v3 key; for a `match:` entry, the regex source until resolved against a member. */
  key: string;
  /**
   * A key v2 names itself (an in-order POST key is named by its v2 index): a regex the v3 key must
   * match. Entries with the same regex claim the matching keys in key order, i.e. in append order.
   */
  match?: RegExp;
  /** The exact bytes v3 must hold (the UTF-8 encoding of the YAML string, or a repetition). */
  value: Buffer;
  /** 1-based index of the fixture step whose write produced this node (its created and last modified write). */
  step?: number;
  /** The key carried a TTL of its own (seconds, as written by the fixture). */
  ttl?: number;
  /** The key sits under a directory with a TTL (seconds); it has no TTL of its own. */
  dirTtl?: number;
}

export interface ExpectedTreeAbsent {
  key: string;
  why: string;
}

export interface ExpectedTree {
  file: string;
  fixture: string;
  keys: ExpectedTreeKey[];
  absent: ExpectedTreeAbsent[];
}

function fail(where: string, message: string): never {
  throw new InputError(`load expected v3 tree ${where}: ${message}`);
}

function positiveInt(where: string, field: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1)
    fail(where, `${field} must be a whole number >= 1, got ${JSON.stringify(value)}`);
  return value;
}

function expectedValue(where: string, raw: Record<string, unknown>): Buffer {
  const given = ["value", "repeat"].filter((f) => raw[f] !== undefined);
  if (given.length !== 1) fail(where, "needs exactly one of value, repeat");
  if (raw.repeat !== undefined) {
    const r = raw.repeat as { text?: unknown; times?: unknown };
    if (typeof r !== "object" || r === null || typeof r.text !== "string")
      fail(where, "repeat must be {text: string, times: number}");
    const times = positiveInt(where, "repeat.times", r.times) ?? 0;
    return Buffer.from(r.text.repeat(times), "utf8");
  }
  if (typeof raw.value !== "string")
    fail(where, `value must be a string (quote numbers), got ${typeof raw.value}`);
  return Buffer.from(raw.value, "utf8");
}

/** Parses an expected tree; errors name the file, the list entry and its line. */
export function parseExpectedTree(text: string, file: string): ExpectedTree {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const pos = lines.linePos(yamlError.pos[0]);
    fail(`${file}:${pos.line}:${pos.col}`, yamlError.message.split("\n")[0] ?? "YAML error");
  }
  const top = doc.toJS() as Record<string, unknown> | null;
  if (!top || typeof top !== "object" || Array.isArray(top) || !isMap(doc.contents))
    fail(file, "the top level must be a mapping");
  if (typeof top.fixture !== "string" || top.fixture === "")
    fail(file, "needs `fixture:` (the v2 fixture it is for)");
  const entries = (field: "keys" | "absent") => {
    const node = doc.get(field, true);
    if (node === undefined || node === null) return [];
    if (!isSeq(node)) fail(file, `\`${field}:\` must be a list`);
    return node.items.map((item, i) => {
      const offset = (item as { range?: [number, number, number] }).range?.[0] ?? 0;
      const raw = (top[field] as unknown[])[i];
      const where = `${file}:${lines.linePos(offset).line} (${field}[${i}])`;
      if (typeof raw !== "object" || raw === null || Array.isArray(raw))
        fail(where, "an entry must be a mapping");
      const entry = raw as Record<string, unknown>;
      if (field === "keys" && typeof entry.match === "string" && entry.key === undefined) {
        let match: RegExp;
        try {
          match = new RegExp(`^(?:${entry.match})$`, "u");
        } catch (err) {
          fail(where, `match is not a regex: ${(err as Error).message}`);
        }
        return { where, entry, key: entry.match, match };
      }
      if (typeof entry.key !== "string" || !entry.key.startsWith("/"))
        fail(where, "key must be a string starting with /");
      return { where, entry, key: entry.key, match: undefined };
    });
  };
  const seen = new Set<string>();
  const keys = entries("keys").map(({ where, entry, key, match }) => {
    if (!match && seen.has(key)) fail(where, `key ${key} is listed twice`);
    seen.add(key);
    return {
      key,
      ...(match ? { match } : {}),
      value: expectedValue(where, entry),
      step: positiveInt(where, "step", entry.step),
      ttl: positiveInt(where, "ttl", entry.ttl),
      dirTtl: positiveInt(where, "dirTtl", entry.dirTtl),
    };
  });
  const absent = entries("absent").map(({ where, entry, key }) => {
    if (seen.has(key)) fail(where, `key ${key} is both expected and absent`);
    if (typeof entry.why !== "string" || entry.why === "") fail(where, "absent entries need `why:`");
    return { key, why: entry.why };
  });
  return { file, fixture: top.fixture, keys, absent };
}

export async function loadExpectedTree(file: string): Promise<ExpectedTree> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new InputError(
      `load expected v3 tree ${file}: ${(err as NodeJS.ErrnoException).code ?? "unreadable"}`,
    );
  }
  return parseExpectedTree(text, file);
}

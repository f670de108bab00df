import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { isMap, isSeq, LineCounter, parseDocument } from "yaml";
import { InputError } from "../common/errors.js";
import { randomSeed, seededRandom } from "../common/random.js";
import { utf8Text } from "../common/utf8.js";
import { v2Append, v2Delete, v2Mkdir, v2Set, v2SetBytes, v2Update } from "./v2-client.js";

/**
 * A v2 fixture: writes replayed in order against the v2 API (the order fixes the v2 indexes).
 * The YAML format is documented in fixtures/etcd-v2/README.md.
 */
export type FixtureStep =
  | { op: "set"; key: string; value: string; ttl?: number; bytes?: Buffer }
  | { op: "update"; key: string; value: string }
  | { op: "mkdir"; key: string; ttl?: number }
  | { op: "append"; key: string; value: string }
  | { op: "rm"; key: string; recursive: boolean }
  | { op: "generate"; keys: number; dirs: number; seed: number; valueBytes: number; prefix: string };

export interface V2Fixture {
  name: string;
  description: string;
  /** Hidden keys or dirs the fixture writes; a migrator must be told about them explicitly. */
  includeHidden: string[];
  steps: FixtureStep[];
}

const STEP_OPS = ["set", "update", "mkdir", "append", "rm", "generate"] as const;

function fail(where: string, message: string): never {
  throw new InputError(`load v2 fixture ${where}: ${message}`);
}

function asKey(where: string, value: unknown): string {
  if (typeof value !== "string" || value === "") fail(where, "key must be a non-empty string");
  return value;
}

function asCount(where: string, field: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min)
    fail(where, `${field} must be a whole number >= ${min}, got ${JSON.stringify(value)}`);
  return value;
}

function stepValue(where: string, raw: Record<string, unknown>): string {
  if (raw.repeat !== undefined) {
    const r = raw.repeat as { text?: unknown; times?: unknown };
    if (typeof r !== "object" || r === null || typeof r.text !== "string")
      fail(where, "repeat must be {text: string, times: number}");
    return r.text.repeat(asCount(where, "repeat.times", r.times, 0));
  }
  if (raw.value === undefined) return "";
  if (typeof raw.value !== "string")
    fail(where, `value must be a string (quote numbers), got ${typeof raw.value}`);
  return raw.value;
}

/** `hex: "61 ff 62"`: raw value bytes, for values that are not UTF-8 (which a YAML string cannot hold). */
function hexBytes(where: string, raw: unknown): Buffer {
  const digits = typeof raw === "string" ? raw.replace(/\s+/g, "") : "";
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) fail(where, 'hex must be pairs of hex digits, e.g. "61 ff 00"');
  return Buffer.from(digits, "hex");
}

/** Validates one parsed step; `where` names the file, step index and line. */
export function parseStep(where: string, raw: unknown): FixtureStep {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail(where, "a step must be a mapping");
  const step = raw as Record<string, unknown>;
  const ops = STEP_OPS.filter((op) => op in step);
  if (ops.length !== 1) fail(where, `a step needs exactly one of ${STEP_OPS.join(", ")}`);
  const op = ops[0];
  const ttl = step.ttl === undefined ? undefined : asCount(where, "ttl", step.ttl, 1);
  switch (op) {
    case "set": {
      if (step.hex === undefined)
        return { op, key: asKey(where, step.set), value: stepValue(where, step), ttl };
      if (step.value !== undefined || step.repeat !== undefined)
        fail(where, "give one of value, repeat or hex");
      return { op, key: asKey(where, step.set), value: "", ttl, bytes: hexBytes(where, step.hex) };
    }
    case "update":
      return { op, key: asKey(where, step.update), value: stepValue(where, step) };
    case "mkdir":
      return { op, key: asKey(where, step.mkdir), ttl };
    case "append":
      return { op, key: asKey(where, step.append), value: stepValue(where, step) };
    case "rm":
      return { op, key: asKey(where, step.rm), recursive: step.recursive === true };
    default: {
      const g = step.generate as Record<string, unknown>;
      if (typeof g !== "object" || g === null) fail(where, "generate must be a mapping");
      return {
        op: "generate",
        keys: asCount(where, "generate.keys", g.keys, 0),
        dirs: asCount(where, "generate.dirs", g.dirs ?? 1, 1),
        seed: asCount(where, "generate.seed", g.seed ?? 1, 0),
        valueBytes: asCount(where, "generate.valueBytes", g.valueBytes ?? 32, 0),
        prefix: typeof g.prefix === "string" ? g.prefix : "/gen",
      };
    }
  }
}

/** Parses fixture YAML text; errors name the file, the step and its line. */
export function parseFixture(text: string, file: string): V2Fixture {
  const name = basename(file).replace(/\.ya?ml$/, "");
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const firstError = doc.errors[0];
  if (firstError) {
    const pos = lineCounter.linePos(firstError.pos[0]);
    fail(`${file}:${pos.line}:${pos.col}`, firstError.message.split("\n")[0] ?? "YAML error");
  }
  let top: Record<string, unknown> | null;
  try {
    top = doc.toJS() as Record<string, unknown> | null;
  } catch (err) {
    // e.g. an alias whose anchor is missing: the yaml library throws here, not in doc.errors
    fail(file, (err as Error).message.split("\n")[0] ?? "not YAML");
  }
  if (!top || typeof top !== "object" || Array.isArray(top)) fail(file, "the top level must be a mapping");
  const stepsNode = isMap(doc.contents) ? doc.contents.get("steps", true) : undefined;
  if (!isSeq(stepsNode)) fail(file, "needs a `steps:` list");
  const steps = stepsNode.items.map((item, i) => {
    const offset = (item as { range?: [number, number, number] }).range?.[0] ?? 0;
    const where = `${file}:${lineCounter.linePos(offset).line} (steps[${i}])`;
    return parseStep(where, (top.steps as unknown[])[i]);
  });
  const hidden = top.includeHidden ?? [];
  if (!Array.isArray(hidden) || hidden.some((h) => typeof h !== "string"))
    fail(file, "includeHidden must be a list of keys");
  return {
    name,
    description: typeof top.description === "string" ? top.description : "",
    includeHidden: hidden as string[],
    steps,
  };
}

export async function loadFixture(file: string): Promise<V2Fixture> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new InputError(`load v2 fixture ${file}: ${(err as NodeJS.ErrnoException).code ?? "unreadable"}`);
  }
  // bytes that are not UTF-8 would silently become U+FFFD and seed other values than the file holds
  const text = utf8Text(bytes, `load v2 fixture ${file}`);
  return parseFixture(text, file);
}

const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";

/** N keys spread over M dirs (`<prefix>/d<j>/k<i>`), values of `valueBytes` from the seed. */
export function generateSets(g: Extract<FixtureStep, { op: "generate" }>): { key: string; value: string }[] {
  const random = seededRandom(g.seed);
  const width = String(Math.max(0, g.keys - 1)).length;
  const out: { key: string; value: string }[] = [];
  for (let i = 0; i < g.keys; i++) {
    const dir = Math.floor(random() * g.dirs);
    let value = "";
    // 62 letters and digits only: `-`, `_` and `.` stay out of the first character for readability
    for (let b = 0; b < g.valueBytes; b++) value += ALPHABET[Math.floor(random() * 62)];
    out.push({ key: `${g.prefix}/d${dir}/k${String(i).padStart(width, "0")}`, value });
  }
  return out;
}

export interface SeedResult {
  writes: number;
  durationMs: number;
  /** Seeds of `generate` steps, to replay a run. */
  seeds: number[];
}

/**
 * Replays a fixture against a v2 endpoint. Explicit steps run one by one (their order fixes the v2
 * indexes); generated keys are written `concurrency` at a time, so their indexes vary between runs.
 */
export async function seedV2(
  endpoint: string,
  fixture: V2Fixture,
  options: { concurrency?: number } = {},
): Promise<SeedResult> {
  const started = Date.now();
  const concurrency = options.concurrency ?? 32;
  let writes = 0;
  const seeds: number[] = [];
  for (const step of fixture.steps) {
    switch (step.op) {
      case "set":
        if (step.bytes) await v2SetBytes(endpoint, step.key, step.bytes, step.ttl);
        else await v2Set(endpoint, step.key, step.value, step.ttl);
        break;
      case "update":
        await v2Update(endpoint, step.key, step.value);
        break;
      case "mkdir":
        await v2Mkdir(endpoint, step.key, step.ttl);
        break;
      case "append":
        await v2Append(endpoint, step.key, step.value);
        break;
      case "rm":
        await v2Delete(endpoint, step.key, { recursive: step.recursive });
        break;
      case "generate": {
        seeds.push(step.seed);
        const sets = generateSets(step);
        let next = 0;
        const worker = async () => {
          for (let i = next++; i < sets.length; i = next++) {
            const s = sets[i];
            if (s) await v2Set(endpoint, s.key, s.value);
          }
        };
        await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
        writes += sets.length - 1;
        break;
      }
    }
    writes++;
  }
  return { writes, durationMs: Date.now() - started, seeds };
}

// the generators' seed helpers, where callers of this module have always found them
export { randomSeed, seededRandom };

import { createReadStream } from "node:fs";
import { writeFileAtomicWith } from "./atomic-write.js";
import { parseJsonStream } from "./json-stream.js";

/**
 * The text of `JSON.stringify(value, null, 2)`, in pieces: long arrays (a result's list of every key
 * it wrote) are written element by element, so the document never exists as one string.
 */
export function* prettyJsonChunks(value: unknown, indent = ""): Generator<string> {
  const inner = `${indent}  `;
  if (Array.isArray(value) && value.length > 64) {
    yield "[\n";
    for (let i = 0; i < value.length; i++) {
      yield inner;
      yield* prettyJsonChunks(
        value[i] === undefined || typeof value[i] === "function" ? null : value[i],
        inner,
      );
      yield i < value.length - 1 ? ",\n" : "\n";
    }
    yield `${indent}]`;
    return;
  }
  if (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    typeof (value as { toJSON?: unknown }).toJSON !== "function" &&
    indent === ""
  ) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined && typeof v !== "function");
    if (entries.length === 0) {
      yield "{}";
      return;
    }
    yield "{\n";
    for (const [i, [key, v]] of entries.entries()) {
      yield `${inner}${JSON.stringify(key)}: `;
      yield* prettyJsonChunks(v, inner);
      yield i < entries.length - 1 ? ",\n" : "\n";
    }
    yield "}";
    return;
  }
  // JSON.stringify escapes every newline inside strings, so each "\n" left is layout
  const text = JSON.stringify(value, null, 2) ?? "null";
  yield indent === "" ? text : text.replaceAll("\n", `\n${indent}`);
}

/**
 * Writes `JSON.stringify(value, null, 2)` plus a newline, whole or not at all (a temp file renamed into
 * place), streamed in ~1 MB writes. Mode 0600: results name keys and endpoints.
 */
export async function writeJsonFile(path: string, value: unknown): Promise<void> {
  await writeFileAtomicWith(
    path,
    async (write) => {
      let batch = "";
      for (const chunk of prettyJsonChunks(value)) {
        batch += chunk;
        if (batch.length > 1 << 20) {
          await write(batch);
          batch = "";
        }
      }
      await write(`${batch}\n`);
    },
    { mode: 0o600 },
  );
}

/** `JSON.parse` of a file, parsed as it is read (never one string of the whole file). */
export async function readJsonFile(path: string): Promise<unknown> {
  return parseJsonStream(createReadStream(path));
}

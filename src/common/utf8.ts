import { isUtf8 } from "node:buffer";
import { InputError } from "./errors.js";

/**
 * An input file that is text: bytes that are not UTF-8 would be replaced by U+FFFD without a word and seeded
 * as something else than the file says. Refused instead, naming the line and byte.
 */
export function utf8Text(bytes: Buffer, what: string): string {
  if (isUtf8(bytes)) return bytes.toString("utf8");
  const bad = firstInvalidUtf8(bytes);
  const line = bytes.subarray(0, bad).toString("latin1").split("\n").length;
  throw new InputError(`${what}: line ${line}, byte ${bad}: not UTF-8 (0x${(bytes[bad] ?? 0).toString(16)})`);
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence. */
function firstInvalidUtf8(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    const len =
      b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (len === 0 || !isUtf8(bytes.subarray(i, i + len))) return i;
    i += len;
  }
  return i;
}

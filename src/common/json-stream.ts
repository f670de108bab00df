/**
 * An incremental JSON parser: bytes go in chunk by chunk as they arrive, values come out built as
 * `JSON.parse` would build them, but without the whole document ever existing as one string. That is
 * what lets a reader of a huge response (etcd's v2 `GET /v2/keys/?recursive=true`, one JSON document
 * for the whole key space) hold only the values it keeps: `onObject` sees every object as it closes,
 * its members already final, and may return something smaller to keep in its place.
 *
 * Strings are decoded natively (`Buffer#toString`, `JSON.parse` for ones with escapes), so text comes
 * out exactly as `JSON.parse(body.toString("utf8"))` would produce it.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

enum Expect {
  Value,
  ValueOrEnd,
  KeyOrEnd,
  Key,
  Colon,
  CommaOrEnd,
  Done,
}

interface Frame {
  array: boolean;
  value: unknown[] | Record<string, unknown>;
  key: string;
}

export class JsonSyntaxError extends Error {}

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function isNumberByte(byte: number): boolean {
  return (
    (byte >= 0x30 && byte <= 0x39) ||
    byte === 0x2d ||
    byte === 0x2b ||
    byte === 0x2e ||
    (byte | 0x20) === 0x65
  );
}

/**
 * The common case without building a string: a plain integer of at most 15 digits (exact in a double),
 * no leading zero. Anything else (fractions, exponents, long or malformed numbers) is left to JSON.parse.
 */
function integer(buf: Buffer, start: number, end: number): number | undefined {
  const negative = buf[start] === 0x2d;
  const first = negative ? start + 1 : start;
  const digits = end - first;
  if (digits < 1 || digits > 15 || (buf[first] === 0x30 && digits > 1)) return undefined;
  let value = 0;
  for (let i = first; i < end; i++) {
    const d = (buf[i] as number) - 0x30;
    if (d < 0 || d > 9) return undefined;
    value = value * 10 + d;
  }
  return negative ? -value : value;
}

/** Index of the quote closing the string whose opening quote is at `open`, or -1 if not in `buf`. */
function closingQuote(buf: Buffer, open: number): number {
  let from = open + 1;
  for (;;) {
    const q = buf.indexOf(QUOTE, from);
    if (q < 0) return -1;
    let b = q - 1;
    while (b > open && buf[b] === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q;
    from = q + 1;
  }
}

/** A whole string token, quotes included, to its text. */
function decodeString(token: Buffer, start: number, end: number): string {
  // no backslash: the bytes between the quotes are the text (JSON allows raw UTF-8)
  for (let i = start + 1; i < end; i++)
    if (token[i] === BACKSLASH) return JSON.parse(token.toString("utf8", start, end + 1)) as string;
  return token.toString("utf8", start + 1, end);
}

export class JsonStreamParser {
  private readonly stack: Frame[] = [];
  private expect: Expect = Expect.Value;
  private root: unknown;
  /** Bytes of a token that a chunk boundary cut; completed by the next chunk. */
  private carry: Buffer[] = [];
  private carryIsString = false;
  /** Inside a carried string: whether the last carried byte is an unescaped backslash. */
  private carryEscaped = false;
  /** Bytes written so far, and the stream offset of the buffer being parsed (error positions). */
  private received = 0;
  private base = 0;

  /**
   * @param onObject called for each object when it closes, with its nesting depth (0 = the top-level
   *   value); what it returns is stored instead of the object.
   */
  constructor(private readonly onObject?: (value: Record<string, unknown>, depth: number) => unknown) {}

  write(chunk: Uint8Array): void {
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const chunkStart = this.received;
    this.received += buf.length;
    let p = 0;
    this.base = chunkStart;
    if (this.carry.length > 0) {
      const carried = this.carry.reduce((n, b) => n + b.length, 0);
      this.base = chunkStart - carried;
      if (this.carryIsString) {
        const end = this.continueString(buf);
        if (end < 0) {
          this.carry.push(buf);
          return;
        }
        const token = Buffer.concat([...this.carry, buf.subarray(0, end + 1)]);
        this.carry = [];
        this.carryIsString = false;
        this.stringToken(token, 0, token.length - 1);
        this.base = chunkStart;
        p = end + 1;
      } else {
        buf = Buffer.concat([...this.carry, buf]);
        this.carry = [];
      }
    }
    this.parse(buf, p, false);
  }

  /** The document's value; throws if the input ended inside it. */
  end(): unknown {
    if (this.carry.length > 0) {
      const rest = Buffer.concat(this.carry);
      this.carry = [];
      this.base = this.received - rest.length;
      if (this.carryIsString) this.fail(rest.length, "unterminated string");
      this.parse(rest, 0, true);
    }
    if (this.expect !== Expect.Done) {
      this.base = this.received;
      this.fail(0, "unexpected end of JSON input");
    }
    return this.root;
  }

  /** Scans a chunk continuing a carried string; the index of its closing quote or -1. */
  private continueString(buf: Buffer): number {
    let escaped = this.carryEscaped;
    for (let i = 0; i < buf.length; i++) {
      const byte = buf[i];
      if (escaped) escaped = false;
      else if (byte === BACKSLASH) escaped = true;
      else if (byte === QUOTE) return i;
    }
    this.carryEscaped = escaped;
    return -1;
  }

  private fail(at: number, message: string): never {
    throw new JsonSyntaxError(`${message} at byte ${this.base + at}`);
  }

  private parse(buf: Buffer, from: number, final: boolean): void {
    let p = from;
    const n = buf.length;
    while (p < n) {
      const byte = buf[p] as number;
      if (isWhitespace(byte)) {
        p++;
        continue;
      }
      switch (this.expect) {
        case Expect.Done:
          this.fail(p, "unexpected data after the JSON value");
          break;
        case Expect.Colon:
          if (byte !== 0x3a) this.fail(p, "expected ':'");
          this.expect = Expect.Value;
          p++;
          continue;
        case Expect.CommaOrEnd: {
          const top = this.stack[this.stack.length - 1] as Frame;
          if (byte === 0x2c) {
            this.expect = top.array ? Expect.Value : Expect.Key;
            p++;
          } else if (byte === (top.array ? 0x5d : 0x7d)) {
            this.close();
            p++;
          } else this.fail(p, `expected ',' or '${top.array ? "]" : "}"}'`);
          continue;
        }
        case Expect.KeyOrEnd:
        case Expect.Key:
          if (byte === 0x7d && this.expect === Expect.KeyOrEnd) {
            this.close();
            p++;
            continue;
          }
          if (byte !== QUOTE) this.fail(p, "expected a string key");
          break;
        case Expect.ValueOrEnd:
          if (byte === 0x5d) {
            this.close();
            p++;
            continue;
          }
          break;
        default:
          break;
      }
      // a value (or, in an object, a key) starts at p
      if (byte === QUOTE) {
        const end = closingQuote(buf, p);
        if (end < 0) {
          this.carryString(buf, p);
          return;
        }
        this.stringToken(buf, p, end);
        p = end + 1;
      } else if (byte === 0x7b) {
        this.stack.push({ array: false, value: {}, key: "" });
        this.expect = Expect.KeyOrEnd;
        p++;
      } else if (byte === 0x5b) {
        this.stack.push({ array: true, value: [], key: "" });
        this.expect = Expect.ValueOrEnd;
        p++;
      } else if (isNumberByte(byte)) {
        let e = p + 1;
        while (e < n && isNumberByte(buf[e] as number)) e++;
        if (e === n && !final) {
          this.carry = [buf.subarray(p)];
          return;
        }
        let value = integer(buf, p, e);
        if (value === undefined) {
          const text = buf.toString("latin1", p, e);
          try {
            value = JSON.parse(text) as number;
          } catch {
            this.fail(p, `bad number ${JSON.stringify(text.slice(0, 40))}`);
          }
        }
        this.value(value);
        p = e;
      } else {
        const literal = byte === 0x74 ? "true" : byte === 0x66 ? "false" : byte === 0x6e ? "null" : "";
        if (literal === "") this.fail(p, `unexpected byte 0x${byte.toString(16)}`);
        if (n - p < literal.length) {
          if (final) this.fail(p, "unexpected end of JSON input");
          this.carry = [buf.subarray(p)];
          return;
        }
        if (buf.toString("latin1", p, p + literal.length) !== literal) this.fail(p, "bad literal");
        this.value(literal === "true" ? true : literal === "false" ? false : null);
        p += literal.length;
      }
    }
  }

  private carryString(buf: Buffer, open: number): void {
    const part = buf.subarray(open);
    this.carry = [part];
    this.carryIsString = true;
    // whether the carried part ends inside an escape: odd run of trailing backslashes after the quote
    let b = part.length - 1;
    while (b > 0 && part[b] === BACKSLASH) b--;
    this.carryEscaped = (part.length - 1 - b) % 2 === 1;
  }

  private stringToken(buf: Buffer, start: number, end: number): void {
    const text = decodeString(buf, start, end);
    if (this.expect === Expect.Key || this.expect === Expect.KeyOrEnd) {
      (this.stack[this.stack.length - 1] as Frame).key = text;
      this.expect = Expect.Colon;
    } else this.value(text);
  }

  private close(): void {
    const frame = this.stack.pop() as Frame;
    let value: unknown = frame.value;
    if (!frame.array && this.onObject)
      value = this.onObject(frame.value as Record<string, unknown>, this.stack.length);
    this.value(value);
  }

  private value(value: unknown): void {
    const top = this.stack[this.stack.length - 1];
    if (!top) {
      this.root = value;
      this.expect = Expect.Done;
      return;
    }
    if (top.array) (top.value as unknown[]).push(value);
    else if (top.key === "__proto__")
      Object.defineProperty(top.value, "__proto__", {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else (top.value as Record<string, unknown>)[top.key] = value;
    this.expect = Expect.CommaOrEnd;
  }
}

/** Parses a JSON document from a stream of byte chunks (a fetch body, a file stream). */
export async function parseJsonStream(
  chunks: AsyncIterable<Uint8Array>,
  onObject?: (value: Record<string, unknown>, depth: number) => unknown,
): Promise<unknown> {
  const parser = new JsonStreamParser(onObject);
  for await (const chunk of chunks) parser.write(chunk);
  return parser.end();
}

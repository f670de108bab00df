import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { JsonStreamParser, JsonSyntaxError } from "../../src/common/json-stream.js";

/** Feeds `bytes` cut at the given offsets. */
function parseInChunks(
  bytes: Buffer,
  cuts: number[],
  onObject?: (v: Record<string, unknown>, d: number) => unknown,
) {
  const parser = new JsonStreamParser(onObject);
  let from = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    if (cut <= from || cut >= bytes.length) continue;
    parser.write(bytes.subarray(from, cut));
    from = cut;
  }
  parser.write(bytes.subarray(from));
  return parser.end();
}

// the oracle is the platform's JSON.parse on the whole text
const anyJson = fc.jsonValue();

test("any JSON document, cut anywhere (inside strings, escapes, multi-byte characters, numbers): same value as JSON.parse", () => {
  fc.assert(
    fc.property(anyJson, fc.array(fc.nat(), { maxLength: 12 }), fc.boolean(), (value, cuts, pretty) => {
      const text = pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value);
      const bytes = Buffer.from(text, "utf8");
      const got = parseInChunks(
        bytes,
        cuts.map((c) => c % (bytes.length + 1)),
      );
      assert.deepEqual(got, JSON.parse(text));
    }),
    { numRuns: 500 },
  );
});

test("one byte at a time: escapes, surrogate pairs, raw UTF-8 and backslash runs before a quote", () => {
  const text = JSON.stringify({
    a: 'quote " backslash \\ end\\',
    b: '\\\\\\"',
    c: "emoji 😀 and é and \u0000 and \u2028",
    d: [1.5e-7, -0, 0, 1234567890123456, 1e21, true, false, null, {}],
    "": "",
  })
    .replace("emoji 😀", "emoji \\ud83d\\ude00")
    .replace(/}$/, ',"__proto__":"own key"}');
  const bytes = Buffer.from(text, "utf8");
  const got = parseInChunks(
    bytes,
    Array.from({ length: bytes.length }, (_, i) => i),
  ) as Record<string, unknown>;
  assert.deepEqual(got, JSON.parse(text));
  assert.equal(Object.getPrototypeOf(got), Object.prototype, "__proto__ is an own key, not the prototype");
  assert.equal(Object.getOwnPropertyDescriptor(got, "__proto__")?.value, "own key");
});

test("onObject sees each object once, innermost first, with its depth, and its result replaces it", () => {
  const seen: string[] = [];
  const got = parseInChunks(Buffer.from('{"x":{"y":{"z":1}},"w":[{"v":2}]}'), [3, 9, 17], (value, depth) => {
    seen.push(`${Object.keys(value).join(",")}@${depth}`);
    return depth === 0 ? value : Object.keys(value).join("");
  });
  assert.deepEqual(seen, ["z@2", "y@1", "v@2", "x,w@0"]);
  assert.deepEqual(got, { x: "y", w: ["v"] });
});

test("malformed input fails with the byte offset; truncated input fails at the end", () => {
  for (const [text, message] of [
    ['{"a":1,}', /expected a string key at byte 7/],
    ['{"a" 1}', /expected ':' at byte 5/],
    ["[1 2]", /expected ',' or '\]' at byte 3/],
    ["[01]", /bad number "01" at byte 1/],
    ["[tru]", /bad literal at byte 1/],
    ['{"a":1} x', /unexpected data after the JSON value at byte 8/],
    ['{"a":"b', /unterminated string/],
    ['{"a":[1,2', /unexpected end of JSON input at byte 9/],
    ["", /unexpected end of JSON input at byte 0/],
  ] as const) {
    for (const cuts of [[], [2], [1, 3, 5]]) {
      assert.throws(
        () => parseInChunks(Buffer.from(text), cuts),
        (err: unknown) => err instanceof JsonSyntaxError && message.test(err.message),
        `${text} cut at ${cuts}`,
      );
    }
  }
});

test("a string far larger than a chunk is carried across chunks without losing a byte", () => {
  const big = `${'ab\\"c'.repeat(100_000)}é`;
  const text = JSON.stringify({ big, after: 1 });
  const bytes = Buffer.from(text, "utf8");
  const cuts = Array.from({ length: Math.ceil(bytes.length / 4096) }, (_, i) => i * 4096 + 1);
  assert.deepEqual(parseInChunks(bytes, cuts), { big, after: 1 });
});

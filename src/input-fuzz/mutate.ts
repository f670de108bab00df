import fc from "fast-check";

/**
 * Mutations of a valid input file, as fast-check arbitraries. A parser is mostly reached through
 * inputs that are nearly right (one line lost, a token swapped, a section marker moved), which fully
 * random strings rarely produce; so each fuzz target mixes these with generated text.
 */
export type Mutation = (text: string) => string;

/** Tokens that mean something to YAML, JSON, the export's section marker or NDJSON. */
const TOKENS = [
  "===",
  "\n===\n",
  "---",
  "...",
  "- ",
  ": ",
  "{",
  "}",
  "[",
  "]",
  '"',
  "'",
  "&a ",
  "*a",
  "!!binary ",
  "!!js/function ",
  "? ",
  "|",
  ">",
  "#",
  "%YAML 1.2\n",
  "\t",
  "\r\n",
  "\u0000",
  "\uFEFF",
  "\uD800",
  "null",
  "true",
  "-1",
  "1e400",
  "0x10",
  "NaN",
  '{"id":',
  "__proto__",
  "constructor",
  "apiVersion: projectcalico.org/v2",
  "kind: Unknown",
  "10.0.0.0/33",
  "::/129",
];

function lines(text: string): string[] {
  return text.split("\n");
}

const deleteLine =
  (at: number): Mutation =>
  (t) => {
    const l = lines(t);
    l.splice(at % Math.max(1, l.length), 1);
    return l.join("\n");
  };
const duplicateLine =
  (at: number): Mutation =>
  (t) => {
    const l = lines(t);
    const i = at % Math.max(1, l.length);
    l.splice(i, 0, l[i] ?? "");
    return l.join("\n");
  };
const swapLines =
  (a: number, b: number): Mutation =>
  (t) => {
    const l = lines(t);
    const i = a % Math.max(1, l.length);
    const j = b % Math.max(1, l.length);
    [l[i], l[j]] = [l[j] ?? "", l[i] ?? ""];
    return l.join("\n");
  };
const insertAt =
  (at: number, what: string): Mutation =>
  (t) => {
    const i = at % (t.length + 1);
    return t.slice(0, i) + what + t.slice(i);
  };
const replaceAt =
  (at: number, what: string): Mutation =>
  (t) => {
    const i = at % (t.length + 1);
    return t.slice(0, i) + what + t.slice(i + what.length);
  };
const truncate =
  (at: number): Mutation =>
  (t) =>
    t.slice(0, at % (t.length + 1));
const indent =
  (at: number, by: string): Mutation =>
  (t) => {
    const l = lines(t);
    const i = at % Math.max(1, l.length);
    l[i] = by + (l[i] ?? "");
    return l.join("\n");
  };

const position = fc.nat({ max: 1_000_000 });

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  position.map(deleteLine),
  position.map(duplicateLine),
  fc.tuple(position, position).map(([a, b]) => swapLines(a, b)),
  fc.tuple(position, fc.constantFrom(...TOKENS)).map(([a, s]) => insertAt(a, s)),
  fc.tuple(position, fc.constantFrom(...TOKENS)).map(([a, s]) => replaceAt(a, s)),
  fc.tuple(position, fc.string({ maxLength: 8, unit: "binary" })).map(([a, s]) => insertAt(a, s)),
  fc.tuple(position, fc.constantFrom(" ", "  ", "\t", "- ")).map(([a, s]) => indent(a, s)),
  position.map(truncate),
);

/** 1..`max` mutations applied in turn to `base`. */
export function mutatedArb(base: string, max = 4): fc.Arbitrary<string> {
  return fc.array(mutationArb, { minLength: 1, maxLength: max }).map((ms) => ms.reduce((t, m) => m(t), base));
}

/** Random text, biased towards the tokens parsers care about. */
export const tokenSoupArb: fc.Arbitrary<string> = fc
  .array(fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 12, unit: "binary" })), {
    maxLength: 40,
  })
  .map((parts) => parts.join(""));

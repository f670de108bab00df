import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

/**
 * The Calico oracles must share no code with the migrator they judge: no module under src/oracles/
 * may reach, directly or through another module, the migrator (src/calico/) or the diff's Calico
 * mappings built from it (src/snapshot/calico-*).
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const FORBIDDEN = [/^src\/calico\//, /^src\/snapshot\/calico-/, /^src\/diff\/mapping/];

/** Relative import specifiers of a TypeScript source (static, re-exports, dynamic). */
export function importsOf(source: string): string[] {
  const out: string[] = [];
  const patterns = [
    /\bfrom\s+["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /^\s*import\s+["']([^"']+)["']/gm,
  ];
  for (const p of patterns) for (const m of source.matchAll(p)) if (m[1]?.startsWith(".")) out.push(m[1]);
  return out;
}

function resolveTs(from: string, spec: string): string {
  const abs = resolve(dirname(from), spec).replace(/\.js$/, ".ts");
  return existsSync(abs) ? abs : join(abs, "index.ts");
}

/** Every forbidden module reachable from `file`, with the chain that reaches it. */
export function forbiddenReach(
  file: string,
  read: (f: string) => string = (f) => readFileSync(f, "utf8"),
): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  const walk = (f: string, chain: string[]) => {
    if (seen.has(f)) return;
    seen.add(f);
    const rel = relative(root, f);
    if (FORBIDDEN.some((r) => r.test(rel))) {
      found.push([...chain, rel].join(" → "));
      return;
    }
    let text: string;
    try {
      text = read(f);
    } catch {
      return; // not a source file (a package, a generated file)
    }
    for (const spec of importsOf(text)) walk(resolveTs(f, spec), [...chain, rel]);
  };
  walk(file, []);
  return found;
}

const oracleDir = join(root, "src/oracles/calico");

test("no Calico oracle module reaches the migrator's code, directly or transitively", () => {
  const files = readdirSync(oracleDir).filter((f) => f.endsWith(".ts"));
  assert.ok(files.length >= 5, `expected the oracle modules in ${oracleDir}`);
  for (const f of files)
    assert.deepEqual(forbiddenReach(join(oracleDir, f)), [], `${f} reaches the migrator`);
});

test("the upstream-case judges reach no migrator code either", () => {
  const judges = join(root, "src/upstream/calico-judges.ts");
  assert.deepEqual(forbiddenReach(judges), [], "calico-judges.ts reaches the migrator");
});

test("the check sees an import of the migrator (static, re-export, dynamic, and through another module)", () => {
  assert.deepEqual(importsOf(`import { x } from "../../calico/mapping.js";`), ["../../calico/mapping.js"]);
  assert.deepEqual(importsOf(`export * from "../../calico/export/build.js";`), [
    "../../calico/export/build.js",
  ]);
  assert.deepEqual(importsOf(`const m = await import("../../calico/kube/encoding.js");`), [
    "../../calico/kube/encoding.js",
  ]);
  // a fake oracle file that imports a real module which imports the migrator
  const fake = join(oracleDir, "fake-oracle.ts");
  const sources: Record<string, string> = { [fake]: `import { a } from "../../calico/api.js";` };
  const reach = forbiddenReach(fake, (f) => sources[f] ?? readFileSync(f, "utf8"));
  assert.equal(reach.length, 1);
  assert.match(reach[0] ?? "", /src\/calico\/api\.ts$/);
  const indirect = join(oracleDir, "fake-indirect.ts");
  sources[indirect] = `import { b } from "../../snapshot/index.js";`;
  assert.ok(forbiddenReach(indirect, (f) => sources[f] ?? readFileSync(f, "utf8")).length > 0);
});

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

/**
 * The house rule of docs/architecture.md: folders under src/ import each other only downward, so
 * the folder graph has no cycle. Read from the sources' own relative imports.
 */
const src = fileURLToPath(new URL("../../src", import.meta.url));

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

function folderOf(file: string): string {
  const first = relative(src, file).split(sep)[0] ?? "";
  return first.endsWith(".ts") || first.endsWith(".js") ? "(root)" : first;
}

function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  const specifier = /(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g;
  for (const file of tsFiles(src)) {
    const from = folderOf(file);
    for (const m of readFileSync(file, "utf8").matchAll(specifier)) {
      const target = normalize(join(dirname(file), m[1] ?? ""));
      if (relative(src, target).startsWith("..")) continue;
      const to = folderOf(target);
      if (to === from) continue;
      if (!graph.has(from)) graph.set(from, new Set());
      graph.get(from)?.add(to);
    }
  }
  return graph;
}

function findCycle(graph: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === "done") return undefined;
    if (state.get(node) === "open") return [...path.slice(path.indexOf(node)), node];
    state.set(node, "open");
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

test("src/ folders import one another without a cycle", () => {
  const cycle = findCycle(folderGraph());
  assert.equal(cycle, undefined, `folder import cycle: ${cycle?.join(" → ")}`);
});

test("the cycle finder sees a cycle when there is one", () => {
  const graph = new Map([
    ["diff", new Set(["report"])],
    ["report", new Set(["common", "diff"])],
  ]);
  assert.deepEqual(findCycle(graph), ["diff", "report", "diff"]);
});

import type { IgnoreRule } from "./rules.js";

export type PathSegment = string | number;

/** `a.b[0][x.y]` → ["a", "b", 0, "x.y"]; bracketed text is one literal segment (keys with dots). */
export function parsePath(pattern: string): PathSegment[] {
  const segments: PathSegment[] = [];
  let i = 0;
  let current = "";
  const flush = () => {
    if (current !== "") segments.push(current);
    current = "";
  };
  while (i < pattern.length) {
    const ch = pattern[i] as string;
    if (ch === ".") {
      flush();
      i++;
    } else if (ch === "[") {
      flush();
      const close = pattern.indexOf("]", i);
      if (close < 0) throw new Error(`path "${pattern}": "[" at ${i} is not closed`);
      const inner = pattern.slice(i + 1, close);
      segments.push(/^\d+$/.test(inner) ? Number(inner) : inner);
      i = close + 1;
    } else {
      current += ch;
      i++;
    }
  }
  flush();
  return segments;
}

/** ["a", 0, "x.y"] → `a[0][x.y]`: dot form, brackets for indexes and keys that hold dots or brackets. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z0-9_$@-]+$/.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${segment}]`;
  }
  return out;
}

/** Glob with `*` as any run of characters (ids contain slashes, so `*` crosses them). */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`);
}

/**
 * True if the pattern covers the path: the pattern matches the path or one of its ancestors.
 * `*` matches one segment, `**` any number (including none).
 */
export function pathCovered(pattern: readonly PathSegment[], path: readonly PathSegment[]): boolean {
  const walk = (p: number, q: number): boolean => {
    if (p === pattern.length) return true; // pattern consumed: covers this node and everything below
    if (q > path.length) return false;
    const seg = pattern[p];
    if (seg === "**") {
      for (let k = q; k <= path.length; k++) if (walk(p + 1, k)) return true;
      return false;
    }
    if (q === path.length) return false;
    if (seg === "*" || String(seg) === String(path[q])) return walk(p + 1, q + 1);
    return false;
  };
  return walk(0, 0);
}

/** A rule prepared for matching: globs and paths parsed once. */
export interface CompiledRule {
  rule: IgnoreRule;
  kinds?: RegExp[];
  ids?: RegExp[];
  paths?: PathSegment[][];
  classes: Set<string>;
}

export function compileRule(rule: IgnoreRule): CompiledRule {
  const classes = new Set<string>(
    rule.classes ?? (rule.paths ? ["changed"] : ["missing", "unexpected", "changed"]),
  );
  return {
    rule,
    classes,
    ...(rule.kinds ? { kinds: rule.kinds.map(globToRegExp) } : {}),
    ...(rule.ids ? { ids: rule.ids.map(globToRegExp) } : {}),
    ...(rule.paths ? { paths: rule.paths.map(parsePath) } : {}),
  };
}

export function ruleAppliesTo(rule: CompiledRule, record: { id: string; kind: string }): boolean {
  if (rule.kinds && !rule.kinds.some((re) => re.test(record.kind))) return false;
  if (rule.ids && !rule.ids.some((re) => re.test(record.id))) return false;
  return true;
}

/** The first rule (in order) that covers this difference, if any. */
export function coveringRule(
  rules: readonly CompiledRule[],
  record: { id: string; kind: string },
  cls: "missing" | "unexpected" | "changed",
  path: readonly PathSegment[],
): IgnoreRule | undefined {
  for (const rule of rules) {
    if (!rule.classes.has(cls) || !ruleAppliesTo(rule, record)) continue;
    if (!rule.paths) return rule.rule;
    if (cls === "changed" && rule.paths.some((pattern) => pathCovered(pattern, path))) return rule.rule;
  }
  return undefined;
}

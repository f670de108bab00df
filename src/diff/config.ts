import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { InputError } from "../common/errors.js";
import { DEFAULT_IGNORE_RULES, OPTIONAL_IGNORE_RULES } from "./defaults.js";
import { parsePath } from "./match.js";
import type { IgnoreRule } from "./rules.js";

/**
 * The diff part of a config file (YAML or JSON):
 *
 * ```yaml
 * ignore:
 *   disable: [etcd-revisions]        # default rules to turn off, by name
 *   enable: [kube-status]            # optional rules to turn on
 *   rules:                           # your own
 *     - name: team/generated-annotation
 *       description: written by our admission webhook
 *       kinds: [NetworkPolicy]
 *       paths: ["metadata.annotations[example.com/stamp]"]
 * redact:
 *   patterns: ["(?i)session"]        # added to the default secret-looking patterns
 * ```
 */
export interface DiffConfig {
  rules: IgnoreRule[];
  disable: string[];
  enable: string[];
  redactPatterns: string[];
}

export function emptyDiffConfig(): DiffConfig {
  return { rules: [], disable: [], enable: [], redactPatterns: [] };
}

function stringList(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw new InputError(`${where}: expected a list of strings`);
  }
  return value as string[];
}

/** Validates a parsed config object; `source` (the file) is named in every error and in each rule. */
export function parseDiffConfig(raw: unknown, source: string): DiffConfig {
  const config = emptyDiffConfig();
  if (raw === null || raw === undefined) return config;
  if (typeof raw !== "object" || Array.isArray(raw))
    throw new InputError(`${source}: expected a mapping at the top`);
  const top = raw as Record<string, unknown>;
  const ignore = (top.ignore ?? {}) as Record<string, unknown>;
  if (typeof ignore !== "object" || Array.isArray(ignore))
    throw new InputError(`${source}: ignore must be a mapping`);
  config.disable = stringList(ignore.disable, `${source}: ignore.disable`);
  config.enable = stringList(ignore.enable, `${source}: ignore.enable`);
  const rules = ignore.rules ?? [];
  if (!Array.isArray(rules)) throw new InputError(`${source}: ignore.rules must be a list`);
  rules.forEach((entry, index) => {
    const where = `${source}: ignore.rules[${index}]`;
    if (typeof entry !== "object" || entry === null) throw new InputError(`${where}: expected a mapping`);
    const r = entry as Record<string, unknown>;
    if (typeof r.name !== "string" || r.name === "") throw new InputError(`${where}: needs a name`);
    const rule: IgnoreRule = {
      name: r.name,
      description: typeof r.description === "string" ? r.description : "",
      source,
    };
    if (r.kinds !== undefined) rule.kinds = stringList(r.kinds, `${where}.kinds`);
    if (r.ids !== undefined) rule.ids = stringList(r.ids, `${where}.ids`);
    if (r.paths !== undefined) {
      rule.paths = stringList(r.paths, `${where}.paths`);
      for (const path of rule.paths) {
        try {
          parsePath(path);
        } catch (err) {
          throw new InputError(`${where}.paths: ${(err as Error).message}`);
        }
      }
    }
    if (r.classes !== undefined) {
      const classes = stringList(r.classes, `${where}.classes`);
      const bad = classes.find((c) => !["missing", "unexpected", "changed"].includes(c));
      if (bad) throw new InputError(`${where}.classes: "${bad}" is not missing, unexpected or changed`);
      rule.classes = classes as IgnoreRule["classes"];
    }
    config.rules.push(rule);
  });
  const redact = (top.redact ?? {}) as Record<string, unknown>;
  config.redactPatterns = stringList(redact.patterns, `${source}: redact.patterns`);
  return config;
}

export async function loadDiffConfig(path: string): Promise<DiffConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new InputError(`config ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new InputError(`config ${path}: ${(err as Error).message.split("\n")[0]}`);
  }
  return parseDiffConfig(raw, path);
}

export function mergeDiffConfigs(configs: DiffConfig[]): DiffConfig {
  const out = emptyDiffConfig();
  for (const c of configs) {
    out.rules.push(...c.rules);
    out.disable.push(...c.disable);
    out.enable.push(...c.enable);
    out.redactPatterns.push(...c.redactPatterns);
  }
  return out;
}

/**
 * The rules in effect, in match order: user rules first (most specific intent), then the mapping's,
 * then the defaults not disabled, then optional rules enabled by name. Unknown names fail loudly.
 */
export function resolveRules(
  config: DiffConfig,
  mappingRules: readonly IgnoreRule[] = [],
  options: { defaults?: boolean } = {},
): IgnoreRule[] {
  const known = new Set(
    [...DEFAULT_IGNORE_RULES, ...OPTIONAL_IGNORE_RULES, ...mappingRules].map((r) => r.name),
  );
  for (const name of config.disable) {
    if (!known.has(name)) throw new InputError(`ignore.disable: no rule named "${name}"`);
  }
  for (const name of config.enable) {
    if (!OPTIONAL_IGNORE_RULES.some((r) => r.name === name)) {
      throw new InputError(`ignore.enable: no optional rule named "${name}"`);
    }
  }
  const disabled = new Set(config.disable);
  const rules = [
    ...config.rules,
    ...mappingRules.filter((r) => !disabled.has(r.name)),
    ...(options.defaults === false ? [] : DEFAULT_IGNORE_RULES.filter((r) => !disabled.has(r.name))),
    ...OPTIONAL_IGNORE_RULES.filter((r) => config.enable.includes(r.name)),
  ];
  const seen = new Set<string>();
  for (const rule of rules) {
    if (seen.has(rule.name)) throw new InputError(`ignore rules: the name "${rule.name}" is used twice`);
    seen.add(rule.name);
  }
  return rules;
}

/**
 * Ignore rules are data: a name, where they apply and what they cover. A difference a rule covers is
 * not counted; it is reported as `accounted` with the rule's name, so nothing disappears silently.
 */
export interface IgnoreRule {
  /** Unique, shown in every report next to the differences it accounted for. */
  name: string;
  /** Why the difference is expected; shown in the HTML report's rule list. */
  description: string;
  /** Globs on the record kind (`*` any run of characters). Omitted: every kind. */
  kinds?: string[];
  /** Globs on the record id. Omitted: every id. */
  ids?: string[];
  /**
   * Field paths inside a record, dot form with `[i]` for array items; `*` matches one segment and
   * `**` any number of segments; a rule on a path covers everything below it.
   * Omitted: the rule covers whole records (see `classes`).
   */
  paths?: string[];
  /** Which difference classes the rule covers. Default: `["changed"]` with paths, all three without. */
  classes?: Array<"missing" | "unexpected" | "changed">;
  /** Where the rule came from: `default`, a mapping name, or a config file path. */
  source?: string;
}

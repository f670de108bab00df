import type { Difference, RunResult } from "./result.js";

/** Field names and keys that look secret. Case-insensitive, matched anywhere in the name. */
export const DEFAULT_SECRET_PATTERNS: readonly string[] = [
  "passw(or)?d",
  "secret",
  "token",
  "api[-_]?key",
  "private[-_]?key",
  "credential",
  "bearer",
  "authorization",
  "tls\\.key",
];

export interface RedactionOptions {
  /** On by default; turning it off is an explicit choice recorded in result.json. */
  enabled?: boolean;
  /** Extra regular expressions (case-insensitive) added to the defaults. */
  patterns?: string[];
}

export const REDACTED = "***";

interface Redactor {
  key: RegExp;
  enabled: boolean;
  patterns: string[];
}

export function makeRedactor(options: RedactionOptions = {}): Redactor {
  const patterns = [...DEFAULT_SECRET_PATTERNS, ...(options.patterns ?? [])];
  return {
    key: new RegExp(patterns.map((p) => `(?:${p})`).join("|"), "i"),
    enabled: options.enabled !== false,
    patterns,
  };
}

/** Kubernetes Secrets, raw or decoded: everything but their metadata is secret. */
function isKubeSecret(difference: Pick<Difference, "id" | "kind">): boolean {
  return (
    difference.kind === "Secret" ||
    difference.kind === "secrets" ||
    difference.id.startsWith("/registry/secrets/")
  );
}

/** Replaces the values of secret-looking keys inside a value, at any depth. */
function redactValue(value: unknown, redactor: Redactor, everything: boolean): unknown {
  if (everything) return value === undefined ? undefined : REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, redactor, false));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = redactor.key.test(k) ? REDACTED : redactValue(v, redactor, false);
  return out;
}

/** For a whole Secret record: keep metadata readable (name, labels), hide the rest. */
function redactSecretRecord(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return REDACTED;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "metadata" || k === "kind" || k === "apiVersion" || k === "type") out[k] = v;
    else if (k === "object") out[k] = redactSecretRecord(v);
    else out[k] = REDACTED;
  }
  return out;
}

function pathIsMetadata(path: string): boolean {
  return /^(object\.)?(metadata|kind|apiVersion|type)(\.|\[|$)/.test(path);
}

/**
 * The difference with secret values replaced. A changed secret shows `*** (before)` / `*** (after)`
 * (as kubectl diff does), so a reader still sees that it changed, and byte-level notes are dropped.
 */
export function redactDifference(difference: Difference, redactor: Redactor): Difference {
  if (!redactor.enabled) return difference;
  const secretRecord = isKubeSecret(difference);
  const segments = difference.path.split(/[.[\]]+/).filter(Boolean);
  const secretKey = redactor.key.test(difference.id.split("/").at(-1) ?? "");
  const byPath = segments.some((s) => redactor.key.test(s));
  let wholeValue = false;
  if (difference.path === "") {
    // Whole records: a Secret keeps its metadata; a raw key that looks secret hides its value.
    const out = { ...difference };
    const mask = (v: unknown) => {
      if (secretRecord) return redactSecretRecord(v);
      if (secretKey && v && typeof v === "object") {
        const copy = { ...(redactValue(v, redactor, false) as Record<string, unknown>) };
        for (const field of ["value", "object", "data", "raw"]) if (field in copy) copy[field] = REDACTED;
        return copy;
      }
      return redactValue(v, redactor, false);
    };
    if ("expected" in out) out.expected = mask(out.expected);
    if ("actual" in out) out.actual = mask(out.actual);
    return out;
  }
  if (byPath || (secretRecord && !pathIsMetadata(difference.path))) wholeValue = true;
  if (secretKey && /^(value|object|data|raw)(\.|\[|$)/.test(difference.path)) wholeValue = true;
  if (!wholeValue) {
    const out = { ...difference };
    if ("expected" in out) out.expected = redactValue(out.expected, redactor, false);
    if ("actual" in out) out.actual = redactValue(out.actual, redactor, false);
    return out;
  }
  const out: Difference = { ...difference };
  const changed = difference.expected !== undefined && difference.actual !== undefined;
  if (difference.expected !== undefined) out.expected = changed ? `${REDACTED} (before)` : REDACTED;
  if (difference.actual !== undefined) out.actual = changed ? `${REDACTED} (after)` : REDACTED;
  if (difference.note?.startsWith("first difference") || difference.note?.startsWith("same first")) {
    out.note = "values differ (redacted)";
  }
  return out;
}

/** A copy of the run result with every difference redacted, and the patterns recorded. */
export function redactRunResult(result: RunResult, options: RedactionOptions = {}): RunResult {
  const redactor = makeRedactor(options);
  return {
    ...result,
    redaction: { enabled: redactor.enabled, patterns: redactor.patterns },
    scenarios: result.scenarios.map((scenario) => ({
      ...scenario,
      checks: scenario.checks.map((check) =>
        check.differences
          ? { ...check, differences: check.differences.map((d) => redactDifference(d, redactor)) }
          : check,
      ),
    })),
  };
}

import type { Anonymizer } from "./anonymizer.js";

/**
 * Where a JSON value (a Calico object, an IPAM entry) holds names. Only these are collected as
 * identifying; every other string is only observed, and rewritten where it repeats a collected
 * name (a selector naming a label, a profile naming a namespace).
 */
const NAME_FIELDS = new Set([
  "node",
  "nodeName",
  "workload",
  "pod",
  "endpoint",
  "interfaceName",
  "containerID",
  "serviceAccountName",
  "handle_id",
  "host",
  "hostname",
  "affinity",
  "profiles",
  "tier",
  "clusterGUID",
  "namespace",
]);
/** Metadata fields that are not names. */
const NOT_NAMES = new Set(["creationTimestamp", "resourceVersion", "generation", "deletionTimestamp"]);
/** Maps whose keys are data (label keys, CIDRs), not field names. */
const DATA_KEYED = new Set(["labels", "annotations", "block", "secondary"]);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * `everyString`: opaque application data (v2 values), where any string may be a name or a secret;
 * only the field names stay.
 */
export function collectJson(anon: Anonymizer, value: Json, path: string[] = [], everyString = false): void {
  if (typeof value === "string") {
    if (everyString) {
      anon.collect(value);
      return;
    }
    const field = path[path.length - 1] ?? "";
    const inMetadata = path.includes("metadata") && !NOT_NAMES.has(field);
    const inDataMap = path.some((p) => p === "labels" || p === "annotations" || p === "secondary");
    if (inMetadata || inDataMap || NAME_FIELDS.has(field)) anon.collect(value);
    else anon.observe(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collectJson(anon, v, path, everyString);
    return;
  }
  if (value !== null && typeof value === "object") {
    const dataKeyed = DATA_KEYED.has(path[path.length - 1] ?? "");
    for (const [k, v] of Object.entries(value)) {
      // a field name is never rewritten, so values can be rewritten as text without touching structure
      if (dataKeyed) anon.collect(k);
      else anon.protect(k);
      collectJson(anon, v, [...path, k], everyString);
    }
  }
}

/** Every string and map key rewritten (field names are protected, so they stay). */
export function rewriteJson<T>(anon: Anonymizer, value: T): T {
  if (typeof value === "string") return anon.rewrite(value) as T;
  if (Array.isArray(value)) return value.map((v) => rewriteJson(anon, v)) as T;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      out[anon.rewrite(k)] = rewriteJson(anon, v);
    return out as T;
  }
  return value;
}

/** A stored value: JSON is walked field by field; anything else is a string of names. */
export function collectValue(anon: Anonymizer, text: string, everyString = false): void {
  const parsed = tryJson(text);
  if (parsed === undefined) anon.collect(text);
  else collectJson(anon, parsed, [], everyString);
}

/** Rewritten as text: the bytes around names and addresses (number formats, escapes, order) stay. */
export function rewriteValue(anon: Anonymizer, text: string): string {
  return anon.rewrite(text);
}

function tryJson(text: string): Json | undefined {
  const t = text.trimStart();
  if (!t.startsWith("{") && !t.startsWith("[")) return undefined;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}

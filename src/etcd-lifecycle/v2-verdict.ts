/**
 * Why etcd 3.6 refused a data dir that still holds v2 data, read from what etcd logged. Upstream
 * cases (../shared/reference/upstream-cases.md): E-12 = custom content in the v2 store's snapshot;
 * E-13 = v2 requests in the WAL after the last v2 snapshot.
 */
export type V2Refusal = { caseId: "E-12" | "E-13"; what: string };

export function classifyV2Refusal(message: string): V2Refusal | undefined {
  if (/detected disallowed v2 WAL/i.test(message))
    return { caseId: "E-13", what: "v2 WAL records after the last v2 snapshot" };
  if (/custom content.*v2store|v2store.*custom content|illegal v2store content/i.test(message))
    return { caseId: "E-12", what: "custom content left in the v2 store" };
  return undefined;
}

/** `etcdutl check v2store`'s verdict: clean, custom content found, or anything else (an error). */
export function parseCheckV2Store(output: string): "clean" | "custom-content" | "unknown" {
  if (/no custom content found/i.test(output)) return "clean";
  if (/detected custom (v2 )?content/i.test(output)) return "custom-content";
  return "unknown";
}

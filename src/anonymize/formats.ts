import type { ParsedExport } from "../calico/export/format.js";
import { renderExportFile } from "../calico/export/format.js";
import type { V3Object } from "../calico/model.js";
import type { V2Node } from "../etcd-v2v3/tree.js";
import { Anonymizer } from "./anonymizer.js";
import { collectJson, collectValue, rewriteJson, rewriteValue } from "./json.js";

/** Pure rewrites of each dataset shape; all collection happens before the first rewrite. */

/** The shortest prefix of any IPAM block key (`.../ipv4/block/10.0.0.0-26`) per IP family. */
export function largestBlocks(keys: string[]): { 4?: number; 6?: number } {
  const out: { 4?: number; 6?: number } = {};
  for (const k of keys) {
    const m = /\/ipv([46])\/block\/[^/]+-(\d+)$/.exec(k);
    if (!m) continue;
    const family = Number(m[1]) as 4 | 6;
    out[family] = Math.min(out[family] ?? 128, Number(m[2]));
  }
  return out;
}

/** A v2 tree: every key path segment and every value is data, so all of it is identifying. */
export function anonymizeV2Tree(root: V2Node, key: string): V2Node {
  const anon = new Anonymizer(key);
  const visit = (n: V2Node, fn: (n: V2Node) => void) => {
    fn(n);
    for (const c of n.nodes ?? []) visit(c, fn);
  };
  visit(root, (n) => {
    anon.collect(n.key);
    if (n.value !== undefined) collectValue(anon, n.value, true);
  });
  const rewrite = (n: V2Node): V2Node => {
    const out: V2Node = { ...n, key: n.key === "/" ? "/" : anon.rewrite(n.key) };
    if (n.value !== undefined) out.value = anon.rewrite(n.value);
    if (n.nodes)
      out.nodes = n.nodes.map(rewrite).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out;
  };
  return rewrite(root);
}

/** A Calico export: objects, ClusterInformation and IPAM entries, re-rendered in the same file format. */
export function anonymizeCalicoExport(parsed: ParsedExport, key: string): string {
  const anon = new Anonymizer(key, largestBlocks((parsed.ipam.blocks ?? []).map((b) => b.Key)));
  const objects: unknown[] = [...parsed.resources, parsed.clusterInformation];
  for (const o of objects) collectJson(anon, o as never);
  const ipamEntries = [
    ...(parsed.ipam.blocks ?? []),
    ...(parsed.ipam.block_affinities ?? []),
    ...(parsed.ipam.handles ?? []),
    ...(parsed.ipam.config ? [parsed.ipam.config] : []),
  ];
  for (const e of ipamEntries) {
    anon.collect(e.Key);
    collectJson(anon, e.Value as never);
  }
  const lists: { kind: string; items: V3Object[] }[] = [];
  for (const obj of parsed.resources) {
    let list = lists.find((l) => l.kind === obj.kind);
    if (!list) {
      list = { kind: obj.kind, items: [] };
      lists.push(list);
    }
    list.items.push(rewriteJson(anon, obj));
  }
  const entry = <E extends { Key: string; Value: unknown }>(e: E): E => ({
    ...e,
    Key: anon.rewrite(e.Key),
    Value: rewriteJson(anon, e.Value),
  });
  const ipam = {
    ...(parsed.ipam.block_affinities ? { block_affinities: parsed.ipam.block_affinities.map(entry) } : {}),
    ...(parsed.ipam.blocks ? { blocks: parsed.ipam.blocks.map(entry) } : {}),
    ...(parsed.ipam.handles ? { handles: parsed.ipam.handles.map(entry) } : {}),
    ...(parsed.ipam.config ? { config: entry(parsed.ipam.config) } : {}),
  };
  return renderExportFile({
    lists,
    clusterInformation: rewriteJson(anon, parsed.clusterInformation),
    ipam,
    revision: "0",
  });
}

/** Raw etcd key-values (a restored snapshot): keys are paths of names; values are JSON or text. */
export function anonymizeEntries(
  entries: { key: string; value: string }[],
  key: string,
): { entries: { key: string; value: string }[]; tokens: number } {
  const anon = new Anonymizer(key, largestBlocks(entries.map((e) => e.key)));
  for (const e of entries) {
    anon.collect(e.key);
    collectValue(anon, e.value);
  }
  return {
    entries: entries.map((e) => ({ key: anon.rewrite(e.key), value: rewriteValue(anon, e.value) })),
    tokens: anon.rewrittenTokens,
  };
}

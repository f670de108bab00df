import { readFile } from "node:fs/promises";
import { encodeResourceValue } from "../calico/etcd/codec.js";
import { IPAM_CONFIG_KEY, resourceKey } from "../calico/etcd/keys.js";
import { CalicoEtcd } from "../calico/etcd/store.js";
import { type ParsedExport, parseExport } from "../calico/export/format.js";
import { storedObject } from "../calico/fixture.js";
import { InputError } from "../common/errors.js";
import { utf8Text } from "../common/utf8.js";
import { fsReason } from "./fs-reason.js";

/**
 * A `calicoctl datastore migrate export` file as a seed: its objects and IPAM entries written back
 * into etcd under libcalico-go's keys, so the whole guide (lock, export, import, rollback) can run
 * from it.
 */
export async function loadCalicoExport(file: string): Promise<ParsedExport> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new InputError(`Calico export ${file}: ${fsReason(err)}`);
  }
  return parseExport(utf8Text(bytes, `Calico export ${file}`), file);
}

/** The etcd keys and values an export stands for. Pure. */
export function exportToEtcdEntries(parsed: ParsedExport, createdAt: string): [string, string][] {
  const entries: [string, string][] = [];
  const objects = [parsed.clusterInformation, ...parsed.resources];
  for (const obj of objects)
    entries.push([
      resourceKey(obj.kind, obj.metadata.name, obj.metadata.namespace),
      encodeResourceValue(storedObject(obj, createdAt)),
    ]);
  const ipam = parsed.ipam;
  for (const list of [ipam.blocks, ipam.block_affinities, ipam.handles])
    for (const e of list ?? []) entries.push([e.Key, JSON.stringify(e.Value)]);
  if (ipam.config) entries.push([ipam.config.Key || IPAM_CONFIG_KEY, JSON.stringify(ipam.config.Value)]);
  return entries;
}

export async function seedCalicoExport(
  endpoints: string[],
  parsed: ParsedExport,
  file: string,
): Promise<{ keys: number }> {
  const entries = exportToEtcdEntries(parsed, "2026-01-01T00:00:00Z");
  const etcd = new CalicoEtcd(endpoints);
  try {
    const existing = await etcd.createMany(entries);
    if (existing.length > 0) throw new InputError(`Calico export ${file}: key ${existing[0]} appears twice`);
    return { keys: entries.length };
  } finally {
    etcd.close();
  }
}

import { appendFileSync } from "node:fs";
import { load } from "js-yaml";
import { readCalicoFromEtcd } from "../../calico/api.js";
import { renderYaml, SECTION_SEPARATOR } from "../../calico/export/format.js";
import type { MigrationStores, Migrator } from "../../calico/migrator.js";
import type { CalicoEtcdData, IpamExport, V3Object } from "../../calico/model.js";
import { envVar } from "../../common/environment.js";
import type { V2V3Migrator } from "../../etcd-v2v3/migrator.js";
import type { MigratorModule } from "../../migrator-module/module.js";

/**
 * What every mutant shares: delegation to the builtin migrator it wraps, and a record of each time
 * it actually applied its break. A scenario failure counts as a catch only when the break was
 * applied in that run: a mutant that crashes or never fires must not look caught.
 */

/** Set by `storeshift selftest` for each mutant run: the file mutants append "applied" lines to. */
export const MUTANT_LOG_ENV = "STORESHIFT_MUTANT_LOG";

export function applied(mutant: string, detail: string): void {
  const file = envVar(MUTANT_LOG_ENV);
  if (file) appendFileSync(file, `${JSON.stringify({ mutant, detail, at: new Date().toISOString() })}\n`);
}

function delegateCalico(b: Migrator): Migrator {
  return {
    name: b.name,
    lock: (d) => b.lock(d),
    unlock: (d) => b.unlock(d),
    export: () => b.export(),
    import: (t) => b.import(t),
    rollback: () => b.rollback(),
  };
}

export interface MutantInfo {
  name: string;
  description: string;
}

/** A mutant module breaking the Calico migration: `override` returns the methods it replaces. */
export function calicoMutant(
  info: MutantInfo,
  override: (builtin: Migrator, stores: MigrationStores) => Partial<Omit<Migrator, "name">>,
): MigratorModule {
  return {
    ...info,
    calico: (stores, builtin) => ({
      ...delegateCalico(builtin),
      ...override(builtin, stores),
      name: `mutant:${info.name}`,
    }),
  };
}

/** A mutant module breaking the v2→v3 migration. */
export function v2v3Mutant(
  info: MutantInfo,
  override: (builtin: V2V3Migrator) => Partial<Omit<V2V3Migrator, "name">>,
): MigratorModule {
  return {
    ...info,
    etcdV2V3: (builtin) => ({ ...builtin, ...override(builtin), name: `mutant:${info.name}` }),
  };
}

/** The export file opened for editing: its `<Kind>List` documents, ClusterInformation and IPAM. */
export interface EditableExport {
  lists: { kind: string; items: V3Object[]; doc: Record<string, unknown> }[];
  clusterInformation: V3Object;
  ipam: IpamExport;
}

/** Splits on whole `===` lines; mutants only edit files the builtin just rendered. */
export function openExport(text: string): EditableExport {
  const sections = text.split(`\n${SECTION_SEPARATOR}\n`);
  const [resources = "", cluster = "", ipam = ""] =
    sections.length === 3 ? sections : text.split(`${SECTION_SEPARATOR}\n`);
  const lists: EditableExport["lists"] = [];
  for (const part of resources.split(/^---\s*$/m)) {
    const doc = load(part) as Record<string, unknown> | null | undefined;
    if (!doc) continue;
    lists.push({
      kind: String(doc.kind).replace(/List$/, ""),
      items: (doc.items ?? []) as V3Object[],
      doc,
    });
  }
  return {
    lists,
    clusterInformation: JSON.parse(cluster) as V3Object,
    ipam: JSON.parse(ipam) as IpamExport,
  };
}

export function renderExport(e: EditableExport): string {
  const parts: string[] = [];
  for (const list of e.lists) parts.push(renderYaml({ ...list.doc, items: list.items }), "---\n");
  parts.push(`${SECTION_SEPARATOR}\n`, `${JSON.stringify(e.clusterInformation, null, 2)}\n`);
  parts.push(`${SECTION_SEPARATOR}\n`, `${JSON.stringify(e.ipam, null, 2)}\n`);
  return parts.join("");
}

/**
 * Exports with the builtin, then edits the file. `edit` returns a description of what it broke, or
 * undefined when this dataset gave it nothing to break (then the file is left as the builtin made it).
 */
export async function editedExport(
  mutant: string,
  builtin: Migrator,
  stores: MigrationStores,
  edit: (e: EditableExport, source: CalicoEtcdData) => string | undefined,
): Promise<string> {
  const text = await builtin.export();
  const opened = openExport(text);
  const broke = edit(opened, await readCalicoFromEtcd(stores.etcdEndpoints));
  if (broke === undefined) return text;
  applied(mutant, broke);
  return renderExport(opened);
}

export function listOf(e: EditableExport, kind: string): V3Object[] {
  return e.lists.find((l) => l.kind === kind)?.items ?? [];
}

import { CORE_SCHEMA, dump, load, type YAMLException } from "js-yaml";
import { Document, isScalar, visit } from "yaml";
import { InputError } from "../../common/errors.js";
import { EXPORTED_KINDS, kindByName, V3_API_VERSION } from "../kinds.js";
import type { IpamExport, V3Object } from "../model.js";
import { isObject } from "../model.js";
import type { QuirkMode } from "./build.js";

/**
 * The export file: YAML `<Kind>List` documents each followed by `---`, a `===` line, ClusterInformation
 * as indented JSON, a `===` line, IPAM as indented JSON. Rendering and parsing are pure.
 */

export const SECTION_SEPARATOR = "===";

interface Renderable {
  lists: { kind: string; items: V3Object[] }[];
  clusterInformation: V3Object;
  ipam: IpamExport;
  revision: string;
}

/**
 * YAML as sigs.k8s.io/yaml prints it (sorted keys, sequences not indented under their key, no line
 * folding), with one deliberate difference: no data line may end in "===", so nothing can look like a
 * section separator to calicoctl's byte split. js-yaml renders the common case fast; a document where
 * some line would end in "===" (a value ending so, or a block scalar line) is re-rendered with every
 * such string double-quoted, which keeps it on one line that ends with a quote.
 */
export function renderYaml(value: unknown): string {
  const fast = dump(value, {
    sortKeys: true,
    lineWidth: -1,
    noRefs: true,
    noArrayIndent: true,
    quotingType: '"',
  });
  if (!/===$/m.test(fast)) return fast;
  const doc = new Document(value, { sortMapEntries: true });
  visit(doc, {
    Scalar(_key, node) {
      if (isScalar(node) && typeof node.value === "string" && /===$|\n/.test(node.value))
        node.type = "QUOTE_DOUBLE";
    },
  });
  return doc.toString({ indentSeq: false, lineWidth: 0, minContentWidth: 0 });
}

export function renderExportFile(plan: Renderable): string {
  const parts: string[] = [];
  for (const list of plan.lists) {
    parts.push(
      renderYaml({
        apiVersion: V3_API_VERSION,
        items: list.items,
        kind: `${list.kind}List`,
        metadata: { resourceVersion: plan.revision },
      }),
    );
    parts.push("---\n");
  }
  parts.push(`${SECTION_SEPARATOR}\n`);
  parts.push(`${JSON.stringify(plan.clusterInformation, null, 2)}\n`);
  parts.push(`${SECTION_SEPARATOR}\n`);
  parts.push(`${JSON.stringify(plan.ipam, null, 2)}\n`);
  return parts.join("");
}

export interface ParsedExport {
  /** Every item of section 1, Lists expanded, in file order. */
  resources: V3Object[];
  clusterInformation: V3Object;
  ipam: IpamExport;
}

export interface ParseOptions {
  /** "upstream" splits on the bytes "===\n" anywhere, as calicoctl does; default: whole lines only. */
  mode?: QuirkMode;
}

/**
 * Parses and validates a whole export file before anything is written anywhere, so a broken file
 * never half-imports. Errors are one line naming the file, the section and the line.
 */
export function parseExport(text: string, fileName: string, options: ParseOptions = {}): ParsedExport {
  const sections = splitSections(text, fileName, options.mode ?? "storeshift");
  const [resourcesSection, clusterSection, ipamSection] = sections;
  if (!resourcesSection || !clusterSection || !ipamSection) throw new Error("unreachable");
  return {
    resources: parseResourcesSection(
      resourcesSection.text,
      fileName,
      resourcesSection.line,
      options.mode ?? "storeshift",
    ),
    clusterInformation: parseClusterSection(clusterSection.text, fileName, clusterSection.line),
    ipam: parseIpamSection(ipamSection.text, fileName, ipamSection.line),
  };
}

interface Section {
  text: string;
  /** 1-based line of the section's first line in the file. */
  line: number;
}

function splitSections(text: string, fileName: string, mode: QuirkMode): Section[] {
  const improper = (detail: string) =>
    new InputError(
      `imported file: ${fileName} is improperly formatted (${detail}). Try recreating with 'calicoctl export'`,
    );
  if (mode === "upstream") {
    const chunks = text.split(`${SECTION_SEPARATOR}\n`);
    if (chunks.length !== 3) throw improper(`${chunks.length} sections split on "===\\n", expected 3`);
    let line = 1;
    return chunks.map((chunk) => {
      const s = { text: chunk, line };
      line += chunk.split("\n").length;
      return s;
    });
  }
  const lines = text.split("\n");
  const sections: Section[] = [];
  let start = 0;
  lines.forEach((l, i) => {
    if (l.replace(/\r$/, "") === SECTION_SEPARATOR) {
      sections.push({ text: lines.slice(start, i).join("\n"), line: start + 1 });
      start = i + 1;
    }
  });
  sections.push({ text: lines.slice(start).join("\n"), line: start + 1 });
  if (sections.length !== 3)
    throw improper(`${sections.length} sections separated by "===" lines, expected 3`);
  return sections;
}

function parseResourcesSection(
  text: string,
  fileName: string,
  firstLine: number,
  mode: QuirkMode,
): V3Object[] {
  const out: V3Object[] = [];
  // calicoctl applies a second copy as an update of the first; an export never holds one, so a copy
  // means a hand-edited or concatenated file, refused before anything is written. Several etcd Nodes
  // may map to one Kubernetes Node, so Node names may repeat.
  const seen = new Map<string, string>();
  const add = (obj: V3Object, where: string) => {
    if (mode === "storeshift" && obj.kind !== "Node") {
      const ns = obj.metadata.namespace ? `${obj.metadata.namespace}/` : "";
      const id = `${obj.kind} ${ns}${obj.metadata.name}`;
      const first = seen.get(id);
      if (first !== undefined) throw new InputError(`${where}: duplicate ${id} (first in ${first})`);
      seen.set(id, where.replace(/^parse [^:]*: resources section, /, ""));
    }
    out.push(obj);
  };
  // A "---" line at column 0 always ends a document (inside a block scalar it would be indented,
  // and a flow scalar may not contain a document marker), so documents are split by line and each
  // parsed on its own: errors then name the document's line in the file.
  const lines = text.split("\n");
  const docs: { text: string; line: number }[] = [];
  let start = 0;
  lines.forEach((l, i) => {
    if (/^---\s*$/.test(l)) {
      docs.push({ text: lines.slice(start, i).join("\n"), line: firstLine + start });
      start = i + 1;
    }
  });
  docs.push({ text: lines.slice(start).join("\n"), line: firstLine + start });
  for (const doc of docs) {
    let value: unknown;
    try {
      value = load(doc.text, { schema: CORE_SCHEMA });
    } catch (err) {
      const e = err as YAMLException;
      const line = doc.line + (e.mark?.line ?? 0);
      throw new InputError(
        `parse ${fileName}: resources section, line ${line}: ${e.reason ?? e.message.split("\n")[0]}`,
      );
    }
    if (value === null || value === undefined) continue;
    const where = `parse ${fileName}: resources section, document at line ${doc.line}`;
    if (!isObject(value)) throw new InputError(`${where}: not a mapping`);
    if (typeof value.kind === "string" && value.kind.endsWith("List") && "items" in value) {
      const items = value.items ?? [];
      if (!Array.isArray(items)) throw new InputError(`${where}: items is not a list`);
      items.forEach((item, i) => {
        const itemWhere = `${where} (${value.kind} item ${i})`;
        add(validateResource(item, itemWhere), itemWhere);
      });
    } else {
      add(validateResource(value, where), where);
    }
  }
  return out;
}

const exportedKinds = new Set(EXPORTED_KINDS.map((k) => k.kind));

function validateResource(value: unknown, where: string): V3Object {
  if (!isObject(value)) throw new InputError(`${where}: not a mapping`);
  if (value.apiVersion !== V3_API_VERSION)
    throw new InputError(`${where}: apiVersion ${String(value.apiVersion)}, expected ${V3_API_VERSION}`);
  if (typeof value.kind !== "string" || !exportedKinds.has(value.kind))
    throw new InputError(`${where}: kind ${String(value.kind)} is not one the migration imports`);
  const meta = value.metadata;
  if (!isObject(meta) || typeof meta.name !== "string" || meta.name === "")
    throw new InputError(`${where}: ${value.kind} without metadata.name`);
  const obj = value as unknown as V3Object;
  // calicoctl apply puts a namespaced resource without a namespace into "default"
  if (kindByName(obj.kind)?.scope === "Namespaced" && !obj.metadata.namespace)
    return { ...obj, metadata: { ...obj.metadata, namespace: "default" } };
  return obj;
}

function parseJsonSection(text: string, fileName: string, firstLine: number, section: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const pos = /position (\d+)/.exec(message);
    const line = pos?.[1] ? firstLine + text.slice(0, Number(pos[1])).split("\n").length - 1 : firstLine;
    throw new InputError(`parse ${fileName}: ${section} section, line ${line}: ${message.split("\n")[0]}`);
  }
}

function parseClusterSection(text: string, fileName: string, firstLine: number): V3Object {
  const value = parseJsonSection(text, fileName, firstLine, "ClusterInformation");
  if (!isObject(value) || value.kind !== "ClusterInformation" || !isObject(value.spec))
    throw new InputError(
      `parse ${fileName}: ClusterInformation section, line ${firstLine}: not a ClusterInformation object`,
    );
  return value as unknown as V3Object;
}

function parseIpamSection(text: string, fileName: string, firstLine: number): IpamExport {
  const value = parseJsonSection(text, fileName, firstLine, "IPAM");
  const where = `parse ${fileName}: IPAM section, line ${firstLine}`;
  if (!isObject(value)) throw new InputError(`${where}: not a JSON object`);
  for (const field of Object.keys(value)) {
    if (!["block_affinities", "blocks", "handles", "config"].includes(field))
      throw new InputError(`${where}: unknown field "${field}"`);
  }
  const checkEntry = (entry: unknown, label: string) => {
    if (!isObject(entry) || typeof entry.Key !== "string" || !isObject(entry.Value))
      throw new InputError(`${where}: ${label} is not a {Key, Value, TTL} entry`);
  };
  for (const field of ["block_affinities", "blocks", "handles"] as const) {
    const list = value[field];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) throw new InputError(`${where}: ${field} is not a list`);
    list.forEach((e, i) => {
      checkEntry(e, `${field}[${i}]`);
    });
  }
  if (value.config !== undefined && value.config !== null) checkEntry(value.config, "config");
  return value as IpamExport;
}

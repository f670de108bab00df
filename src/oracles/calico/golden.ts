import { readFile } from "node:fs/promises";
import { parse, stringify } from "yaml";
import { InputError } from "../../common/errors.js";
import { V3_METADATA_ANNOTATION } from "./facts.js";
import type { KubeCalicoObject, KubeCalicoState } from "./read.js";

/**
 * Golden targets: the Kubernetes objects a forward migration of a bundled fixture must leave, as
 * reviewed YAML (fixtures/calico/golden/). Recorded once with the real calicoctl, corrected by hand
 * where upstream has a documented quirk (each correction commented in the file), and compared field
 * by field after normalisation, which only removes what the API server or the clock writes.
 */

export const GOLDEN_FORMAT = "storeshift/calico-golden/v1";

export interface GoldenObject {
  kind: string;
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** The projectcalico.org/metadata annotation, parsed, without its creationTimestamp. */
  v3metadata?: Record<string, unknown>;
  spec?: unknown;
  status?: unknown;
}

export interface GoldenTarget {
  format: string;
  fixture: string;
  objects: GoldenObject[];
  /** core/v1 Nodes that carry projectcalico.org annotations, with only those annotations. */
  nodes: { name: string; annotations: Record<string, string> }[];
}

/**
 * The documented normalisation (docs/oracles.md): server fields (uid, resourceVersion, generation,
 * creationTimestamp, managedFields) are never read; the creation time inside the v3 metadata
 * annotation is the import's clock and is dropped; Node annotations other than projectcalico.org/ are
 * the cluster's own. Everything else is compared as it is.
 */
export function normalise(state: KubeCalicoState, fixture: string): GoldenTarget {
  const objects = state.objects.map(normaliseObject).sort((a, b) => (idOf(a) < idOf(b) ? -1 : 1));
  const nodes = state.nodes
    .map((n) => ({
      name: n.name,
      annotations: Object.fromEntries(
        Object.entries(n.annotations)
          .filter(([k]) => k.startsWith("projectcalico.org/"))
          .sort(([a], [b]) => (a < b ? -1 : 1)),
      ),
    }))
    .filter((n) => Object.keys(n.annotations).length > 0)
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  return { format: GOLDEN_FORMAT, fixture, objects, nodes };
}

function normaliseObject(o: KubeCalicoObject): GoldenObject {
  const out: GoldenObject = { kind: o.kind, name: o.name };
  if (o.namespace) out.namespace = o.namespace;
  if (o.labels && Object.keys(o.labels).length > 0) out.labels = o.labels;
  const annotations = { ...(o.annotations ?? {}) };
  const stored = annotations[V3_METADATA_ANNOTATION];
  delete annotations[V3_METADATA_ANNOTATION];
  if (Object.keys(annotations).length > 0) out.annotations = annotations;
  if (stored !== undefined) {
    const meta = JSON.parse(stored) as Record<string, unknown>;
    delete meta.creationTimestamp;
    out.v3metadata = meta;
  }
  if (o.spec !== undefined) out.spec = o.spec;
  if (o.status !== undefined) out.status = o.status;
  return out;
}

export function idOf(o: { kind: string; name: string; namespace?: string }): string {
  return `${o.kind}/${o.namespace ? `${o.namespace}/` : ""}${o.name}`;
}

export async function loadGolden(path: string): Promise<GoldenTarget> {
  let doc: unknown;
  try {
    doc = parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new InputError(`golden target ${path}: ${(err as Error).message.split("\n")[0]}`);
  }
  const g = doc as Partial<GoldenTarget> | null;
  if (g?.format !== GOLDEN_FORMAT || !Array.isArray(g.objects) || !Array.isArray(g.nodes))
    throw new InputError(`golden target ${path}: not ${GOLDEN_FORMAT} (format, fixture, objects, nodes)`);
  return g as GoldenTarget;
}

export function renderGolden(target: GoldenTarget): string {
  return stringify(target, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Every difference, one line each: objects missing or unexpected, then field paths that differ. */
export function compareGolden(expected: GoldenTarget, actual: GoldenTarget): string[] {
  const out: string[] = [];
  const index = (list: { id: string; value: unknown }[]) => new Map(list.map((x) => [x.id, x.value]));
  const want = index([
    ...expected.objects.map((o) => ({ id: idOf(o), value: o })),
    ...expected.nodes.map((n) => ({ id: `core/v1 Node/${n.name}`, value: n })),
  ]);
  const have = index([
    ...actual.objects.map((o) => ({ id: idOf(o), value: o })),
    ...actual.nodes.map((n) => ({ id: `core/v1 Node/${n.name}`, value: n })),
  ]);
  for (const id of want.keys()) if (!have.has(id)) out.push(`${id}: missing from Kubernetes`);
  for (const id of have.keys()) if (!want.has(id)) out.push(`${id}: in Kubernetes, not in the golden target`);
  for (const [id, w] of want) if (have.has(id)) diffValue(id, w, have.get(id), out);
  return out;
}

function diffValue(path: string, want: unknown, have: unknown, out: string[]): void {
  if (isPlainObject(want) && isPlainObject(have)) {
    for (const k of new Set([...Object.keys(want), ...Object.keys(have)]))
      diffValue(`${path}.${k}`, want[k], have[k], out);
    return;
  }
  if (Array.isArray(want) && Array.isArray(have) && want.length === have.length) {
    for (const [i, w] of want.entries()) diffValue(`${path}[${i}]`, w, have[i], out);
    return;
  }
  if (JSON.stringify(want) !== JSON.stringify(have))
    out.push(
      `${path}: golden ${JSON.stringify(want) ?? "absent"}, Kubernetes ${JSON.stringify(have) ?? "absent"}`,
    );
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

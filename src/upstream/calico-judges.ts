import { checkCompleteness, nodeRenames } from "../oracles/calico/completeness.js";
import { TUNNEL_HANDLE_PREFIXES, V3_METADATA_ANNOTATION } from "../oracles/calico/facts.js";
import { checkIntegrity } from "../oracles/calico/integrity.js";
import type { KubeCalicoObject, KubeCalicoState, RawEntry } from "../oracles/calico/read.js";

/**
 * Judges of the Calico upstream cases: given what a migration left in both stores, did the bug the
 * case describes show? Pure functions over raw etcd entries and Kubernetes objects as the plain
 * clients read them (src/oracles/calico), so a judge shares no code with the migrators it judges.
 */

export type Tool = "storeshift" | "calicoctl";

/** How far a forward migration (lock, export, import) got, and what the tool said. */
export interface ForwardAttempt {
  /** The phase that failed ("lock", "export", "import"); absent when all three succeeded. */
  failedAt?: string;
  message?: string;
  /** What a failed export had already printed (calicoctl writes the file to stdout as it goes). */
  partialExport?: string;
  exportText?: string;
  importWarnings: string[];
}

export interface CaseEvidence {
  tool: Tool;
  /** Every key under /calico/ in the source etcd now. */
  etcd: RawEntry[];
  /** The same, noted earlier by the scenario (before the migration, or at export). */
  noted?: RawEntry[];
  kube: KubeCalicoState;
  attempt?: ForwardAttempt;
  /** Node annotations a rollback said it left (storeshift's rollback lists them). */
  rollbackLeftovers?: { node: string; annotations: Record<string, string> }[];
}

export interface Judgement {
  /** The upstream bug showed. */
  shown: boolean;
  /** What showed it (or, when it did not show, notes on what was seen). */
  symptoms: string[];
  notes: string[];
}

const RESOURCES = "/calico/resources/v3/projectcalico.org/";

function judgement(symptoms: string[], notes: string[] = []): Judgement {
  return { shown: symptoms.length > 0, symptoms, notes };
}

function failure(a: ForwardAttempt | undefined): string[] {
  if (!a) return [];
  return a.failedAt ? [`the migration failed at ${a.failedAt}: ${a.message ?? "(no message)"}`] : [];
}

function completeness(e: CaseEvidence, keyFilter: (key: string) => boolean = () => true): string[] {
  const source = e.etcd.filter(
    (r) => (r.key.startsWith(RESOURCES) || r.key.startsWith("/calico/ipam/v2/")) && keyFilter(r.key),
  );
  return checkCompleteness(source, e.kube).missing.map((m) => `not migrated: ${m.key} (${m.problem})`);
}

/** What a passing verdict says it checked: the raw scan's counts. */
function scanned(e: CaseEvidence): string {
  const source = e.etcd.filter((r) => r.key.startsWith(RESOURCES) || r.key.startsWith("/calico/ipam/v2/"));
  const r = checkCompleteness(source, e.kube);
  return `${r.migrated.length} etcd keys reached Kubernetes, ${r.excluded.length} excluded with their reason, ${r.missing.length} missing`;
}

function integrity(e: CaseEvidence): string[] {
  return checkIntegrity(e.kube).map((d) => `${d.object}: ${d.problem}`);
}

function label(o: KubeCalicoObject): string {
  return `${o.kind} ${o.namespace ? `${o.namespace}/` : ""}${o.name}`;
}

/** Calico objects in Kubernetes that still name an etcd node name the migration had to rename. */
function etcdNamesLeft(e: CaseEvidence): string[] {
  const out: string[] = [];
  for (const [etcdName, k8sName] of nodeRenames(e.etcd)) {
    if (etcdName === k8sName) continue;
    for (const o of e.kube.objects)
      if (JSON.stringify({ name: o.name, spec: o.spec }).includes(etcdName))
        out.push(`${label(o)} still names etcd node ${etcdName} (Kubernetes name ${k8sName})`);
  }
  return out;
}

/** A tunnel address handle is named after its node: the suffix must equal the attribute's node. */
function tunnelHandleMismatches(e: CaseEvidence): string[] {
  const out: string[] = [];
  for (const b of e.kube.objects.filter((o) => o.kind === "IPAMBlock")) {
    const attrs = ((b.spec as { attributes?: unknown[] } | undefined)?.attributes ?? []) as {
      handle_id?: string;
      secondary?: { node?: string };
    }[];
    for (const a of attrs) {
      const prefix = TUNNEL_HANDLE_PREFIXES.find((p) => a.handle_id?.startsWith(p));
      if (!prefix || !a.secondary?.node) continue;
      const suffix = a.handle_id?.slice(prefix.length);
      if (suffix !== a.secondary.node)
        out.push(
          `${label(b)}: tunnel handle ${a.handle_id} does not carry its node name ${a.secondary.node}`,
        );
    }
  }
  return out;
}

interface SourceNode {
  name: string;
  k8s?: string;
  ipv4?: string;
}

function sourceNodes(etcd: RawEntry[]): SourceNode[] {
  return etcd
    .filter((r) => r.key.startsWith(`${RESOURCES}nodes/`))
    .map((r) => {
      const n = JSON.parse(r.value) as {
        metadata: { name: string };
        spec?: { orchRefs?: { orchestrator?: string; nodeName?: string }[]; bgp?: { ipv4Address?: string } };
      };
      const k8s = (n.spec?.orchRefs ?? []).filter((o) => o.orchestrator === "k8s").at(-1)?.nodeName;
      return { name: n.metadata.name, k8s: k8s || undefined, ipv4: n.spec?.bgp?.ipv4Address };
    });
}

/** What the target holds of a migration: Calico CRDs and projectcalico.org annotations on Nodes. */
function writtenToKube(kube: KubeCalicoState): string[] {
  const annotated = kube.nodes
    .filter((n) => Object.keys(n.annotations).some((a) => a.startsWith("projectcalico.org/")))
    .map((n) => `Node ${n.name} annotations`);
  return [
    ...kube.objects.map(label),
    ...(kube.crds.length ? [`${kube.crds.length} Calico CRDs`] : []),
    ...annotated,
  ];
}

function firstFew(items: string[], n = 4): string {
  return items.length <= n
    ? items.join(", ")
    : `${items.slice(0, n).join(", ")} and ${items.length - n} more`;
}

/** C-01, C-02: every reference renamed from the etcd node name to the Kubernetes one. */
function renamed(e: CaseEvidence): Judgement {
  const renames = [...nodeRenames(e.etcd)].filter(([a, b]) => a !== b).map(([a, b]) => `${a} → ${b}`);
  return judgement(
    [
      ...failure(e.attempt),
      ...completeness(e),
      ...integrity(e),
      ...etcdNamesLeft(e),
      ...tunnelHandleMismatches(e),
    ],
    [
      `renamed ${renames.join(", ")}`,
      scanned(e),
      "every reference resolves; tunnel handles carry their node's name",
    ],
  );
}

/** C-03: colliding nodes are refused before any write, or kept apart; never silently merged. */
function collision(e: CaseEvidence): Judgement {
  const nodes = sourceNodes(e.etcd);
  const byTarget = new Map<string, SourceNode[]>();
  for (const n of nodes) if (n.k8s) byTarget.set(n.k8s, [...(byTarget.get(n.k8s) ?? []), n]);
  const collisions = [...byTarget].filter(([, from]) => from.length > 1);
  const notes = collisions.map(([k8s, from]) => `${from.map((f) => f.name).join(" and ")} → ${k8s}`);
  const a = e.attempt;
  if (a?.failedAt) {
    const written = writtenToKube(e.kube);
    const unnamed = collisions.flatMap(([, from]) => from.filter((f) => !a.message?.includes(f.name)));
    const symptoms = [
      ...(written.length ? [`refused at ${a.failedAt} only after writing: ${firstFew(written)}`] : []),
      ...unnamed.map((f) => `the refusal does not name etcd Node ${f.name}: ${a.message}`),
    ];
    return judgement(symptoms, [`refused at ${a.failedAt}: ${a.message}`, ...notes]);
  }
  const symptoms: string[] = [];
  for (const [k8s, from] of collisions) {
    const own = from.find((f) => f.name === k8s);
    const node = e.kube.nodes.find((n) => n.name === k8s);
    const got = node?.annotations["projectcalico.org/IPv4Address"];
    if (own && got !== own.ipv4)
      symptoms.push(
        `Kubernetes Node ${k8s} carries IPv4Address ${got ?? "nothing"}, not its own ${own.ipv4}`,
      );
    const warned = (a?.importWarnings ?? []).some((w) => from.every((f) => w.includes(f.name)));
    if (!warned)
      symptoms.push(`nothing reported that ${from.map((f) => f.name).join(" and ")} both map to ${k8s}`);
  }
  return judgement(symptoms, notes);
}

/** C-04: shape A (no k8s orchRef) must fail the export whole; shape B must report orphaned IPAM. */
function orchRefs(e: CaseEvidence): Judgement {
  const nodes = sourceNodes(e.etcd);
  const a = e.attempt;
  const without = nodes.filter((n) => !n.k8s);
  if (without.length > 0) {
    const symptoms: string[] = [];
    if (a?.failedAt !== "export")
      symptoms.push(
        `export did not fail on Node ${without[0]?.name} without a k8s orchRef (${a?.failedAt ?? "it succeeded"})`,
      );
    const partial = a?.partialExport ?? "";
    if (partial.trim() !== "") {
      const lists = (partial.match(/^kind: \w+List$/gm) ?? []).length;
      symptoms.push(
        `the failed export had already printed ${partial.length} bytes (${lists} Lists): \`export > file\` leaves a plausible partial file`,
      );
    }
    return judgement(symptoms, a?.message ? [`export: ${a.message}`] : []);
  }
  const kubeNodes = new Set(e.kube.nodes.map((n) => n.name));
  const missing = nodes.filter((n) => n.k8s && !kubeNodes.has(n.k8s)).map((n) => n.k8s as string);
  const symptoms = [...failure(a)];
  for (const node of missing) {
    const orphans = e.kube.objects.filter(
      (o) =>
        (o.kind === "BlockAffinity" && (o.spec as { node?: string }).node === node) ||
        (o.kind === "IPAMBlock" && (o.spec as { affinity?: string }).affinity === `host:${node}`),
    );
    const reported = (a?.importWarnings ?? []).some((w) => w.includes(node) && /orphan/i.test(w));
    if (orphans.length > 0 && !reported)
      symptoms.push(
        `IPAM of skipped node ${node} was created and not reported as orphaned: ${firstFew(orphans.map(label))}`,
      );
  }
  return judgement(symptoms, (a?.importWarnings ?? []).slice(0, 4));
}

/** C-05: knp.default.* mirrors are neither exported nor refused on, nor stored as Calico CRs. */
function knpMirrors(e: CaseEvidence): Judgement {
  const mirrors = e.etcd
    .filter((r) => r.key.startsWith(`${RESOURCES}networkpolicies/`) && r.key.includes("/knp.default."))
    .map((r) => r.key.split("/").slice(-1)[0] ?? "");
  const symptoms = [...failure(e.attempt)];
  for (const m of mirrors) {
    if (e.attempt?.exportText?.includes(m)) symptoms.push(`the export carries ${m}`);
    if (e.kube.objects.some((o) => o.kind === "NetworkPolicy" && o.name === m))
      symptoms.push(`Kubernetes holds a Calico NetworkPolicy CR ${m}`);
  }
  return judgement(
    symptoms,
    mirrors.map((m) => `etcd mirror ${m}`),
  );
}

/** C-10: annotation values with "===" survive the round trip byte for byte. */
function delimiter(e: CaseEvidence): Judgement {
  const symptoms = [...failure(e.attempt)];
  if (e.attempt?.failedAt) return judgement(symptoms);
  for (const r of e.etcd.filter((x) => x.key.startsWith(RESOURCES))) {
    const o = JSON.parse(r.value) as {
      kind: string;
      metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
    };
    for (const [k, v] of Object.entries(o.metadata.annotations ?? {})) {
      if (!v.includes("===")) continue;
      const cr = e.kube.objects.find(
        (c) =>
          c.kind === o.kind &&
          (c.name === o.metadata.name || c.name.endsWith(`.${o.metadata.name}`)) &&
          c.namespace === o.metadata.namespace,
      );
      const meta = cr?.annotations?.[V3_METADATA_ANNOTATION];
      const kept =
        cr?.annotations?.[k] ??
        (meta ? (JSON.parse(meta) as { annotations?: Record<string, string> }).annotations?.[k] : undefined);
      if (kept !== v)
        symptoms.push(
          `${o.kind} ${o.metadata.name} annotation ${k}: etcd ${JSON.stringify(v)}, Kubernetes ${kept === undefined ? "absent" : JSON.stringify(kept)}`,
        );
    }
  }
  return judgement(symptoms, ['every annotation value holding "===" arrived byte for byte']);
}

/** C-11: a failed import leaves the target as it found it; a successful one migrates everything. */
function atomicImport(e: CaseEvidence): Judgement {
  const a = e.attempt;
  if (a?.failedAt === "import") {
    const written = writtenToKube(e.kube).filter((w) => !w.endsWith("Calico CRDs"));
    return judgement(
      written.length
        ? [`import failed (${a.message}) yet wrote ${written.length} objects: ${firstFew(written)}`]
        : [],
      [`import failed: ${a.message}`],
    );
  }
  return judgement([...failure(a), ...completeness(e)], a?.importWarnings.slice(0, 2) ?? []);
}

/**
 * C-12: a calicoctl config file that says etcdv3 beside DATASTORE_TYPE=kubernetes. Upstream's
 * report: the file wins and import refuses with "Invalid datastore type". Writing anything first
 * would be worse than the report.
 */
function configFile(e: CaseEvidence): Judgement {
  const a = e.attempt;
  const written = writtenToKube(e.kube);
  const symptoms: string[] = [];
  if (a?.failedAt === "import" && /datastore type/i.test(a.message ?? ""))
    symptoms.push(`the config file's etcdv3 won over DATASTORE_TYPE=kubernetes: ${a.message}`);
  if (written.length) symptoms.push(`Kubernetes was written to: ${firstFew(written)}`);
  return judgement(symptoms, a?.failedAt ? [] : ["the import used DATASTORE_TYPE=kubernetes"]);
}

/** C-13: keys written after the export (noted then) that never reached Kubernetes. */
function lateWrites(e: CaseEvidence): Judgement {
  const before = new Map((e.noted ?? []).map((r) => [r.key, r.value]));
  const late = e.etcd.filter(
    (r) => before.get(r.key) !== r.value && !r.key.endsWith("/clusterinformations/default"),
  );
  const lost = late.length === 0 ? [] : completeness(e, (key) => late.some((l) => l.key === key));
  const notes = [
    `${late.length} key(s) written to etcd after the export: ${firstFew(late.map((l) => l.key))}`,
  ];
  if (e.tool === "storeshift")
    // no export/import migrator can carry a write made after its export (the lock is advisory, as
    // upstream documents); what storeshift adds is that the loss is reported, here
    return judgement(
      [...failure(e.attempt)],
      [...notes, lost.length ? `reported as lost: ${firstFew(lost)}` : "every late write reached Kubernetes"],
    );
  return judgement(lost.length ? [`lost without a word from the tool: ${firstFew(lost)}`] : [], notes);
}

/** C-14: IPAM attribute fields (alternateOwnerAttrs, releasedAt; handle_id omitted) survive. */
function ipamFields(e: CaseEvidence): Judgement {
  const symptoms = [...failure(e.attempt)];
  const blocks = e.etcd.filter((r) => r.key.startsWith("/calico/ipam/v2/assignment/"));
  const notes = [
    `every attribute field of ${blocks.length} block(s) arrived (releasedAt, alternateOwnerAttrs, no handle_id)`,
  ];
  for (const r of blocks) {
    const v = JSON.parse(r.value) as { cidr: string; attributes?: Record<string, unknown>[] };
    const cr = e.kube.objects.find(
      (o) => o.kind === "IPAMBlock" && (o.spec as { cidr?: string }).cidr === v.cidr,
    );
    const got = ((cr?.spec as { attributes?: Record<string, unknown>[] } | undefined)?.attributes ?? []).map(
      withoutNulls,
    );
    (v.attributes ?? []).map(withoutNulls).forEach((want, i) => {
      for (const field of Object.keys(want))
        if (JSON.stringify(got[i]?.[field]) !== JSON.stringify(want[field]))
          symptoms.push(
            `IPAMBlock ${v.cidr} attribute ${i} ${field}: etcd ${JSON.stringify(want[field])}, Kubernetes ${JSON.stringify(got[i]?.[field]) ?? "absent"}`,
          );
    });
  }
  return judgement(symptoms, notes);
}

function withoutNulls(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
}

/** C-15: after rollback etcd is as it was (bar the lock flag), no CRDs remain, residue is listed. */
function rollbackResidue(e: CaseEvidence): Judgement {
  const symptoms: string[] = [];
  const before = new Map((e.noted ?? []).map((r) => [r.key, r.value]));
  const now = new Map(e.etcd.map((r) => [r.key, r.value]));
  for (const key of new Set([...before.keys(), ...now.keys()])) {
    if (before.get(key) === now.get(key)) continue;
    if (key.endsWith("/clusterinformations/default") && before.has(key) && now.has(key)) {
      const strip = (v: string) => {
        const o = JSON.parse(v) as { spec?: Record<string, unknown> };
        return JSON.stringify({ ...o, spec: { ...o.spec, datastoreReady: undefined } });
      };
      if (strip(before.get(key) as string) === strip(now.get(key) as string)) continue;
    }
    symptoms.push(
      `etcd ${key} ${!before.has(key) ? "added" : !now.has(key) ? "deleted" : "changed"} by the round trip`,
    );
  }
  if (e.kube.crds.length) symptoms.push(`${e.kube.crds.length} Calico CRDs left: ${firstFew(e.kube.crds)}`);
  const residue = e.kube.nodes.flatMap((n) =>
    Object.keys(n.annotations)
      .filter((a) => a.startsWith("projectcalico.org/"))
      .map((a) => `${n.name}: ${a}`),
  );
  const listed = new Set(
    (e.rollbackLeftovers ?? []).flatMap((l) => Object.keys(l.annotations).map((a) => `${l.node}: ${a}`)),
  );
  if (e.tool === "calicoctl") {
    // calicoctl has no rollback command: the guide's kubectl steps leave the annotations, unlisted
    if (residue.length)
      symptoms.push(`the guide's rollback leaves ${residue.length} Node annotations: ${firstFew(residue)}`);
  } else {
    const unlisted = residue.filter((r) => !listed.has(r));
    if (unlisted.length)
      symptoms.push(`rollback left Node annotations it did not list: ${firstFew(unlisted)}`);
  }
  return judgement(
    symptoms,
    residue.length ? [`residue on core/v1 Nodes: ${firstFew(residue)}`] : ["no residue"],
  );
}

/** C-06, C-07, C-08, C-09: every key of the source reached Kubernetes, references resolve. */
function everything(e: CaseEvidence): Judgement {
  return judgement(
    [...failure(e.attempt), ...completeness(e), ...integrity(e)],
    [scanned(e), "every reference resolves"],
  );
}

const JUDGES: Record<string, (e: CaseEvidence) => Judgement> = {
  "C-01": renamed,
  "C-02": renamed,
  "C-03": collision,
  "C-04": orchRefs,
  "C-05": knpMirrors,
  "C-06": everything,
  "C-07": everything,
  "C-08": everything,
  "C-09": everything,
  "C-10": delimiter,
  "C-11": atomicImport,
  "C-12": configFile,
  "C-13": lateWrites,
  "C-14": ipamFields,
  "C-15": rollbackResidue,
};

export function judgeCalicoCase(id: string, evidence: CaseEvidence): Judgement {
  const judge = JUDGES[id];
  if (!judge) throw new Error(`upstream case ${id}: no judge (judged: ${Object.keys(JUDGES).join(", ")})`);
  return judge(evidence);
}

import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CoreV1Api } from "@kubernetes/client-node";
import { type Binary, isMissing, locate } from "../src/binaries/locate.js";
import { prepareKubeTarget, readCalicoFromKube } from "../src/calico/api.js";
import { type CalicoFixture, loadFixture, seedCalicoEtcd } from "../src/calico/fixture.js";
import { generateFixture, randomSeed } from "../src/calico/generate.js";
import { loadCrdManifests } from "../src/calico/kube/crds.js";
import type { V3Object } from "../src/calico/model.js";
import type { EtcdLine, StartedLocalEtcd } from "../src/providers/etcd/local-etcd.js";
import { step } from "./support/define.js";
import { calicoMigratorFor } from "./support/migrators.js";
import type { StoreshiftWorld } from "./support/world.js";

const area = "Calico: etcdv3 → Kubernetes datastore";

/** The etcd line that serves a Calico source of each etcd 3.x minor. */
const ETCD_LINES: Record<number, EtcdLine> = { 4: "v2-capable", 5: "3.5", 6: "current" };

export function sourceName(world: StoreshiftWorld): string {
  return world.calico.source.get();
}

async function seed(
  world: StoreshiftWorld,
  name: string,
  fixture: CalicoFixture,
  line: EtcdLine = "current",
): Promise<StartedLocalEtcd> {
  const etcd = await world.useEtcd(name, { etcd: "v3", members: 1, line });
  world.calico.fixture.set(fixture);
  world.calico.source.set(name);
  await world.record.phase("seed Calico etcd", () => seedCalicoEtcd(world.endpoints(name), fixture));
  return etcd;
}

/**
 * The worker's control plane (with `binary`, one running that kube-apiserver), given the core/v1
 * Nodes and Namespaces of the scenario's fixture; Nodes it created are deleted after the scenario.
 */
export async function kubeWithFixtureNodes(world: StoreshiftWorld, binary?: Binary): Promise<void> {
  const what = binary
    ? `provision control plane (kube-apiserver ${binary.version})`
    : "provision control plane";
  const kube = await world.record.phase(what, () => world.useKube(binary));
  const fixture = world.calico.fixture.get();
  const core = kube.kubeConfig().makeApiClient(CoreV1Api);
  const existing = new Set((await core.listNode()).items.map((n) => n.metadata?.name ?? ""));
  await world.record.phase("prepare Kubernetes target", () => prepareKubeTarget(kube.kubeConfig(), fixture));
  for (const n of fixture.kubernetesNodes) if (!existing.has(n)) world.createdNodes.add(n);
}

/** A Calico object of a kind, by "name" or "namespace/name", decoded from Kubernetes; undefined if absent. */
async function findInKube(world: StoreshiftWorld, kind: string, ref: string): Promise<V3Object | undefined> {
  const data = await readCalicoFromKube(world.kube().kubeConfig());
  const [ns, name] = ref.includes("/") ? ref.split("/") : [undefined, ref];
  return data.resources.find(
    (r) => r.kind === kind && r.metadata.name === name && (ns === undefined || r.metadata.namespace === ns),
  );
}

/** Runs a step's work and keeps its error for a later "it failed with" step instead of failing now. */
async function attempt(world: StoreshiftWorld, work: () => Promise<void>): Promise<void> {
  world.lastError = undefined;
  try {
    await work();
  } catch (err) {
    world.lastError = err instanceof Error ? err : new Error(String(err));
  }
}

step(
  "Given",
  "Calico data from {string} in etcd {string}",
  {
    area,
    example: 'Given Calico data from "calico/dataset.yaml" in etcd "source"',
    doc: "Seeds a pooled etcd 3.6 from a fixture (path under the fixture root), writing keys and JSON values exactly as libcalico-go's etcdv3 backend stores them.",
  },
  async function (file: string, name: string) {
    await seed(this, name, await loadFixture(await this.fixturePath(file)));
  },
);

step(
  "Given",
  "Calico data from {string} in etcd {int}.{int} {string}",
  {
    area,
    example: 'Given Calico data from "calico/dataset.yaml" in etcd 3.4 "source"',
    doc: "As above, on a chosen etcd line: 3.4 (Debian's 3.4.23, v3 API), 3.5 (storeshift's 3.5 build, as the lifecycle suite's upgrade step uses it) or 3.6; for Scenario Outlines across etcd versions. Without the 3.5 build a 3.5 row is not run, with the reason.",
  },
  async function (file: string, major: number, minor: number, name: string) {
    const line = major === 3 ? ETCD_LINES[minor] : undefined;
    if (!line) throw new Error(`etcd ${major}.${minor}: storeshift has 3.4, 3.5 and 3.6`);
    if (line === "3.5") {
      const found = await locate("etcd-3.5");
      if (isMissing(found)) {
        this.record.reason = `needs etcd 3.5: ${found.reason}`;
        return "skipped";
      }
    }
    const fixture = await loadFixture(await this.fixturePath(file));
    const etcd = await seed(this, name, fixture, line);
    // a row of an outline across etcd lines says which release served it
    this.record.variants.push(`etcd ${etcd.version}`);
    return undefined;
  },
);

step(
  "Given",
  "Calico data from {string} in an etcd container {string}",
  {
    area,
    example: 'Given Calico data from "calico/dataset.yaml" in an etcd container "source"',
    doc: "As above, with the source etcd 3.6 in a container (testcontainers, host network, 127.0.0.1); @needs-docker.",
  },
  async function (file: string, name: string) {
    const fixture = await loadFixture(await this.fixturePath(file));
    await this.record.phase(`provision etcd container ${name}`, () => this.useEtcdContainer(name, {}));
    this.calico.fixture.set(fixture);
    this.calico.source.set(name);
    await this.record.phase("seed Calico etcd", () => seedCalicoEtcd(this.endpoints(name), fixture));
  },
);

step(
  "Given",
  "{int} generated Calico objects in etcd {string}",
  {
    area,
    example: 'Given 200 generated Calico objects in etcd "source"',
    doc: "Seeds generated Calico data; the seed is printed and kept in the report (set STORESHIFT_SEED to replay one).",
  },
  async function (count: number, name: string) {
    const seedValue =
      this.replaySeed("calico") ??
      (process.env.STORESHIFT_SEED ? Number(process.env.STORESHIFT_SEED) : randomSeed());
    this.record.seeds.calico = seedValue;
    this.log(`calico generator seed ${seedValue}`);
    await seed(this, name, generateFixture(count, seedValue));
  },
);

step(
  "Given",
  "a Kubernetes cluster with the fixture's nodes and namespaces",
  {
    area,
    example: "Given a Kubernetes cluster with the fixture's nodes and namespaces",
    doc: "The control plane, given the core/v1 Nodes and Namespaces a real cluster has before the import.",
  },
  async function () {
    await kubeWithFixtureNodes(this);
  },
);

step(
  "Given",
  "the real Calico CRDs from {string}",
  {
    area,
    example: 'Given the real Calico CRDs from "../shared/calico-crds"',
    doc: "Import installs these CRD manifests (a file or a directory, relative to the working directory) instead of the generated ones, so the API server enforces Calico's real schemas.",
  },
  async function (path: string) {
    this.calico.crds = await loadCrdManifests(resolve(path));
  },
);

step(
  "Given",
  "Calico's real CRDs from STORESHIFT_CALICO_CRDS",
  {
    area,
    example: "Given Calico's real CRDs from STORESHIFT_CALICO_CRDS",
    doc: "Like the step above, from the directory STORESHIFT_CALICO_CRDS names (`.ci/run` sets it); when it is unset the scenario is not run, with that reason.",
  },
  async function () {
    const dir = process.env.STORESHIFT_CALICO_CRDS;
    if (!dir) {
      this.record.reason = "needs Calico's real CRDs: STORESHIFT_CALICO_CRDS is not set";
      return "skipped";
    }
    this.calico.crds = await loadCrdManifests(resolve(dir));
    return undefined;
  },
);

step(
  "Given",
  "the Kubernetes Node {string} is missing",
  {
    area,
    example: 'Given the Kubernetes Node "node2" is missing',
    doc: "Deletes a core/v1 Node before the import, as when a node left the cluster.",
  },
  async function (name: string) {
    await this.kube().kubeConfig().makeApiClient(CoreV1Api).deleteNode({ name });
  },
);

for (const [keyword, phrase, datastore, verb] of [
  ["When", "I lock the etcd datastore", "etcdv3", "lock"],
  ["When", "I unlock the etcd datastore", "etcdv3", "unlock"],
  ["When", "I lock the Kubernetes datastore", "kubernetes", "lock"],
  ["When", "I unlock the Kubernetes datastore", "kubernetes", "unlock"],
] as const) {
  step(
    keyword,
    phrase,
    {
      area,
      example: `${keyword} ${phrase}`,
      doc: `Sets ClusterInformation default's spec.datastoreReady to ${verb === "lock" ? "false" : "true"} in the ${datastore} datastore (lock first initialises a missing ClusterInformation).`,
    },
    async function () {
      const m = await calicoMigratorFor(this);
      await this.record.phase(`${verb} ${datastore}`, () => m[verb](datastore));
    },
  );
}

step(
  "When",
  "I export the etcd datastore",
  {
    area,
    example: "When I export the etcd datastore",
    doc: "`calicoctl datastore migrate export`: the three-section file, saved as export.yaml with the scenario.",
  },
  async function () {
    const text = await this.record.phase("export", async () => (await calicoMigratorFor(this)).export());
    this.calico.exportText.set(text);
    const file = join(await this.ensureArtifactDir(), "export.yaml");
    await writeFile(file, text);
    this.record.artifacts.push(file);
  },
);

step(
  "When",
  "I try to export the etcd datastore",
  {
    area,
    example: "When I try to export the etcd datastore",
    doc: "Exports, keeping a refusal for a Then step.",
  },
  async function () {
    await attempt(this, async () => {
      this.calico.exportText.set(await (await calicoMigratorFor(this)).export());
    });
  },
);

async function runImport(world: StoreshiftWorld): Promise<void> {
  const text = world.calico.exportText.get();
  const result = await (await calicoMigratorFor(world)).import(text);
  world.calico.imported.set(result);
  if (result.exitCode !== 0) throw new Error(result.error ?? `import exited ${result.exitCode}`);
}

step(
  "When",
  "I import the export into Kubernetes",
  {
    area,
    example: "When I import the export into Kubernetes",
    doc: "`calicoctl datastore migrate import -f`: CRDs, emptiness check, lock, resources, Node annotations, IPAM.",
  },
  async function () {
    await this.record.phase("import", () => runImport(this));
  },
);

step(
  "When",
  "I try to import the export into Kubernetes",
  {
    area,
    example: "When I try to import the export into Kubernetes",
    doc: "Imports, keeping a refusal for a Then step.",
  },
  async function () {
    await attempt(this, () => runImport(this));
  },
);

step(
  "When",
  "I roll back to etcd",
  {
    area,
    example: "When I roll back to etcd",
    doc: "The guide's rollback: lock the Kubernetes datastore, delete every Calico CRD (and so every Calico object), unlock etcd.",
  },
  async function () {
    const result = await this.record.phase("rollback", async () =>
      (await calicoMigratorFor(this)).rollback(),
    );
    this.calico.rolledBack.set(result);
  },
);

step(
  "Then",
  "it was refused with {string}",
  {
    area,
    example: 'Then it was refused with "datastore is not locked"',
    doc: "The last `try` step failed, and its one-line message contains the text.",
  },
  function (text: string) {
    assert.ok(this.lastError, "the step succeeded, but a refusal was expected");
    assert.ok(this.lastError.message.includes(text), `refusal "${this.lastError.message}" lacks "${text}"`);
  },
);

step(
  "Then",
  "the import warned that node {string} references a nonexistent Kubernetes node",
  {
    area,
    example: 'Then the import warned that node "node2" references a nonexistent Kubernetes node',
    doc: "A warning names the Calico Node and says its core/v1 Node is missing (calicoctl's wording varies by release; both names must be in one warning).",
  },
  function (node: string) {
    const result = this.calico.imported.get();
    const hit = result.warnings.some(
      (w) => new RegExp(`\\b${node}\\b`).test(w) && w.includes("nonexistent Kubernetes node"),
    );
    assert.ok(hit, `no warning names node ${node} as missing: ${JSON.stringify(result.warnings)}`);
  },
);

step(
  "Then",
  "Kubernetes holds the {word} {string}",
  {
    area,
    example: 'Then Kubernetes holds the NetworkPolicy "ns1/allow-dns"',
    doc: "A Calico object of that kind and [namespace/]name is readable from the Kubernetes datastore, decoded to its v3 form.",
  },
  async function (kind: string, ref: string) {
    assert.ok(await findInKube(this, kind, ref), `${kind} ${ref} is not in Kubernetes`);
  },
);

step(
  "Then",
  "Kubernetes lacks the {word} {string}",
  {
    area,
    example: 'Then Kubernetes lacks the StagedNetworkPolicy "prod/staged-prod"',
    doc: "No Calico object of that kind and [namespace/]name is in Kubernetes: pins down a known upstream loss, so a release that fixes (or widens) it is noticed.",
  },
  async function (kind: string, ref: string) {
    assert.equal(await findInKube(this, kind, ref), undefined, `${kind} ${ref} is in Kubernetes`);
  },
);

step(
  "Then",
  "Kubernetes holds no Calico objects",
  { area, example: "Then Kubernetes holds no Calico objects", doc: "No Calico CR of any kind is left." },
  async function () {
    const data = await readCalicoFromKube(this.kube().kubeConfig());
    assert.deepEqual(
      data.resources.map((r) => `${r.kind}/${r.metadata.name}`),
      [],
    );
  },
);

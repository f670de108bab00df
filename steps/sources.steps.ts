import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { CoreV1Api } from "@kubernetes/client-node";
import { prepareKubeTarget, readCalicoFromEtcd } from "../src/calico/api.js";
import { readV2Tree } from "../src/etcd-v2v3/v2-client.js";
import { kubeTargetOf, openSource, type SourceKind, type SourcePurpose } from "../src/sources/index.js";
import { step } from "./support/define.js";
import type { StoreshiftWorld } from "./support/world.js";

const area = "Bring your own data";

/** A user's file or dir: under the run's fixture root if there, else relative to the working directory. */
function userPath(world: StoreshiftWorld, path: string): string {
  const underRoot = join(world.params.fixtureRoot, path);
  return existsSync(underRoot) ? underRoot : resolve(path);
}

async function useSource(
  world: StoreshiftWorld,
  kind: SourceKind,
  location: string,
  purpose: SourcePurpose,
  name: string,
): Promise<void> {
  const opened = await world.record.phase(`copy ${kind} ${location}`, () =>
    openSource({ kind, location }, purpose, name),
  );
  world.log(opened.summary);
  world.etcds.set(name, opened.etcd);
  world.ownEtcds.add(opened.etcd);
  world.cleanups.push(async () => {
    if (world.ownEtcds.has(opened.etcd)) await opened.etcd.stop();
  });
  world.calico.source.set(name);
  if (opened.etcd.options.enableV2)
    world.migrations.v2Before.set(name, await readV2Tree(opened.etcd.endpoints[0] ?? "", { quorum: true }));
}

const sources: [phrase: string, kind: SourceKind, purpose: SourcePurpose, example: string, doc: string][] = [
  [
    "the etcd snapshot {string} restored as etcd {string}",
    "snapshot",
    "calico",
    'Given the etcd snapshot "prod.db" restored as etcd "source"',
    "Checks the file whole (bbolt pages, the SHA-256 `snapshot save` appends), then restores a copy with the real `etcdutl snapshot restore` into a private etcd 3.6 (or, without etcdutl, etcd 3.4's `etcdctl snapshot restore` into etcd 3.4). The file is only read.",
  ],
  [
    "the etcd data directory {string} copied as etcd {string}",
    "data-dir",
    "etcd-v2v3",
    'Given the etcd data directory "backup/member-0" copied as etcd "source"',
    "Refuses a dir a running etcd holds (its locks or a live process naming it); copies member/ (v2 store included) and starts etcd 3.4 with the v2 API on the copy as a one-member cluster.",
  ],
  [
    "the etcd v2 dump {string} seeded into etcd {string}",
    "v2-dump",
    "etcd-v2v3",
    'Given the etcd v2 dump "v2-keys.json" seeded into etcd "source"',
    "A `GET /v2/keys/?recursive=true` body, checked whole, written through the v2 API of a private etcd 3.4 (TTLs as the seconds they had left).",
  ],
  [
    "the Calico export {string} seeded into etcd {string}",
    "calico-export",
    "calico",
    'Given the Calico export "calico-export.yaml" seeded into etcd "source"',
    "A `calicoctl datastore migrate export` file, parsed whole, written back into etcd under libcalico-go's keys, so the guide can run from it.",
  ],
  [
    "the live etcd {string} copied as etcd {string}",
    "etcd-endpoint",
    "calico",
    'Given the live etcd "https://etcd.prod:2379" copied as etcd "source"',
    "Copies a live endpoint's whole v3 keyspace by paged Range reads (never a write) into a private etcd.",
  ],
  [
    "the v2 keys of the live etcd {string} copied as etcd {string}",
    "etcd-endpoint",
    "etcd-v2v3",
    'Given the v2 keys of the live etcd "http://10.0.0.5:2379" copied as etcd "source"',
    "Copies a live member's v2 key tree by one recursive GET (never a write) into a private etcd 3.4 with the v2 API.",
  ],
];

for (const [phrase, kind, purpose, example, doc] of sources) {
  step("Given", phrase, { area, example, doc }, async function (location: string, name: string) {
    const where = kind === "etcd-endpoint" ? location : userPath(this, location);
    await useSource(this, kind, where, purpose, name);
  });
}

step(
  "Given",
  "a Kubernetes cluster with the source's nodes and namespaces",
  {
    area,
    example: "Given a Kubernetes cluster with the source's nodes and namespaces",
    doc: "The control plane, given the core/v1 Nodes (each Calico Node's k8s orchRef) and Namespaces (of every namespaced Calico object) the source's real cluster had.",
  },
  async function () {
    const kube = await this.record.phase("provision control plane", () => this.useKube());
    const name = this.calico.source.get();
    const data = await readCalicoFromEtcd(this.endpoints(name));
    const target = kubeTargetOf(data.resources);
    const core = kube.kubeConfig().makeApiClient(CoreV1Api);
    const existing = new Set((await core.listNode()).items.map((n) => n.metadata?.name ?? ""));
    await this.record.phase("prepare Kubernetes target", () => prepareKubeTarget(kube.kubeConfig(), target));
    for (const n of target.kubernetesNodes) if (!existing.has(n)) this.createdNodes.add(n);
    this.log(
      `Kubernetes target: ${target.kubernetesNodes.length} node(s), ${target.kubernetesNamespaces.length} namespace(s)`,
    );
  },
);

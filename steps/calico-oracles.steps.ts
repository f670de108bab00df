import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { ApiextensionsV1Api, CoreV1Api } from "@kubernetes/client-node";
import { checkCompleteness } from "../src/oracles/calico/completeness.js";
import { compareGolden, loadGolden, normalise, renderGolden } from "../src/oracles/calico/golden.js";
import { checkIntegrity } from "../src/oracles/calico/integrity.js";
import { readEtcdPrefix, readKubeCalico } from "../src/oracles/calico/read.js";
import { step } from "./support/define.js";
import type { StoreshiftWorld } from "./support/world.js";

const area = "Calico: independent oracles";

step(
  "Given",
  "storeshift's migrator keeps calicoctl's quirks",
  {
    area,
    example: "Given storeshift's migrator keeps calicoctl's quirks",
    doc: "The builtin migrator's export and import run in upstream mode (`--upstream-quirks`): calicoctl's behaviour, e.g. colliding nodes merge and the last one wins, instead of storeshift's refusal.",
  },
  function () {
    this.calico.mode = "upstream";
  },
);

step(
  "Given",
  "storeshift's migrator applies its own fixes",
  {
    area,
    example: "Given storeshift's migrator applies its own fixes",
    doc: "Back to the default mode after `keeps calicoctl's quirks` (e.g. to import, with the checks, an export made with the quirks).",
  },
  function () {
    this.calico.mode = undefined;
  },
);

step(
  "Then",
  "Kubernetes got nothing from the migration",
  {
    area,
    example: "Then Kubernetes got nothing from the migration",
    doc: "No Calico CRD is installed (the pool deletes them between scenarios, so any is this scenario's) and no core/v1 Node carries a projectcalico.org annotation: a refusal came before the first write.",
  },
  async function () {
    const kc = this.kube().kubeConfig();
    const crds = (await kc.makeApiClient(ApiextensionsV1Api).listCustomResourceDefinition()).items
      .map((c) => c.metadata?.name ?? "")
      .filter((n) => n.endsWith(".projectcalico.org"));
    assert.deepEqual(crds, [], "Calico CRDs were installed");
    const annotated = (await kc.makeApiClient(CoreV1Api).listNode()).items.flatMap((n) =>
      Object.keys(n.metadata?.annotations ?? {})
        .filter((a) => a.startsWith("projectcalico.org/"))
        .map((a) => `${n.metadata?.name}: ${a}`),
    );
    assert.deepEqual(annotated, [], "Nodes carry Calico annotations");
  },
);

step(
  "Then",
  "the Kubernetes Node {string} has the annotation {string} = {string}",
  {
    area,
    example:
      'Then the Kubernetes Node "node4" has the annotation "projectcalico.org/IPv4Address" = "1.2.3.5/24"',
    doc: "Reads the core/v1 Node and compares one annotation exactly.",
  },
  async function (node: string, key: string, value: string) {
    const n = await this.kube().kubeConfig().makeApiClient(CoreV1Api).readNode({ name: node });
    assert.equal(n.metadata?.annotations?.[key], value, `Node ${node} annotation ${key}`);
  },
);

/** Records an oracle's verdict in the report and fails the step on any finding. */
function verdict(world: StoreshiftWorld, name: string, findings: string[], passed: string): void {
  const message =
    findings.length === 0 ? passed : `${findings.length} finding(s): ${findings.slice(0, 5).join("; ")}`;
  world.log(`${name}: ${message}`);
  world.record.expect({ name, status: findings.length === 0 ? "passed" : "failed", message });
}

step(
  "Then",
  "Kubernetes matches the golden target for {string}",
  {
    area,
    example: 'Then Kubernetes matches the golden target for "calico/dataset.yaml"',
    doc: "Reads every Calico CR and the Calico annotations of core/v1 Nodes with the plain Kubernetes client, normalises (docs/oracles.md) and compares field by field with the reviewed fixtures/calico/golden/<fixture>.yaml. What Kubernetes held is saved as golden-actual-<fixture>.yaml with the scenario.",
  },
  async function (fixture: string) {
    const file = basename(fixture);
    // saved first: recording a new golden target starts from this file
    const actual = normalise(await readKubeCalico(this.kube().kubeConfig()), fixture);
    const saved = join(await this.ensureArtifactDir(), `golden-actual-${file}`);
    await writeFile(saved, renderGolden(actual));
    this.record.artifacts.push(saved);
    const golden = await loadGolden(await this.fixturePath(join("calico", "golden", file)));
    const differences = compareGolden(golden, actual);
    verdict(
      this,
      `golden target ${fixture}`,
      differences,
      `${golden.objects.length} objects and ${golden.nodes.length} Nodes as reviewed`,
    );
  },
);

step(
  "Then",
  "every Calico key of etcd {string} reached Kubernetes or is on the exclusion list",
  {
    area,
    example: 'Then every Calico key of etcd "source" reached Kubernetes or is on the exclusion list',
    doc: "Completeness by raw scan: each /calico/resources/v3/projectcalico.org/ and /calico/ipam/v2/ key in etcd has its object in Kubernetes (renamed with its node), or its kind is on the documented exclusion list (docs/oracles.md).",
  },
  async function (name: string) {
    const endpoints = this.endpoints(name);
    const source = [
      ...(await readEtcdPrefix(endpoints, "/calico/resources/v3/projectcalico.org/")),
      ...(await readEtcdPrefix(endpoints, "/calico/ipam/v2/")),
    ];
    const result = checkCompleteness(source, await readKubeCalico(this.kube().kubeConfig()));
    verdict(
      this,
      "completeness by raw scan",
      result.missing.map((m) => `${m.key}: ${m.problem}`),
      `${result.migrated.length} keys migrated, ${result.excluded.length} excluded with their reason`,
    );
  },
);

step(
  "Then",
  "every reference in the Calico objects in Kubernetes resolves",
  {
    area,
    example: "Then every reference in the Calico objects in Kubernetes resolves",
    doc: "Referential integrity: block and virtual affinities, block attributes (handle_id, secondary.node, alternateOwnerAttrs.node), per-node configurations and policy tiers name a Kubernetes Node, handle or tier that exists; each handle's per-block count equals the block's allocations to it.",
  },
  async function () {
    const dangling = checkIntegrity(await readKubeCalico(this.kube().kubeConfig()));
    verdict(
      this,
      "referential integrity",
      dangling.map((d) => `${d.object}: ${d.problem}`),
      "every reference resolves",
    );
  },
);

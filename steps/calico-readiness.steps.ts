import { readKubeCalico } from "../src/oracles/calico/read.js";
import { checkReadiness, type ReadinessReport } from "../src/oracles/calico/readiness.js";
import type { Difference } from "../src/report/result.js";
import { step } from "./support/define.js";
import type { StoreshiftWorld } from "./support/world.js";

const area = "Calico: after the migration";

async function readiness(world: StoreshiftWorld): Promise<ReadinessReport> {
  const report = await world.record.phase("calico-node start-up readiness", async () =>
    checkReadiness(await readKubeCalico(world.kube().kubeConfig())),
  );
  world.calico.readiness = report;
  return report;
}

function asDifferences(report: ReadinessReport): Difference[] {
  return report.findings.map((f) => ({
    class: "changed",
    id: f.object,
    kind: "calico-node start-up",
    path: "",
    note: f.problem,
  }));
}

step(
  "Then",
  "calico-node would start on every Kubernetes Node: the datastore ready, each node's blocks affine to it, its tunnel addresses resolvable",
  {
    area,
    example:
      "Then calico-node would start on every Kubernetes Node: the datastore ready, each node's blocks affine to it, its tunnel addresses resolvable",
    doc: "Read from Kubernetes alone: ClusterInformation default has datastoreReady true; for each Node, every IPAMBlock with affinity host:<node> has a confirmed BlockAffinity and the other way round; every tunnel address annotation lies in a block, allocated to the handle `<tunnel>-tunnel-addr-<node>`, which exists.",
  },
  async function () {
    const report = await readiness(this);
    const summary = report.nodes
      .map((n) => `${n.name}: ${n.blocks} block(s), ${n.tunnels} tunnel(s)`)
      .join("; ");
    // the error: "calico-node start-up readiness (…): N difference(s); first: changed OBJECT … (PROBLEM)"
    this.record.expectCheck(`calico-node start-up readiness (${summary})`, asDifferences(report));
  },
);

step(
  "Then",
  "the calico-node start-up readiness check names {string}: {string}",
  {
    area,
    example: 'Then the calico-node start-up readiness check names "ClusterInformation default": "not true"',
    doc: "The readiness check run where it must fail: one of its findings is about that object and its problem contains the text.",
  },
  async function (object: string, text: string) {
    const report = await readiness(this);
    const hit = report.findings.find((f) => f.object === object && f.problem.includes(text));
    const found = report.findings.map((f) => `${f.object}: ${f.problem}`).join("; ") || "nothing";
    this.record.expectCheck(
      `the calico-node start-up readiness check names ${object}: "${text}"`,
      hit
        ? []
        : [
            {
              class: "missing",
              id: object,
              kind: "calico-node start-up",
              path: "",
              expected: text,
              actual: report.findings,
              note: `it found: ${found}`,
            },
          ],
    );
  },
);

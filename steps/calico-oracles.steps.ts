import assert from "node:assert/strict";
import { ApiextensionsV1Api, CoreV1Api } from "@kubernetes/client-node";
import { step } from "./support/define.js";

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
    this.vars.set("calico:mode", "upstream");
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
    this.vars.delete("calico:mode");
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

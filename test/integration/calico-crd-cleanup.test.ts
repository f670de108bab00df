import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { withKube } from "../../src/calico/api.js";
import { generatedCrds } from "../../src/calico/kube/crds.js";
import { stopAll } from "../../src/common/cleanup.js";
import {
  type StartedLocalControlPlane,
  startLocalControlPlane,
} from "../../src/providers/kube/local-control-plane.js";

let cp: StartedLocalControlPlane;
before(async () => {
  cp = await startLocalControlPlane({ name: "crd-cleanup" });
});
after(async () => {
  await cp?.stop();
  await stopAll();
});

test("a Calico CRD stuck in Terminating is finished by rollback's wait: its instance deleted, then its finalizer dropped", async () => {
  await withKube(cp.kubeConfig(), async (kube) => {
    const ippools = generatedCrds().filter((c) => c.spec.names.plural === "ippools");
    await kube.installCrds(ippools);
    await kube.create({
      apiVersion: "crd.projectcalico.org/v1",
      kind: "IPPool",
      metadata: { name: "stuck-pool" },
      spec: { cidr: "10.9.0.0/16" },
    });
    // a finalizer nobody serves holds the CRD in Terminating, as a backed-off cleanup controller does
    const path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/ippools.crd.projectcalico.org";
    const crd = (await kube.rest.expect("GET", path)) as { metadata: { finalizers?: string[] } };
    crd.metadata.finalizers = [...(crd.metadata.finalizers ?? []), "storeshift.dev/test-hold"];
    await kube.rest.expect("PUT", path, crd);
    await kube.deleteCrds(["ippools.crd.projectcalico.org"]);
    await assert.rejects(
      kube.waitCrdsGone(["ippools.crd.projectcalico.org"], 1_500, 60_000),
      /still present/,
    );
    await kube.waitCrdsGone(["ippools.crd.projectcalico.org"], 60_000, 500);
    assert.deepEqual(await kube.calicoCrdNames(), []);
  });
});

import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { after, before, test } from "node:test";
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { Etcd3 } from "etcd3";
import { stopAll } from "../../src/common/cleanup.js";
import {
  type StartedLocalControlPlane,
  startLocalControlPlane,
} from "../../src/providers/kube/local-control-plane.js";

let cp: StartedLocalControlPlane;
before(async () => {
  cp = await startLocalControlPlane({ name: "cp-test" });
});
after(async () => {
  await cp?.stop();
  await stopAll();
});

test("the control plane is a real kube-apiserver, ready, reporting its real version, on 127.0.0.1 with TLS", async () => {
  const version = JSON.parse((await cp.get("/version")).body) as { gitVersion: string };
  assert.equal(version.gitVersion, `v${cp.version}`);
  assert.match(cp.server, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.equal((await cp.get("/readyz")).status, 200);
  assert.equal(statSync(cp.kubeconfigPath).mode & 0o777, 0o600);
});

test("a CRD, a custom object and a core/v1 Node round-trip through the API and land under /registry in etcd", async () => {
  const kc = cp.kubeConfig();
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  await ext.createCustomResourceDefinition({
    body: {
      metadata: { name: "widgets.example.storeshift.dev" },
      spec: {
        group: "example.storeshift.dev",
        scope: "Cluster",
        names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
        versions: [
          {
            name: "v1",
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: "object", x_kubernetes_preserve_unknown_fields: true } },
          },
        ],
      },
    },
  });
  const custom = kc.makeApiClient(CustomObjectsApi);
  // the CRD's REST endpoint appears once it is Established
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await custom.createClusterCustomObject({
        group: "example.storeshift.dev",
        version: "v1",
        plural: "widgets",
        body: {
          apiVersion: "example.storeshift.dev/v1",
          kind: "Widget",
          metadata: { name: "w1" },
          spec: { size: 3 },
        },
      });
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const w = (await custom.getClusterCustomObject({
    group: "example.storeshift.dev",
    version: "v1",
    plural: "widgets",
    name: "w1",
  })) as { spec: { size: number } };
  assert.equal(w.spec.size, 3);

  const core = kc.makeApiClient(CoreV1Api);
  await core.createNode({ body: { metadata: { name: "node-a", labels: { zone: "z1" } } } });
  const node = await core.readNode({ name: "node-a" });
  assert.equal(node.metadata?.labels?.zone, "z1");

  const etcd = new Etcd3({ hosts: [cp.etcdEndpoint] });
  try {
    const keys = await etcd.getAll().prefix("/registry/").keys();
    assert.ok(
      keys.includes("/registry/minions/node-a"),
      "core/v1 Nodes are stored as /registry/minions/<name>",
    );
    assert.ok(keys.includes("/registry/example.storeshift.dev/widgets/w1"));
    assert.ok(
      keys.includes(
        "/registry/apiextensions.k8s.io/customresourcedefinitions/widgets.example.storeshift.dev",
      ),
    );
    const raw = await etcd.get("/registry/example.storeshift.dev/widgets/w1").string();
    assert.match(raw ?? "", /"size":3/, "custom objects are stored as JSON");
  } finally {
    etcd.close();
  }
});

test("an anonymous or wrong client certificate gets no resource access", async () => {
  const { request } = await import("node:https");
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${cp.server}/api/v1/nodes`, { rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
  assert.ok(status === 401 || status === 403, `anonymous list nodes gave ${status}`);
});

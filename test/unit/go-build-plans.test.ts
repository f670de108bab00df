import assert from "node:assert/strict";
import { test } from "node:test";
import { renderGoMod } from "../../src/binaries/go-build.js";
import { etcdPlan, kubeApiserverPlan, stagingModules } from "../../src/binaries/plans.js";

const kkGoMod = `module k8s.io/kubernetes

go 1.26.0

require (
	github.com/blang/semver/v4 v4.0.0
	k8s.io/api v0.0.0
	k8s.io/apiextensions-apiserver v0.0.0
	k8s.io/klog/v2 v2.130.1
	k8s.io/streaming v0.0.0 // indirect
)

require k8s.io/kms v0.0.0

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/kms => ./staging/src/k8s.io/kms
)
`;

test("staging modules are read from k/k's go.mod: every k8s.io module at v0.0.0, nothing else", () => {
  assert.deepEqual(stagingModules(kkGoMod), [
    "k8s.io/api",
    "k8s.io/apiextensions-apiserver",
    "k8s.io/kms",
    "k8s.io/streaming",
  ]);
});

test("the kube-apiserver plan pins each staging module to v0.<minor>.<patch> and sets version ldflags", () => {
  const plan = kubeApiserverPlan("1.37.2", kkGoMod);
  assert.equal(plan.requires["k8s.io/kubernetes"], "v1.37.2");
  assert.equal(plan.replaces["k8s.io/api"], "v0.37.2");
  assert.equal(Object.keys(plan.replaces).length, 4);
  assert.ok(plan.ldflags?.includes("-X k8s.io/component-base/version.gitVersion=v1.37.2"));
  assert.ok(plan.ldflags?.includes("-X k8s.io/component-base/version.gitMinor=37"));
  const gomod = renderGoMod(plan);
  assert.match(gomod, /^replace k8s\.io\/api => k8s\.io\/api v0\.37\.2$/m);
  assert.match(gomod, /^\tk8s\.io\/kubernetes v1\.37\.2$/m);
});

test("the etcd plan builds the server module's root package, etcdctl and etcdutl at the same version", () => {
  const plan = etcdPlan("3.6.16");
  assert.deepEqual(plan.packages, {
    "go.etcd.io/etcd/server/v3": "etcd",
    "go.etcd.io/etcd/etcdctl/v3": "etcdctl",
    "go.etcd.io/etcd/etcdutl/v3": "etcdutl",
  });
  assert.equal(plan.requires["go.etcd.io/etcd/server/v3"], "v3.6.16");
  assert.equal(plan.requires["go.etcd.io/etcd/etcdutl/v3"], "v3.6.16");
});

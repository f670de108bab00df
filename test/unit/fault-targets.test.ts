import assert from "node:assert/strict";
import { test } from "node:test";
import { proxyUpstream, resolveFaultTarget, watchedMember } from "../../src/faults/targets.js";
import { isIpamKey } from "../../src/faults/triggers.js";
import { parseFaultTarget } from "../../src/faults/words.js";

/** A scenario without a local control plane and without etcd: resolution must say what is missing. */
const noStores = {
  plane: undefined,
  backend: "docker",
  etcd: (name: string): never => {
    throw new Error(`no etcd called "${name}" in this scenario`);
  },
};

test("process faults on the control plane need the local control plane, naming the backend", () => {
  for (const text of ["the kube-apiserver", "the control plane's etcd"])
    assert.throws(
      () => resolveFaultTarget(parseFaultTarget(text), noStores),
      /^Error: process faults need the local control plane \(backend docker\)$/,
    );
  assert.throws(() => proxyUpstream(parseFaultTarget("the kube-apiserver"), noStores), /backend docker/);
});

test("an etcd target is looked up by its cluster name", () => {
  assert.throws(() => resolveFaultTarget(parseFaultTarget('etcd "src" member 1'), noStores), /"src"/);
  assert.throws(() => proxyUpstream(parseFaultTarget('etcd "src"'), noStores), /"src"/);
});

test("no proxy in front of the control plane's etcd, and no member watch outside an etcd cluster", () => {
  assert.throws(
    () => proxyUpstream(parseFaultTarget("the control plane's etcd"), noStores),
    /never reaches it/,
  );
  assert.throws(
    () => watchedMember(parseFaultTarget("the kube-apiserver"), 0, noStores),
    /needs an etcd cluster/,
  );
});

test("IPAM keys: blocks, affinities, handles and config under the registry; other kinds are not", () => {
  for (const kind of ["ipamblocks", "blockaffinities", "ipamhandles", "ipamconfigs"])
    assert.ok(isIpamKey(`/registry/crd.projectcalico.org/${kind}/x`), kind);
  for (const kind of ["ippools", "networkpolicies", "clusterinformations"])
    assert.ok(!isIpamKey(`/registry/crd.projectcalico.org/${kind}/default/x`), kind);
});

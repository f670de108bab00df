import assert from "node:assert/strict";
import { test } from "node:test";
import {
  FAULT_KIND_PATTERN,
  FAULT_TARGET_PATTERN,
  lockWords,
  parseCalicoStep,
  parseFaultKind,
  parseFaultTarget,
} from "../../src/faults/words.js";

test("fault kinds: a pause for N seconds heals itself after N s, the others do not", () => {
  assert.deepEqual(parseFaultKind("killed"), { kind: "kill" });
  assert.deepEqual(parseFaultKind("restarted"), { kind: "restart" });
  assert.deepEqual(parseFaultKind("paused"), { kind: "pause" });
  assert.deepEqual(parseFaultKind("paused for 2 seconds"), { kind: "pause", healAfterMs: 2000 });
  assert.deepEqual(parseFaultKind("paused for 1 second"), { kind: "pause", healAfterMs: 1000 });
});

test("a fault word the steps do not know is refused, not taken for a kill", () => {
  assert.throws(() => parseFaultKind("stopped"), /unknown fault "stopped"/);
  assert.throws(() => parseFaultKind("paused for two seconds"), /unknown fault/);
});

test("fault targets: etcd alone is member 0; the control plane's processes have no cluster", () => {
  assert.deepEqual(parseFaultTarget('etcd "source"'), {
    kind: "etcd-member",
    cluster: "source",
    member: 0,
    label: 'etcd "source" member 0',
  });
  assert.deepEqual(parseFaultTarget('etcd "a b" member 2'), {
    kind: "etcd-member",
    cluster: "a b",
    member: 2,
    label: 'etcd "a b" member 2',
  });
  assert.deepEqual(parseFaultTarget("the kube-apiserver"), { kind: "kube-apiserver" });
  assert.deepEqual(parseFaultTarget("the control plane's etcd"), { kind: "control-plane-etcd" });
  assert.throws(() => parseFaultTarget("etcd source"), /unknown fault target etcd source/);
  assert.throws(() => parseFaultTarget('etcd "source" member x'), /unknown fault target/);
});

test("the parameter patterns match every phrase the parsers accept, whole", () => {
  const whole = (re: RegExp, s: string) => new RegExp(`^(?:${re.source})$`).test(s);
  for (const s of [
    'etcd "source"',
    'etcd "source" member 1',
    "the kube-apiserver",
    "the control plane's etcd",
  ])
    assert.ok(whole(FAULT_TARGET_PATTERN, s), s);
  for (const s of ["killed", "restarted", "paused", "paused for 3 seconds", "paused for 1 second"])
    assert.ok(whole(FAULT_KIND_PATTERN, s), s);
  assert.ok(!whole(FAULT_KIND_PATTERN, "stopped"));
});

test("Calico steps: the guide's five, anything else refused naming them", () => {
  for (const s of ["lock", "export", "import", "unlock", "rollback"]) assert.equal(parseCalicoStep(s), s);
  assert.throws(
    () => parseCalicoStep("migrate"),
    /^Error: unknown Calico step "migrate": one of lock, export, import, unlock, rollback$/,
  );
});

test('"locked or unlocked" accepts either word, "locked" only itself', () => {
  assert.deepEqual(lockWords("locked or unlocked"), ["locked", "unlocked"]);
  assert.deepEqual(lockWords("absent"), ["absent"]);
});

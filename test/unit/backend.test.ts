import assert from "node:assert/strict";
import { test } from "node:test";
import { chooseBackend, parseBackend } from "../../src/providers/backend.js";

const noDocker = async () => ({
  available: false,
  detail: "no Docker engine: Could not find a working container runtime strategy",
});
const docker = async () => ({ available: true, detail: "unix:///var/run/docker.sock" });
const kindRefused = async () => ({
  usable: false,
  reason:
    "kind cannot run: kind's node containers run privileged and the engine refuses privileged containers: unable to apply caps",
});
const kindUsable = async () => ({
  usable: true,
  executable: "/usr/local/bin/kind",
  reason: "kind at /usr/local/bin/kind",
});

test("auto picks Docker when an engine answers, local binaries when not, and says why", async () => {
  assert.equal((await chooseBackend("auto", docker, kindUsable)).name, "docker");
  const local = await chooseBackend("auto", noDocker, kindUsable);
  assert.equal(local.name, "local");
  assert.match(local.reason, /Could not find a working container runtime strategy/);
});

test("an explicit docker backend without an engine is an error, not a silent fallback", async () => {
  await assert.rejects(chooseBackend("docker", noDocker, kindUsable), /--backend docker: no Docker engine/);
});

test("unknown backend names are refused with the flag named", () => {
  assert.throws(() => parseBackend("kind"), /run: --backend: unknown backend "kind"/);
  assert.equal(parseBackend("existing"), "existing");
});

test("the docker backend names where Kubernetes comes from, and why not kind when it cannot run", async () => {
  const refused = await chooseBackend("docker", docker, kindRefused);
  assert.equal(refused.name, "docker");
  assert.match(
    refused.reason,
    /Kubernetes from the local control plane \(kind cannot run: .*unable to apply caps\)/,
  );
  const kind = await chooseBackend("auto", docker, kindUsable);
  assert.match(kind.reason, /Kubernetes from kind \(kind at \/usr\/local\/bin\/kind\)/);
});

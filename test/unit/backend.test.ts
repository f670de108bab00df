import assert from "node:assert/strict";
import { test } from "node:test";
import { chooseBackend, parseBackend } from "../../src/providers/backend.js";

const noDocker = async () => ({
  available: false,
  detail: "no Docker engine: Could not find a working container runtime strategy",
});
const docker = async () => ({ available: true, detail: "unix:///var/run/docker.sock" });

test("auto picks Docker when an engine answers, local binaries when not, and says why", async () => {
  assert.equal((await chooseBackend("auto", docker)).name, "docker");
  const local = await chooseBackend("auto", noDocker);
  assert.equal(local.name, "local");
  assert.match(local.reason, /Could not find a working container runtime strategy/);
});

test("an explicit docker backend without an engine is an error, not a silent fallback", async () => {
  await assert.rejects(chooseBackend("docker", noDocker), /--backend docker: no Docker engine/);
});

test("unknown backend names are refused with the flag named", () => {
  assert.throws(() => parseBackend("kind"), /run: --backend: unknown backend "kind"/);
  assert.equal(parseBackend("existing"), "existing");
});

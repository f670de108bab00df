import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { tempRoot } from "../../src/common/temp.js";
import { probeDocker } from "../../src/providers/containers/docker-probe.js";
import { OWNER_LABEL, testcontainers } from "../../src/providers/containers/runtime.js";
import { isAlive, storeshiftTempDirs } from "../helpers/leaks.js";

// Runs last (files run in name order, one at a time). `npm run test:integration` gives the whole run
// its own STORESHIFT_TMPDIR, so every store the suites started lives under it: whatever is still
// running from there, or still on disk there, outlived its test.
const root = tempRoot();

function processesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ");
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
      if (cmd.includes(dir) && !cmd.includes("--test")) found.push(`${entry} ${cmd.slice(0, 160)}`);
    } catch {
      // ended while we looked
    }
  }
  return found;
}

test("after every integration test: no store process and no storeshift temp dir is left", {
  skip: process.env.STORESHIFT_TMPDIR
    ? false
    : "not run: run through `npm run test:integration`, which sets STORESHIFT_TMPDIR",
}, () => {
  assert.deepEqual(processesUnder(root), [], `processes still running from ${root}`);
  assert.deepEqual(storeshiftTempDirs(root), [], `temp dirs left in ${root}`);
});

test("after every integration test: no container is left by a storeshift process that has ended", async (t) => {
  const docker = await probeDocker();
  if (!docker.available) {
    t.skip(`not run: ${docker.detail}`);
    return;
  }
  const { getContainerRuntimeClient } = await testcontainers();
  const client = await getContainerRuntimeClient();
  const labelled = await client.container.dockerode.listContainers({
    all: true,
    filters: { label: [OWNER_LABEL] },
  });
  // a live owner may be another run sharing the engine; an ended one left its containers behind
  const orphans = labelled
    .filter((c) => !isAlive(Number(c.Labels[OWNER_LABEL])))
    .map((c) => `${c.Names[0]} (owner pid ${c.Labels[OWNER_LABEL]})`);
  assert.deepEqual(orphans, []);
});

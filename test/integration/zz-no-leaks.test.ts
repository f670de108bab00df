import assert from "node:assert/strict";
import { test } from "node:test";
import { processesRunning, storeshiftTempDirs } from "../helpers/leaks.js";

// Runs last (files run in name order, one at a time): whatever the suites above started, they stopped.
test("after every integration test: no etcd or kube-apiserver process and no storeshift temp dir is left", () => {
  const pids = processesRunning(["etcd", "kube-apiserver", "calicoctl"]);
  const details = pids.map((pid) => `${pid}`).join(", ");
  assert.deepEqual(pids, [], `store processes still running: ${details}`);
  assert.deepEqual(storeshiftTempDirs(), [], "storeshift temp dirs left behind");
});

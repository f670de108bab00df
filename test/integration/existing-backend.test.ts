import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ApiextensionsV1Api, CoreV1Api } from "@kubernetes/client-node";
import { CRD_KINDS } from "../../src/calico/kinds.js";
import { generateCrd } from "../../src/calico/kube/crds.js";
import { stopAll } from "../../src/common/cleanup.js";
import {
  type StartedLocalControlPlane,
  startLocalControlPlane,
} from "../../src/providers/kube/local-control-plane.js";
import type { RunResult } from "../../src/report/result.js";
import { type CliResult, storeshiftCli } from "../helpers/cli.js";

// A real kube-apiserver that storeshift's runner did not start stands in for "a cluster someone
// already has": the runner reaches it only through KUBECONFIG, as `--backend existing` does.
const stores = new URL("../../features/stores/stores.feature", import.meta.url).pathname;
const reports = await mkdtemp(join(tmpdir(), "existing-backend-"));
const calicoCrd = generateCrd(CRD_KINDS.find((k) => k.kind === "IPPool") ?? (CRD_KINDS[0] as never));
const crdName = (calicoCrd.metadata as { name: string }).name;

let cp: StartedLocalControlPlane;
before(async () => {
  cp = await startLocalControlPlane({ name: "existing-test" });
  // what a cluster that matters holds: a Calico CRD and a Node storeshift did not create
  const kc = cp.kubeConfig();
  await kc.makeApiClient(ApiextensionsV1Api).createCustomResourceDefinition({ body: calicoCrd as never });
  await kc.makeApiClient(CoreV1Api).createNode({ body: { metadata: { name: "precious-node" } } });
});
after(async () => {
  await cp?.stop();
  await stopAll();
  await rm(reports, { recursive: true, force: true });
});

function storeshift(args: string[]): Promise<CliResult> {
  return storeshiftCli(args, { KUBECONFIG: cp.kubeconfigPath, STORESHIFT_KUBE_CONTEXT: undefined });
}

async function crdExists(): Promise<boolean> {
  const crds = await cp.kubeConfig().makeApiClient(ApiextensionsV1Api).listCustomResourceDefinition();
  return crds.items.some((c) => c.metadata?.name === crdName);
}

async function nodeNames(): Promise<string[]> {
  return (await cp.kubeConfig().makeApiClient(CoreV1Api).listNode()).items.map((n) => n.metadata?.name ?? "");
}

async function kubeScenarioLine(): Promise<number> {
  const lines = (await readFile(stores, "utf8")).split("\n");
  const i = lines.findIndex((l) => l.includes("Scenario: the local control plane is a real kube-apiserver"));
  assert.ok(i >= 0);
  return i + 1;
}

async function labelKubeSystem(value: string | null): Promise<void> {
  const core = cp.kubeConfig().makeApiClient(CoreV1Api);
  const ns = await core.readNamespace({ name: "kube-system" });
  const labels = { ...(ns.metadata?.labels ?? {}) };
  if (value === null) delete labels["storeshift.io/disposable"];
  else labels["storeshift.io/disposable"] = value;
  ns.metadata = { ...ns.metadata, labels };
  await core.replaceNamespace({ name: "kube-system", body: ns });
}

test("--backend existing without --disposable refuses in one line before anything runs", async () => {
  await labelKubeSystem("true");
  const dir = join(reports, "no-flag");
  const r = await storeshift([
    "run",
    `${stores}:${await kubeScenarioLine()}`,
    "--backend",
    "existing",
    "--report-dir",
    dir,
  ]);
  assert.equal(r.code, 2, r.stderr);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(
    lines[0] ?? "",
    /^storeshift: --backend existing: refusing to run on cluster https:\/\/127\.0\.0\.1:\d+ .*--disposable was not given$/,
  );
  assert.equal(existsSync(dir), false, "no report dir: nothing ran");
  assert.ok(await crdExists(), "the cluster's Calico CRD is untouched");
  assert.ok((await nodeNames()).includes("precious-node"));
});

test("--disposable alone is not enough: the cluster must carry the label too", async () => {
  for (const value of [null, "false"]) {
    await labelKubeSystem(value);
    const dir = join(reports, `no-label-${value}`);
    const r = await storeshift([
      "run",
      `${stores}:${await kubeScenarioLine()}`,
      "--backend",
      "existing",
      "--disposable",
      "--report-dir",
      dir,
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`namespace kube-system has storeshift.io/disposable=${value ?? "<unset>"} `),
    );
    assert.equal(existsSync(dir), false);
    assert.ok(await crdExists());
  }
});

test("declared disposable by flag and label, the run uses the cluster; its reset leaves Nodes it did not create", async () => {
  await labelKubeSystem("true");
  const dir = join(reports, "declared");
  const r = await storeshift([
    "run",
    `${stores}:${await kubeScenarioLine()}`,
    "--backend",
    "existing",
    "--disposable",
    "--report-dir",
    dir,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(await readFile(join(dir, "latest", "result.json"), "utf8")) as RunResult;
  assert.equal(result.backend.name, "existing");
  assert.deepEqual(result.totals, { passed: 1, failed: 0, skipped: 0, notRun: 0 });
  // the declared cluster got the destructive reset (Calico's CRDs go), but only storeshift's Nodes
  assert.equal(await crdExists(), false, "the reset deleted Calico's CRDs on the declared cluster");
  assert.ok((await nodeNames()).includes("precious-node"), "a Node storeshift did not create stays");
});

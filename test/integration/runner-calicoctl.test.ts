import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { promisify } from "node:util";
import { locateCalicoctl } from "../../src/calico/calicoctl/install.js";
import type { RunResult } from "../../src/report/result.js";

// The same Calico scenarios, driven through a real calicoctl (`--migrator calicoctl=PATH`). Where no
// calicoctl is built, these are reported as skipped with the reason, never as passed.
const located = await locateCalicoctl();
const skip = "missing" in located ? `not run: ${located.reason}` : false;
const calicoctl = "missing" in located ? "" : located.path;

const run = promisify(execFile);
const cli = new URL("../../bin/storeshift.js", import.meta.url).pathname;
const reports = await mkdtemp(join(tmpdir(), "runner-calicoctl-"));
after(() => rm(reports, { recursive: true, force: true }));

async function calicoSmoke(dir: string): Promise<{ code: number; result: RunResult }> {
  const args = [cli, "run", "features/calico", "--tags", "@smoke", "--migrator", `calicoctl=${calicoctl}`];
  const env: NodeJS.ProcessEnv = { ...process.env, STORESHIFT_QUIET: "1" };
  delete env.STORESHIFT_STEPS_DOCS_ONLY;
  let code = 0;
  try {
    await run(process.execPath, [...args, "--report-dir", dir], { env, maxBuffer: 1 << 26 });
  } catch (err) {
    code = (err as { code: number }).code;
  }
  const result = JSON.parse(await readFile(join(dir, "latest", "result.json"), "utf8")) as RunResult;
  return { code, result };
}

test("a real calicoctl runs the Calico smoke scenarios; the harness catches where it loses or rewrites data", {
  skip,
}, async () => {
  const { code, result } = await calicoSmoke(join(reports, "smoke"));
  assert.equal(code, 1, "calicoctl's forward migration differs from the mapping, so the run fails");
  const rollback = result.scenarios.find((s) => s.feature.endsWith("rollback.feature"));
  assert.equal(rollback?.status, "passed", "calicoctl's rollback leaves etcd as it was");
  const forward = result.scenarios.find((s) => s.feature.endsWith("forward.feature"));
  assert.equal(forward?.status, "failed");
  const found = new Set(
    (forward?.checks ?? [])
      .flatMap((c) => c.differences ?? [])
      .filter((d) => d.class !== "accounted")
      .map((d) => `${d.class} ${d.id}`),
  );
  // upstream quirks the reference documents, each caught as data that did not arrive as it should:
  // namespaced staged policies are exported only from "default"
  assert.ok(
    found.has("missing projectcalico.org/v3/StagedNetworkPolicy/prod/staged-prod"),
    [...found].join("\n"),
  );
  // the IPv6 VXLAN tunnel handle keeps the etcd node name instead of the Kubernetes one
  assert.ok(found.has("missing ipam/IPAMHandle/vxlan-v6-tunnel-addr-node2"));
  assert.ok(found.has("unexpected ipam/IPAMHandle/vxlan-v6-tunnel-addr-etcd-node2"));
});

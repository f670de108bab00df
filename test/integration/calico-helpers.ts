import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { KubeConfig } from "@kubernetes/client-node";
import { withKube } from "../../src/calico/api.js";
import { CRD_KINDS } from "../../src/calico/kinds.js";
import type { CalicoKube } from "../../src/calico/kube/store.js";

export const root = fileURLToPath(new URL("../..", import.meta.url));
export const FIXTURE = `${root}/fixtures/calico/dataset.yaml`;

const ENTRY =
  'import { main } from "./src/cli/main.ts"; process.exitCode = await main(process.argv.slice(1));';

/** The CLI from source in a child: main() stops every registered store, which must not be the test's. */
export function cli(
  args: string[],
  env: Record<string, string | undefined> = {},
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, STORESHIFT_QUIET: "1", ...env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
    const child = execFile(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", ENTRY, "calico", ...args],
      { cwd: root, env: childEnv, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 2) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

/** Returns a control plane to "fresh cluster" state: no Calico CRDs (so no Calico objects), no Nodes. */
export async function resetKube(kubeConfig: KubeConfig): Promise<void> {
  await withKube(kubeConfig, async (kube: CalicoKube) => {
    const crds = await kube.calicoCrdNames();
    // empty the CRDs first: the apiserver's CRD finalizer then has nothing left to clean up, which
    // keeps CRD deletion from taking tens of seconds on a loaded machine
    const namespaces = (
      (await kube.rest.expect("GET", "/api/v1/namespaces")) as { items: { metadata: { name: string } }[] }
    ).items.map((n) => n.metadata.name);
    await Promise.all(
      CRD_KINDS.filter((k) => crds.includes(`${k.plural}.crd.projectcalico.org`)).flatMap((k) =>
        k.scope === "Cluster"
          ? [kube.rest.request("DELETE", kube.collectionPath(k.kind))]
          : namespaces.map((ns) => kube.rest.request("DELETE", kube.collectionPath(k.kind, ns))),
      ),
    );
    await kube.deleteCrds(crds);
    await kube.waitCrdsGone(crds);
    for (const node of await kube.listNodes())
      await kube.rest.request("DELETE", `/api/v1/nodes/${encodeURIComponent(node.metadata.name)}`);
  });
}

/** Drops values Go's encoders leave out (false, "", empty maps/lists, null), recursively. */
export function withoutZeroValues(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutZeroValues);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const n = withoutZeroValues(v);
      if (n === false || n === "" || n === null || n === undefined) continue;
      if (typeof n === "object" && Object.keys(n as object).length === 0) continue;
      out[k] = n;
    }
    return out;
  }
  return value;
}

import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { NetworkingV1Api } from "@kubernetes/client-node";
import { installBuiltinTiers } from "../src/calico/api.js";
import { Calicoctl, CalicoctlExitError, etcdConfigFile } from "../src/calico/calicoctl/adapter.js";
import { findCalicoctls } from "../src/calico/calicoctl/found.js";
import {
  CALICO_RELEASES,
  DEFAULT_CALICOCTL_VERSION,
  locateCalicoctl,
} from "../src/calico/calicoctl/install.js";
import { loadFixture, seedCalicoEtcd } from "../src/calico/fixture.js";
import { readEtcdPrefix, readKubeCalico } from "../src/oracles/calico/read.js";
import { calicoCase } from "../src/upstream/calico-cases.js";
import { type ForwardAttempt, judgeCalicoCase } from "../src/upstream/calico-judges.js";
import { caseVerdict } from "../src/upstream/outcome.js";
import { sourceName } from "./calico.steps.js";
import { step } from "./support/define.js";
import { calicoMigratorFor } from "./support/migrators.js";
import type { CaseTool } from "./support/scenario-state.js";
import type { StoreshiftWorld } from "./support/world.js";

const area = "Upstream regression cases (Calico)";

function caseTool(world: StoreshiftWorld): CaseTool {
  return world.upstream.tool.get();
}

step(
  "Given",
  "upstream case {string} runs with {string}",
  {
    area,
    example: 'Given upstream case "C-08" runs with "calicoctl"',
    doc: '"storeshift" (its own migrator, whatever --migrator says), "calicoctl" (--migrator calicoctl=PATH, else the built calicoctl) or "calicoctl 3.29.0" (that release, from the cache). A calicoctl that is not here makes the row not run, recorded as such with the reason.',
  },
  async function (caseId: string, who: string) {
    calicoCase(caseId);
    const [name, wanted] = who.split(/\s+/);
    if (name === "storeshift") {
      this.upstream.tool.set({ tool: "storeshift" });
      this.calico.migrator = "builtin";
      this.record.expectUpstreamCase({ caseId, tool: "storeshift" });
      return undefined;
    }
    if (name !== "calicoctl")
      throw new Error(
        `upstream case ${caseId}: runs with "storeshift" or "calicoctl [version]", not "${who}"`,
      );
    const chosen = this.params.migrator;
    let path: string | undefined;
    if (!wanted && chosen.startsWith("calicoctl=")) path = chosen.slice("calicoctl=".length);
    else if (wanted) {
      // a release row takes that release from every calicoctl found (STORESHIFT_CALICOCTL's list, the cache)
      path = (await findCalicoctls()).found.find((c) => c.version === wanted)?.path;
    }
    if (!path) {
      const located = await locateCalicoctl(wanted ?? DEFAULT_CALICOCTL_VERSION);
      if ("missing" in located) {
        const version = wanted ?? DEFAULT_CALICOCTL_VERSION;
        const reason = CALICO_RELEASES[version]
          ? located.reason
          : `calicoctl ${version} is not here, and \`storeshift calico install-calicoctl\` knows no release commit for it (CALICO_RELEASES has ${Object.keys(CALICO_RELEASES).join(", ")})`;
        this.record.upstreamCase({
          caseId,
          tool: "calicoctl",
          toolVersion: version,
          outcome: "not-run",
          detail: reason,
        });
        this.record.reason = `upstream case ${caseId} needs calicoctl ${version}: ${reason}`;
        return "skipped";
      }
      path = located.path;
    }
    const version = (await new Calicoctl(path).version()) ?? wanted ?? "unknown";
    if (wanted && version !== wanted) {
      // no calicoctl found is this release (the fallback is STORESHIFT_CALICOCTL's first path): not run
      const reason = `${path} is calicoctl ${version}, not ${wanted}`;
      this.record.upstreamCase({
        caseId,
        tool: "calicoctl",
        toolVersion: wanted,
        outcome: "not-run",
        detail: reason,
      });
      this.record.reason = `upstream case ${caseId} needs calicoctl ${wanted}: ${reason}`;
      return "skipped";
    }
    this.upstream.tool.set({ tool: "calicoctl", version, path });
    this.calico.migrator = `calicoctl=${path}`;
    this.record.expectUpstreamCase({ caseId, tool: "calicoctl", toolVersion: version });
    return undefined;
  },
);

step(
  "Given",
  "upstream case {string} does not apply to {string}, because {string}",
  {
    area,
    example:
      'Given upstream case "C-12" does not apply to "storeshift", because "storeshift reads no calicoctl.cfg"',
    doc: "Records the case as not applicable to that tool, with the reason, in the report's upstream table.",
  },
  function (caseId: string, tool: string, why: string) {
    calicoCase(caseId);
    this.record.upstreamCase({ caseId, tool, outcome: "not-applicable", detail: why });
  },
);

step(
  "Given",
  "the Kubernetes datastore already has Calico's built-in tiers",
  {
    area,
    example: "Given the Kubernetes datastore already has Calico's built-in tiers",
    doc: "Installs the Calico CRDs (Calico's real ones after `Calico's real CRDs from …`) and the tiers default, kube-admin and kube-baseline, as a target keeps them once anything initialised Calico there (they are protected from deletion).",
  },
  async function () {
    const crds = this.calico.crds;
    await this.record.phase("built-in tiers in Kubernetes", () =>
      installBuiltinTiers(this.kube().kubeConfig(), crds),
    );
  },
);

step(
  "Given",
  "the Kubernetes NetworkPolicy {string} admits {string} to pods {string} on TCP {int}",
  {
    area,
    example:
      'Given the Kubernetes NetworkPolicy "prod/allow-web" admits "role=frontend" to pods "app=web" on TCP 80',
    doc: "Creates a networking.k8s.io/v1 NetworkPolicy in the target (the Kubernetes datastore derives a `knp.default.<name>` Calico policy from it).",
  },
  async function (ref: string, from: string, pods: string, port: number) {
    const [namespace = "default", name = ""] = ref.split("/");
    const labels = (s: string) => Object.fromEntries([s.split("=") as [string, string]]);
    const api = this.kube().kubeConfig().makeApiClient(NetworkingV1Api);
    // namespaces outlive scenarios (kube-reset.ts), so their NetworkPolicies would too
    const remove = () =>
      api.deleteNamespacedNetworkPolicy({ name, namespace }).then(
        () => undefined,
        () => undefined,
      );
    await remove();
    this.cleanups.push(remove);
    await api.createNamespacedNetworkPolicy({
      namespace,
      body: {
        metadata: { name, namespace },
        spec: {
          podSelector: { matchLabels: labels(pods) },
          ingress: [
            { _from: [{ podSelector: { matchLabels: labels(from) } }], ports: [{ protocol: "TCP", port }] },
          ],
        },
      },
    });
  },
);

step(
  "When",
  "I note every Calico key of etcd {string}",
  {
    area,
    example: 'When I note every Calico key of etcd "source"',
    doc: "Keeps every key and value under /calico/ as they are now, for a case that compares with a later state (writes after the export, the round trip of a rollback).",
  },
  async function (name: string) {
    this.upstream.noted = await readEtcdPrefix(this.endpoints(name), "/calico/");
  },
);

step(
  "When",
  "Calico data from {string} is added to etcd {string}",
  {
    area,
    example: 'When Calico data from "upstream/calico/c13-late-write.yaml" is added to etcd "source"',
    doc: "Writes a fixture's objects into an etcd that already holds Calico data (as a running component would, e.g. during the lock window); fails on a key that exists.",
  },
  async function (file: string, name: string) {
    const fixture = await loadFixture(await this.fixturePath(file));
    await this.record.phase("write to Calico etcd", () => seedCalicoEtcd(this.endpoints(name), fixture));
  },
);

step(
  "When",
  "I try the forward migration",
  {
    area,
    example: "When I try the forward migration",
    doc: "Lock etcd, export, import, stopping at the first step that fails; what failed, its message, what a failed export had already printed and the import's warnings are kept for the judging step.",
  },
  async function () {
    const m = await calicoMigratorFor(this);
    const attempt: ForwardAttempt = { importWarnings: [] };
    this.upstream.attempt = attempt;
    const stage = async <T>(name: string, work: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await this.record.phase(name, work);
      } catch (err) {
        attempt.failedAt = name;
        attempt.message = (err as Error).message;
        if (err instanceof CalicoctlExitError) attempt.partialExport = err.stdout;
        return undefined;
      }
    };
    if ((await stage("lock", () => m.lock("etcdv3").then(() => true))) === undefined) return;
    const text = await stage("export", () => m.export());
    if (text === undefined) return;
    attempt.exportText = text;
    this.calico.exportText.set(text);
    const file = join(await this.ensureArtifactDir(), "export.yaml");
    await writeFile(file, text);
    this.record.artifacts.push(file);
    const result = await stage("import", async () => {
      const r = await m.import(text);
      if (r.exitCode !== 0) throw new Error(r.error ?? `import exited ${r.exitCode}`);
      return r;
    });
    if (result) {
      this.calico.imported.set(result);
      attempt.importWarnings = result.warnings;
    }
  },
);

step(
  "When",
  "calicoctl imports the export with a config file that says etcdv3",
  {
    area,
    example: "When calicoctl imports the export with a config file that says etcdv3",
    doc: "Runs `calicoctl datastore migrate import --config FILE` with DATASTORE_TYPE=kubernetes in the environment and a config file naming the etcd datastore (upstream case C-12).",
  },
  async function () {
    const tool = caseTool(this);
    assert.ok(tool.path, "this step needs a calicoctl row");
    const text = this.calico.exportText.get();
    const attempt: ForwardAttempt = { importWarnings: [], exportText: text };
    const res = await this.record.phase("import with a calicoctl.cfg", () =>
      new Calicoctl(tool.path as string).import(
        { type: "kubernetes", kubeconfigPath: this.kube().kubeconfigPath },
        text,
        etcdConfigFile(this.endpoints(sourceName(this))),
      ),
    );
    if (res.exitCode !== 0) {
      attempt.failedAt = "import";
      attempt.message = `${res.stdout} ${res.stderr}`.replace(/\s+/g, " ").trim().slice(0, 300);
    }
    this.upstream.attempt = attempt;
  },
);

/** The forward attempt of this scenario: the try step's, else what the plain steps left. */
function attemptOf(world: StoreshiftWorld): ForwardAttempt | undefined {
  const tried = world.upstream.attempt;
  if (tried) return tried;
  const imported = world.calico.imported.peek();
  const text = world.calico.exportText.peek();
  if (!imported && text === undefined) return undefined;
  return {
    importWarnings: imported?.warnings ?? [],
    ...(text !== undefined ? { exportText: text } : {}),
    ...(imported && imported.exitCode !== 0 ? { failedAt: "import", message: imported.error } : {}),
  };
}

step(
  "Then",
  "upstream case {string} is judged",
  {
    area,
    example: 'Then upstream case "C-08" is judged',
    doc: "Reads both stores with the plain clients, asks the case's judge (src/upstream/calico-judges.ts) whether the upstream bug showed, and records the verdict: calicoctl reproduced / not-reproduced (never fails the scenario), storeshift fixed-by-storeshift / not-reproduced, or reproduced — which fails it.",
  },
  async function (caseId: string) {
    const known = calicoCase(caseId);
    const tool = caseTool(this);
    const judged = judgeCalicoCase(caseId, {
      tool: tool.tool,
      etcd: await readEtcdPrefix(this.endpoints(sourceName(this)), "/calico/"),
      noted: this.upstream.noted,
      kube: await readKubeCalico(this.kube().kubeConfig()),
      attempt: attemptOf(this),
      rollbackLeftovers: this.calico.rolledBack.peek()?.leftovers,
    });
    const { verdict, failed } = caseVerdict({
      caseId,
      tool: tool.tool,
      toolVersion: tool.version,
      fixedUpstreamIn: known.fixedUpstreamIn,
      ...judged,
    });
    this.record.upstreamCase(verdict);
    this.log(`upstream ${caseId} ${tool.tool}: ${verdict.outcome}: ${verdict.detail}`);
    // a failed check's message also says which upstream bug storeshift shows, for the step's error
    this.record.expect({
      name: `upstream ${caseId} with ${tool.tool}${tool.version ? ` ${tool.version}` : ""}`,
      status: failed ? "failed" : "passed",
      message: `${verdict.outcome}: ${verdict.detail}${failed ? ` (storeshift shows upstream case ${caseId}: ${known.title})` : ""}`,
    });
  },
);

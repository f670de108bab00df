import { VersionApi } from "@kubernetes/client-node";
import { locateKubeApiserverMinor, minorOf } from "../src/binaries/kube-minor.js";
import { isMissing, locate } from "../src/binaries/locate.js";
import { findCalicoctls, noCalicoctlReason } from "../src/calico/calicoctl/found.js";
import type { Difference } from "../src/diff/types.js";
import { kubeWithFixtureNodes } from "./calico.steps.js";
import { step } from "./support/define.js";
import type { StoreshiftWorld } from "./support/world.js";

/**
 * The version matrix (features/matrix): which Kubernetes minor, which calicoctl, which etcd line a
 * row runs. A row whose version is not here, or to which a migration does not apply, is not run,
 * with the reason; it is never passed.
 */
const area = "Version matrix";

function notRun(world: StoreshiftWorld, reason: string): "skipped" {
  world.record.reason = reason;
  return "skipped";
}

step(
  "Given",
  "a Kubernetes {word} cluster with the fixture's nodes and namespaces",
  {
    area,
    example: "Given a Kubernetes 1.36 cluster with the fixture's nodes and namespaces",
    doc: "As `a Kubernetes cluster with the fixture's nodes and namespaces`, on a local control plane running a kube-apiserver of that Kubernetes minor: the run's own when it is of that minor, else the newest patch of it in storeshift's cache (one control plane per version and worker, stopped at the end). Without one the row is not run, naming the release to install.",
  },
  async function (minor: string) {
    if (!minorOf(minor)) throw new Error(`kube-apiserver ${minor}: expected a Kubernetes minor such as 1.36`);
    if (this.params.backend !== "local")
      return notRun(
        this,
        `a kube-apiserver version is chosen on the local backend only (this run's backend is ${this.params.backend}: kind and existing clusters run their own)`,
      );
    const found = await locateKubeApiserverMinor(minor);
    if (isMissing(found)) return notRun(this, found.reason);
    this.log(`kube-apiserver ${minor}: ${found.path} (${found.source}, ${found.version})`);
    await kubeWithFixtureNodes(this, found);
    return undefined;
  },
);

step(
  "Then",
  "the API server reports Kubernetes {word}",
  {
    area,
    example: "Then the API server reports Kubernetes 1.36",
    doc: "GET /version of the scenario's API server: its gitVersion must be of that minor. The version it reports is recorded as a check and added to the row's name in the reports.",
  },
  async function (minor: string) {
    const info = await this.kube().kubeConfig().makeApiClient(VersionApi).getCode();
    const reported = info.gitVersion;
    this.record.variants.push(`kube-apiserver ${reported}`);
    const differences: Difference[] =
      minorOf(reported) === minor
        ? []
        : [
            {
              class: "changed",
              id: "kube-apiserver:/version",
              kind: "version",
              path: "gitVersion",
              expected: `v${minor}.x`,
              actual: reported,
            },
          ];
    const check = this.record.check(
      `the API server's /version is of Kubernetes ${minor}`,
      differences,
      `/version: gitVersion ${reported} (major ${info.major}, minor ${info.minor})`,
    );
    if (check.status === "failed")
      throw new Error(`${check.name}: /version says ${reported} (major ${info.major}, minor ${info.minor})`);
  },
);

step(
  "Given",
  "the calicoctl found #{int} as the migrator",
  {
    area,
    example: "Given the calicoctl found #1 as the migrator",
    doc: "The n-th calicoctl found (the paths STORESHIFT_CALICOCTL lists, colon-separated, then the cache's calicoctl-<version> builds, newest first; each binary once) drives every Calico migration step of the row, whatever --migrator says. Its `calicoctl version` is recorded and added to the row's name. With fewer found, the row is not run, saying which were found.",
  },
  async function (n: number) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`calicoctl #${n}: rows count from 1`);
    const search = await findCalicoctls();
    if (search.found.length === 0) return notRun(this, noCalicoctlReason(search));
    const chosen = search.found[n - 1];
    if (!chosen) {
      const list = search.found.map((c, i) => `#${i + 1} calicoctl ${c.version} (${c.path})`).join(", ");
      return notRun(this, `${search.found.length} calicoctl found (${list}), so no #${n}`);
    }
    this.calico.migrator = `calicoctl=${chosen.path}`;
    this.record.variants.push(`calicoctl ${chosen.version}`);
    this.record.check(
      `the migrator is the calicoctl found #${n}`,
      [],
      `calicoctl ${chosen.version} at ${chosen.path} (from ${chosen.source})`,
    );
    this.log(`calicoctl #${n}: ${chosen.version} at ${chosen.path} (${chosen.source})`);
    return undefined;
  },
);

step(
  "Given",
  "the {word} v2 → v3 migration applies to etcd {int}.{int}",
  {
    area,
    example: "Given the offline v2 → v3 migration applies to etcd 3.5",
    doc: "Offline (`etcdctl migrate`) applies to etcd 3.4 only: etcd 3.5 removed it, so a 3.5 offline row is not run, as not applicable, with that reason. Online (storeshift's migrator over the v2 API) applies to 3.4 and to 3.5 with `--enable-v2`; a 3.5 row without the 3.5 build is not run. etcd 3.6 has no v2 API.",
  },
  async function (mode: string, major: number, minor: number) {
    if (mode !== "offline" && mode !== "online")
      throw new Error(`the ${mode} migration: expected offline or online`);
    if (major !== 3 || minor < 4 || minor > 6)
      throw new Error(`etcd ${major}.${minor}: the matrix has 3.4-3.6`);
    if (minor === 6)
      return notRun(
        this,
        "not applicable: etcd 3.6 has no v2 API (v2 data must be migrated before the upgrade)",
      );
    if (minor === 5 && mode === "offline")
      return notRun(
        this,
        "not applicable: `etcdctl migrate`, the offline v2 → v3 migration, was removed in etcd 3.5 (etcd-io/etcd PR #12971); etcd 3.5's v2 store (--enable-v2) is migrated online, or offline with etcdctl 3.4 before the upgrade",
      );
    const found = await locate(minor === 5 ? "etcd-3.5" : "etcd-v2");
    if (isMissing(found)) return notRun(this, `needs etcd 3.${minor}: ${found.reason}`);
    this.record.variants.push(`etcd ${found.version}`);
    return undefined;
  },
);

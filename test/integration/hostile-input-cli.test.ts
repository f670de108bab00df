import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Etcd3 } from "etcd3";
import { exportFromEtcd, lockEtcd, prepareKubeTarget } from "../../src/calico/api.js";
import { loadFixture, seedCalicoEtcd } from "../../src/calico/fixture.js";
import { stopAll } from "../../src/common/cleanup.js";
import { makeTempDir, removeDir } from "../../src/common/temp.js";
import { type StartedLocalEtcd, startLocalEtcd } from "../../src/providers/etcd/local-etcd.js";
import {
  type StartedLocalControlPlane,
  startLocalControlPlane,
} from "../../src/providers/kube/local-control-plane.js";
import { requireBinary } from "../helpers/binaries.js";

/**
 * The CLI on hostile input: every case must end in one line on stderr that names the file and the
 * position (or the flag), exit code 2, no stack trace — and no write to any store, which is proven
 * by the stores' revisions (etcd) and Calico registry keys (Kubernetes) before and after.
 */

const cliPath = new URL("../../bin/storeshift.js", import.meta.url).pathname;
let etcd: StartedLocalEtcd;
let plane: StartedLocalControlPlane;
let dir: string;
let exportText: string;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cliPath, ...args],
      { env: { ...process.env, STORESHIFT_QUIET: "1" }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 2) : 0, stdout, stderr }),
    );
  });
}

async function revision(endpoints: string[], prefix: string): Promise<{ rev: string; keys: number }> {
  const client = new Etcd3({ hosts: endpoints });
  try {
    const res = await client.getAll().prefix(prefix).exec();
    return { rev: String(res.header.revision), keys: res.kvs.length };
  } finally {
    client.close();
  }
}

/** What a write would change: the source etcd's revision, and Calico's keys in the registry. */
async function storesState(): Promise<string> {
  const source = await revision(etcd.endpoints, "");
  const calico = await revision([plane.etcdEndpoint], "/registry/crd.projectcalico.org/");
  const crds = await revision([plane.etcdEndpoint], "/registry/apiextensions.k8s.io/");
  return JSON.stringify({ source: source.rev, calicoKeys: calico.keys, crdKeys: crds.keys });
}

function assertOneLineRefusal(r: { code: number; stderr: string }, mustName: RegExp[], what: string): void {
  assert.equal(r.code, 2, `${what}: exit code (stderr: ${r.stderr})`);
  const text = r.stderr.trimEnd();
  assert.equal(text.split("\n").length, 1, `${what}: one line, got ${JSON.stringify(r.stderr)}`);
  assert.doesNotMatch(text, /\n\s+at |Error: .*\n|node:internal/, `${what}: no stack trace`);
  for (const re of mustName) assert.match(text, re, `${what}: names ${re}`);
}

before(async () => {
  await requireBinary("etcd");
  await requireBinary("kube-apiserver");
  dir = await makeTempDir("hostile-input");
  [etcd, plane] = await Promise.all([
    startLocalEtcd({ line: "current", name: "hostile-source" }),
    startLocalControlPlane({ name: "hostile" }),
  ]);
  const fixture = await loadFixture(new URL("../../fixtures/calico/dataset.yaml", import.meta.url).pathname);
  await seedCalicoEtcd(etcd.endpoints, fixture);
  await prepareKubeTarget(plane.kubeConfig(), fixture);
  await lockEtcd(etcd.endpoints);
  exportText = (await exportFromEtcd(etcd.endpoints)).text;
});

after(async () => {
  await plane?.stop();
  await etcd?.stop();
  if (dir) await removeDir(dir);
  await stopAll();
});

const kubeArgs = () => ["--datastore-type", "kubernetes", "--kubeconfig", plane.kubeconfigPath];

/** Export files an operator could hand to `storeshift calico import -f`. */
function hostileExports(valid: string): [string, string, RegExp[]][] {
  const sections = valid.split("\n===\n");
  return [
    ["wrong section count", sections.slice(0, 2).join("\n===\n"), [/2 sections/]],
    ["four sections", `${valid}===\n{}\n`, [/4 sections/]],
    [
      "broken YAML",
      valid.replace("kind: IPPool\n", "kind: IPPool\n  : : [\n"),
      [/resources section/, /line \d+/],
    ],
    [
      "broken JSON in the IPAM section",
      valid.replace(/\{\s*"block_affinities"/, '{ "block_affinities" ,'),
      [/IPAM section, line \d+/],
    ],
    [
      "broken JSON in the ClusterInformation section",
      `${sections[0]}\n===\n{ nope\n===\n${sections[2]}`,
      [/ClusterInformation section, line \d+/],
    ],
    [
      "an unknown kind",
      valid.replace("kind: IPPool\n", "kind: Pod\n"),
      [/kind Pod is not one the migration imports/, /line \d+/],
    ],
    [
      "a wrong apiVersion",
      valid.replace(
        "apiVersion: projectcalico.org/v3\n  kind: IPPool",
        "apiVersion: projectcalico.org/v2\n  kind: IPPool",
      ),
      [/apiVersion projectcalico\.org\/v2/, /line \d+/],
    ],
    [
      "a === line inside a value",
      valid.replace(
        "kind: IPPool\n  metadata:\n",
        "kind: IPPool\n  metadata:\n    annotations:\n      note: |\n        a\n===\n        b\n",
      ),
      [/sections/],
    ],
    ["an empty file", "", [/1 sections/]],
    ["binary garbage", "\u0000\u0001\uFFFD===\n\n===\n", [/import|parse/]],
  ];
}

test("calico import of hostile export files: one line naming file and position, exit 2, no store written", async () => {
  const state = await storesState();
  for (const [what, text, mustName] of hostileExports(exportText)) {
    const file = join(dir, `${what.replace(/[^a-z0-9]+/gi, "-")}.yaml`);
    await writeFile(file, text);
    const r = await cli(["calico", "import", ...kubeArgs(), "-f", file]);
    assertOneLineRefusal(r, [new RegExp(file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")), ...mustName], what);
    assert.equal(await storesState(), state, `${what}: nothing written to any store`);
  }
});

test("calico import of a huge broken export (~40 MB): refused in one line within 60 s, nothing written", async () => {
  const state = await storesState();
  const sections = exportText.split("\n===\n");
  const item = (i: number) =>
    `- apiVersion: projectcalico.org/v3\n  kind: GlobalNetworkSet\n  metadata:\n    name: huge-${i}\n  spec:\n    nets: [${Array.from({ length: 40 }, (_, j) => `"10.${i % 250}.${j}.0/24"`).join(", ")}]\n`;
  const items: string[] = [];
  for (let i = 0; i < 60_000; i++) items.push(item(i));
  const huge = `apiVersion: projectcalico.org/v3\nitems:\n${items.join("")}kind: GlobalNetworkSetList\nmetadata: {}\n---\n${sections[0]}\n===\n${sections[1]}\n===\n{ "blocks": [ } \n`;
  assert.ok(huge.length > 40_000_000, `huge file is ${huge.length} bytes`);
  const file = join(dir, "huge.yaml");
  await writeFile(file, huge);
  const started = Date.now();
  const r = await cli(["calico", "import", ...kubeArgs(), "-f", file]);
  assertOneLineRefusal(r, [/huge\.yaml/, /IPAM section, line \d+/], "huge file");
  assert.ok(Date.now() - started < 60_000, `took ${Date.now() - started} ms`);
  assert.equal(await storesState(), state, "nothing written");
});

test("calico import of an export file with a duplicated object: refused in one line naming both places, nothing written", async () => {
  // calicoctl applies the second copy as an update; storeshift refuses it as a broken file
  const sections = exportText.split("\n===\n");
  const dup = sections[0]?.replace(
    /(- apiVersion: projectcalico\.org\/v3\n {2}kind: GlobalNetworkPolicy\n[\s\S]*?)(?=- apiVersion|kind: GlobalNetworkPolicyList)/,
    "$1$1",
  );
  assert.notEqual(dup, sections[0], "the test made a duplicate");
  const file = join(dir, "duplicate.yaml");
  await writeFile(file, [dup, sections[1], sections[2]].join("\n===\n"));
  const state = await storesState();
  const r = await cli(["calico", "import", ...kubeArgs(), "-f", file]);
  assertOneLineRefusal(
    r,
    [/duplicate\.yaml/, /duplicate GlobalNetworkPolicy \S+/, /item \d+\)/, /first in document at line \d+/],
    "duplicate object",
  );
  assert.equal(await storesState(), state, "nothing written");
});

test("calico seed of hostile fixtures: one line naming file and position, exit 2, etcd unchanged", async () => {
  const target = await startLocalEtcd({ line: "current", name: "hostile-seed" });
  try {
    const before = await revision(target.endpoints, "");
    const f = "format: storeshift/calico-fixture/v1\n";
    const cases: [string, Buffer | string, RegExp[]][] = [
      ["malformed YAML", `${f}resources:\n  - kind: IPPool\n   metadata: {name: a}\n`, [/line \d+/]],
      [
        "an invalid name",
        `${f}resources:\n  - kind: IPPool\n    metadata: {name: "Bad Name!"}\n    spec: {cidr: 10.0.0.0/16}\n`,
        [/resources\[0\]/, /not a valid object name/],
      ],
      ["an invalid CIDR", `${f}ipam:\n  blocks:\n    - cidr: 10.0.0.0/33\n`, [/ipam\.blocks\[0\]/]],
      [
        "an invalid affinity CIDR",
        `${f}ipam:\n  affinities:\n    - {host: n1, cidr: 300.1.1.0/26}\n`,
        [/cannot be stored/],
      ],
      [
        "a non-UTF-8 value",
        Buffer.concat([
          Buffer.from(`${f}resources:\n  - kind: IPPool\n    metadata: {name: a, labels: {x: "`),
          Buffer.from([0xc3, 0x28]),
          Buffer.from('"}}\n'),
        ]),
        [/line 4/, /not UTF-8/],
      ],
      ["a wrong format", "format: something-else\n", [/format must be/]],
    ];
    for (const [what, content, mustName] of cases) {
      const file = join(dir, `fixture-${what.replace(/[^a-z0-9]+/gi, "-")}.yaml`);
      await writeFile(file, content);
      const r = await cli(["calico", "seed", "--etcd-endpoints", target.endpoints.join(","), "-f", file]);
      assertOneLineRefusal(r, [new RegExp(file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")), ...mustName], what);
      assert.deepEqual(await revision(target.endpoints, ""), before, `${what}: etcd unchanged`);
    }
  } finally {
    await target.stop();
  }
});

test("unknown, missing and contradictory flags: one line naming the flag, exit 2, no store written", async () => {
  const state = await storesState();
  const e = ["--etcd-endpoints", etcd.endpoints.join(",")];
  const cases: [string[], RegExp][] = [
    [["calico", "lock", ...e, "--bogus"], /--bogus/],
    [["calico", "import", ...kubeArgs()], /-f FILE is required/],
    [["calico", "import", ...kubeArgs(), "-f"], /-f/],
    [["calico", "lock", "--datastore-type", "etcd2", ...e], /datastore type "etcd2"/],
    [["calico", "frobnicate"], /unknown subcommand "frobnicate"/],
    [["etcd", "migrate", "--online", "--offline"], /exactly one of --online or --offline/],
    [
      ["etcd", "migrate", "--online", "--endpoints", etcd.endpoints[0] ?? "", "--ttl", "forever"],
      /--ttl forever/,
    ],
    [
      ["etcd", "migrate", "--online", "--endpoints", etcd.endpoints[0] ?? "", "--concurrency", "zero"],
      /--concurrency/,
    ],
    [
      ["etcd", "rollback", "--online", "--offline", "--result", "x.json"],
      /exactly one of --online or --offline/,
    ],
    [["snapshot"], /snapshot/],
    [["diff", "--no-such-flag"], /--no-such-flag/],
    [["run", "--parallel", "many"], /--parallel/],
  ];
  for (const [args, mustName] of cases) {
    const r = await cli(args);
    assertOneLineRefusal(r, [mustName], args.join(" "));
  }
  assert.equal(await storesState(), state, "no store written");
});

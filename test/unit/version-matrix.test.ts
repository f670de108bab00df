import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  cachedPatchesOf,
  locateKubeApiserverMinor,
  minorOf,
  notInstalledReason,
  pinnedPatchOf,
} from "../../src/binaries/kube-minor.js";
import {
  calicoctlCandidates,
  compareVersionsDescending,
  findCalicoctls,
  parseCalicoctlList,
} from "../../src/calico/calicoctl/found.js";
import { locateCalicoctl } from "../../src/calico/calicoctl/install.js";
import { ScenarioRecord } from "../../steps/support/scenario-record.js";

test("STORESHIFT_CALICOCTL is split like PATH: one path as before, several in order, blanks and repeats dropped", () => {
  assert.deepEqual(parseCalicoctlList(undefined), []);
  assert.deepEqual(parseCalicoctlList(""), []);
  assert.deepEqual(parseCalicoctlList("/opt/calicoctl"), ["/opt/calicoctl"]);
  assert.deepEqual(parseCalicoctlList("/a/calicoctl:/b/calicoctl"), ["/a/calicoctl", "/b/calicoctl"]);
  assert.deepEqual(parseCalicoctlList(" /a/calicoctl ::/b/calicoctl:/a/calicoctl:"), [
    "/a/calicoctl",
    "/b/calicoctl",
  ]);
});

test("calicoctl candidates: the variable's paths as listed, then cached builds newest first; other dirs ignored", () => {
  const got = calicoctlCandidates(
    "/x/calicoctl:/y/calicoctl",
    ["calicoctl-3.29.0", "etcd-3.6.16", "calicoctl-3.32.1", "calicoctl-3.9.0", "kube-apiserver-1.37.2"],
    "/cache",
  );
  assert.deepEqual(got, [
    { path: "/x/calicoctl", source: "STORESHIFT_CALICOCTL" },
    { path: "/y/calicoctl", source: "STORESHIFT_CALICOCTL" },
    { path: "/cache/bin/calicoctl-3.32.1/calicoctl", source: "cache" },
    { path: "/cache/bin/calicoctl-3.29.0/calicoctl", source: "cache" },
    { path: "/cache/bin/calicoctl-3.9.0/calicoctl", source: "cache" },
  ]);
  assert.deepEqual(calicoctlCandidates(undefined, [], "/cache"), []);
});

test("versions sort numerically, newest first (3.10 after 3.9 is wrong)", () => {
  assert.deepEqual(["3.9.0", "3.10.1", "3.10.0", "3.32.1"].sort(compareVersionsDescending), [
    "3.32.1",
    "3.10.1",
    "3.10.0",
    "3.9.0",
  ]);
});

test("a Kubernetes minor is read from release and /version strings; anything else is not one", () => {
  assert.equal(minorOf("1.36.3"), "1.36");
  assert.equal(minorOf("v1.37.2"), "1.37");
  assert.equal(minorOf("1.36"), "1.36");
  assert.equal(minorOf("v1.36.0-rc.1"), "1.36");
  assert.equal(minorOf("latest"), undefined);
  assert.equal(minorOf("1"), undefined);
});

test("cached kube-apiserver patches of one minor, newest first; other minors and tools ignored", () => {
  const dirs = [
    "kube-apiserver-1.36.3",
    "kube-apiserver-1.37.2",
    "kube-apiserver-1.36.10",
    "kube-apiserver-1.3.6",
    "etcd-1.36.4",
    "kube-apiserver-1.36.x",
  ];
  assert.deepEqual(cachedPatchesOf("1.36", dirs), ["1.36.10", "1.36.3"]);
  assert.deepEqual(cachedPatchesOf("1.35", dirs), []);
});

test("the release a not-run row names: the pin, else the default's when of that minor, else .0", () => {
  const pins = { "1.36": "1.36.3" };
  assert.equal(pinnedPatchOf("1.36", pins, "1.37.2"), "1.36.3");
  assert.equal(pinnedPatchOf("1.37", pins, "1.37.2"), "1.37.2");
  assert.equal(pinnedPatchOf("1.35", pins, "1.37.2"), "1.35.0");
  assert.equal(
    notInstalledReason("1.36.3"),
    "kube-apiserver 1.36.3 is not installed (storeshift install --tool kube-apiserver with STORESHIFT_KUBE_VERSION=1.36.3)",
  );
});

async function withEnv<T>(vars: Record<string, string | undefined>, work: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await work();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** A stand-in binary that prints what `calicoctl version` / `kube-apiserver --version` print. */
async function script(path: string, output: string): Promise<void> {
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, `#!/bin/sh\necho '${output}'\n`);
  await chmod(path, 0o755);
}

test("every calicoctl found once, with its version; a listed path that is not executable is rejected with why", async () => {
  const dir = await mkdtemp(join(tmpdir(), "storeshift-matrix-"));
  try {
    await script(join(dir, "bin", "calicoctl-3.32.1", "calicoctl"), "Client Version:    v3.32.1");
    await script(join(dir, "own", "calicoctl"), "Client Version:    v3.31.0");
    await mkdir(join(dir, "bin", "calicoctl-3.30.0")); // an unfinished build: no binary
    const listed = `${join(dir, "own", "calicoctl")}:/nonexistent/calicoctl:${join(dir, "bin", "calicoctl-3.32.1", "calicoctl")}`;
    const search = await withEnv({ STORESHIFT_CACHE: dir, STORESHIFT_CALICOCTL: listed }, () =>
      findCalicoctls(),
    );
    assert.deepEqual(
      search.found.map((c) => [c.version, c.source]),
      [
        ["3.31.0", "STORESHIFT_CALICOCTL"],
        ["3.32.1", "STORESHIFT_CALICOCTL"],
      ],
    );
    assert.equal(search.rejected.length, 2, search.rejected.join("\n"));
    assert.match(search.rejected[0] ?? "", /\/nonexistent\/calicoctl is not an executable file/);
    assert.match(search.rejected[1] ?? "", /cache: .*calicoctl-3\.32\.1\/calicoctl is .* again/);
    // one path keeps working as before: locateCalicoctl takes the list's first
    const located = await withEnv({ STORESHIFT_CALICOCTL: listed }, () => locateCalicoctl("3.31.0"));
    assert.ok(!("missing" in located));
    assert.equal(located.path, join(dir, "own", "calicoctl"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a kube-apiserver of a minor comes from the cache's newest patch; a build's .partial is not one", async () => {
  const dir = await mkdtemp(join(tmpdir(), "storeshift-matrix-"));
  try {
    await script(join(dir, "bin", "kube-apiserver-1.36.3", "kube-apiserver"), "Kubernetes v1.36.3");
    await script(join(dir, "bin", "kube-apiserver-1.35.1", "kube-apiserver.partial"), "Kubernetes v1.35.1");
    // no PATH binary and no envtest variables: only the cache answers
    const env = { STORESHIFT_CACHE: dir, PATH: "/nonexistent", TEST_ASSET_KUBE_APISERVER: undefined };
    const found = await withEnv({ ...env, KUBEBUILDER_ASSETS: undefined }, () =>
      locateKubeApiserverMinor("1.36"),
    );
    assert.ok("path" in found, JSON.stringify(found));
    assert.equal(found.version, "1.36.3");
    const missing = await withEnv({ ...env, KUBEBUILDER_ASSETS: undefined }, () =>
      locateKubeApiserverMinor("1.35"),
    );
    assert.ok("reason" in missing);
    assert.match(
      missing.reason,
      /^kube-apiserver 1\.35\.0 is not installed \(storeshift install --tool kube-apiserver with STORESHIFT_KUBE_VERSION=1\.35\.0\)$/,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a matrix row's name carries what it found; other rows keep their own name", () => {
  const record = new ScenarioRecord();
  assert.equal(record.nameWithVariants("round trip"), "round trip");
  record.variants.push("calicoctl 3.32.1");
  assert.equal(record.nameWithVariants("round trip"), "round trip [calicoctl 3.32.1]");
});

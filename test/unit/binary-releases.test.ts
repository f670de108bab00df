import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assetUrl,
  checksumUrl,
  etcdRelease,
  kubeApiserverRelease,
  parseChecksumFile,
  releasePlatform,
} from "../../src/binaries/releases.js";

const amd64 = { os: "linux", arch: "amd64" };

test("etcd's official archive and SHA256SUMS, upstream and in a mirror", () => {
  const asset = etcdRelease("3.6.16", amd64);
  assert.ok(asset);
  assert.equal(
    assetUrl(asset, undefined),
    "https://github.com/etcd-io/etcd/releases/download/v3.6.16/etcd-v3.6.16-linux-amd64.tar.gz",
  );
  assert.equal(
    checksumUrl(asset, undefined),
    "https://github.com/etcd-io/etcd/releases/download/v3.6.16/SHA256SUMS",
  );
  assert.equal(
    assetUrl(asset, "https://mirror.example/bins/"),
    "https://mirror.example/bins/etcd/v3.6.16/etcd-v3.6.16-linux-amd64.tar.gz",
  );
  assert.equal(checksumUrl(asset, "file:///srv/cache"), "file:///srv/cache/etcd/v3.6.16/SHA256SUMS");
  assert.deepEqual(Object.values(asset.members).sort(), ["etcd", "etcdctl", "etcdutl"]);
  assert.ok(Object.keys(asset.members).every((m) => m.startsWith("etcd-v3.6.16-linux-amd64/")));
});

test("kube-apiserver's official binary with its .sha256 beside it, upstream and in a mirror", () => {
  const asset = kubeApiserverRelease("1.37.2", amd64);
  assert.ok(asset);
  assert.equal(
    assetUrl(asset, undefined),
    "https://dl.k8s.io/release/v1.37.2/bin/linux/amd64/kube-apiserver",
  );
  assert.equal(
    checksumUrl(asset, undefined),
    "https://dl.k8s.io/release/v1.37.2/bin/linux/amd64/kube-apiserver.sha256",
  );
  assert.equal(
    assetUrl(asset, "http://127.0.0.1:8080"),
    "http://127.0.0.1:8080/kubernetes/v1.37.2/bin/linux/amd64/kube-apiserver",
  );
});

test("only Linux platforms the projects publish have a release; elsewhere it is a build", () => {
  assert.deepEqual(releasePlatform("linux", "x64"), amd64);
  assert.deepEqual(releasePlatform("linux", "arm64"), { os: "linux", arch: "arm64" });
  assert.equal(releasePlatform("darwin", "arm64"), undefined);
  assert.equal(releasePlatform("linux", "ia32"), undefined);
});

const A = "a".repeat(64);
const B = "B".repeat(64);

test("checksum files: sha256sum lines (text and binary mode) and a bare digest", () => {
  const sums = `${A}  etcd-v3.6.16-darwin-amd64.zip\n${B} *etcd-v3.6.16-linux-amd64.tar.gz\n`;
  assert.equal(parseChecksumFile(sums, "etcd-v3.6.16-linux-amd64.tar.gz"), "b".repeat(64));
  assert.equal(parseChecksumFile(`${A}  ./dist/kube-apiserver\n`, "kube-apiserver"), A);
  assert.equal(parseChecksumFile(`${A}\n`, "kube-apiserver"), A);
});

test("checksum files that do not name the artefact give no hash (never 'anything goes')", () => {
  assert.equal(
    parseChecksumFile(`${A}  etcd-v3.6.16-darwin-amd64.zip\n`, "etcd-v3.6.16-linux-amd64.tar.gz"),
    undefined,
  );
  assert.equal(parseChecksumFile("", "kube-apiserver"), undefined);
  assert.equal(parseChecksumFile("<html>rate limited</html>", "kube-apiserver"), undefined);
  assert.equal(parseChecksumFile(`${A.slice(1)}  kube-apiserver\n`, "kube-apiserver"), undefined);
  // a file named like the entry inside another directory is not it unless the path ends with it
  assert.equal(parseChecksumFile(`${A}  kube-apiserver-old\n`, "kube-apiserver"), undefined);
});

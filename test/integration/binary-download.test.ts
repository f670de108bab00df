import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import { DownloadRefused, installRelease } from "../../src/binaries/download.js";
import { downloadOrBuild } from "../../src/binaries/install.js";
import { etcdRelease, kubeApiserverRelease, type ReleaseAsset } from "../../src/binaries/releases.js";

/**
 * The download path against a local mirror: real tar.gz archives and checksum files built here,
 * served by node:http on 127.0.0.1 the way a mirror (or GitHub / dl.k8s.io) would serve them, and
 * installed into a throwaway cache root. The "binaries" are tiny shell scripts that answer the
 * version probe, which is all the installer asks of them before renaming them into place.
 */

const VERSION = "3.6.16";
const KUBE = "1.37.2";
const PLATFORM = { os: "linux", arch: "amd64" };
const DIR = `etcd-v${VERSION}-linux-amd64`;
const TARBALL = `${DIR}.tar.gz`;

let work: string;
let mirrorDir: string;
let server: Server;
let base: string;
/** Paths the server answers specially, instead of from mirrorDir. */
const special = new Map<string, "truncate" | "chunked-cut" | "stall" | "silent">();

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

async function script(path: string, output: string): Promise<void> {
  await writeFile(path, `#!/bin/sh\necho "${output}"\n`);
  await chmod(path, 0o755);
}

/** A mirror folder holding one etcd version's archive and SHA256SUMS (`sums` overrides the file). */
async function etcdMirror(name: string, sums?: (good: string) => string): Promise<string> {
  const root = join(mirrorDir, name);
  const src = join(work, `src-${name}`, DIR);
  await mkdir(src, { recursive: true });
  await script(join(src, "etcd"), `etcd Version: ${VERSION}`);
  await script(join(src, "etcdctl"), `etcdctl version: ${VERSION}`);
  await script(join(src, "etcdutl"), `etcdutl version: ${VERSION}`);
  const releaseDir = join(root, "etcd", `v${VERSION}`);
  await mkdir(releaseDir, { recursive: true });
  execFileSync("tar", ["-czf", join(releaseDir, TARBALL), "-C", join(work, `src-${name}`), DIR]);
  const good = sha256(await readFile(join(releaseDir, TARBALL)));
  const text = sums
    ? sums(good)
    : `${"0".repeat(64)}  etcd-v${VERSION}-darwin-amd64.zip\n${good}  ${TARBALL}\n`;
  await writeFile(join(releaseDir, "SHA256SUMS"), text);
  return root;
}

async function kubeMirror(name: string): Promise<string> {
  const root = join(mirrorDir, name);
  const dir = join(root, "kubernetes", `v${KUBE}`, "bin", "linux", "amd64");
  await mkdir(dir, { recursive: true });
  await script(join(dir, "kube-apiserver"), `Kubernetes v${KUBE}`);
  const good = sha256(await readFile(join(dir, "kube-apiserver")));
  await writeFile(join(dir, "kube-apiserver.sha256"), `${good}\n`);
  return root;
}

const etcd = (): ReleaseAsset => etcdRelease(VERSION, PLATFORM) as ReleaseAsset;

async function freshRoot(): Promise<string> {
  return mkdtemp(join(work, "cache-"));
}

/** Everything under a cache root's bin/, relative: what an install left behind. */
async function leftIn(root: string): Promise<string[]> {
  const bin = join(root, "bin");
  if (!existsSync(bin)) return [];
  return (await readdir(bin, { recursive: true })).map(String).sort();
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), "storeshift-download-"));
  mirrorDir = join(work, "mirrors");
  server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const file = join(mirrorDir, path);
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    const mode = [...special.entries()].find(([suffix]) => path.endsWith(suffix))?.[1];
    if (mode === "truncate") {
      // promises the whole file, sends half, then hangs up
      res.writeHead(200, { "content-length": String(body.length) });
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
      return;
    }
    if (mode === "stall") {
      // sends a little, then nothing, with the connection left open
      res.writeHead(200, { "content-length": String(body.length) });
      res.write(body.subarray(0, 100));
      return;
    }
    if (mode === "silent") return; // accepts the request and never answers
    if (mode === "chunked-cut") {
      // no length at all (chunked), cut off before the last chunk
      res.writeHead(200, { "transfer-encoding": "chunked" });
      res.write(body.subarray(0, 100), () => res.socket?.destroy());
      return;
    }
    res.writeHead(200, { "content-length": String(body.length) }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(work, { recursive: true, force: true });
});

test("good checksum: etcd, etcdctl and etcdutl are installed into the cache, and nothing else", async () => {
  await etcdMirror("good");
  const root = await freshRoot();
  const installed = await installRelease(etcd(), { mirror: `${base}/good`, root });
  assert.deepEqual(Object.keys(installed).sort(), ["etcd", "etcdctl", "etcdutl"]);
  for (const name of ["etcd", "etcdctl", "etcdutl"]) {
    const path = join(root, "bin", `${name}-${VERSION}`, name);
    assert.equal(installed[name], path);
    assert.match(execFileSync(path, ["--version"]).toString(), new RegExp(`version: ${VERSION}`, "i"));
  }
  assert.deepEqual(await leftIn(root), [
    `etcd-${VERSION}`,
    `etcd-${VERSION}/etcd`,
    `etcdctl-${VERSION}`,
    `etcdctl-${VERSION}/etcdctl`,
    `etcdutl-${VERSION}`,
    `etcdutl-${VERSION}/etcdutl`,
  ]);
});

test("a bare binary with a .sha256 beside it (dl.k8s.io's layout) installs", async () => {
  await kubeMirror("kube");
  const root = await freshRoot();
  const asset = kubeApiserverRelease(KUBE, PLATFORM) as ReleaseAsset;
  const installed = await installRelease(asset, { mirror: `${base}/kube`, root });
  assert.equal(installed["kube-apiserver"], join(root, "bin", `kube-apiserver-${KUBE}`, "kube-apiserver"));
});

test("an offline cache directory works as a file:// mirror", async () => {
  const dir = await etcdMirror("offline");
  const root = await freshRoot();
  await installRelease(etcd(), { mirror: pathToFileURL(dir).href, root });
  assert.ok(existsSync(join(root, "bin", `etcd-${VERSION}`, "etcd")));
});

test("bad checksum: refused with both hashes, and the cache holds nothing", async () => {
  await etcdMirror("bad", (good) => `${good.replace(/^./, (c) => (c === "a" ? "b" : "a"))}  ${TARBALL}\n`);
  const root = await freshRoot();
  await assert.rejects(installRelease(etcd(), { mirror: `${base}/bad`, root }), (err: unknown) => {
    assert.ok(err instanceof DownloadRefused);
    assert.equal(err.kind, "checksum");
    assert.match(
      err.message,
      new RegExp(
        `^download ${base}/bad/etcd/v${VERSION}/${TARBALL}: SHA-256 mismatch: expected [0-9a-f]{64}, got [0-9a-f]{64}$`,
      ),
    );
    return true;
  });
  assert.deepEqual(await leftIn(root), []);
});

test("a SHA256SUMS that does not list the archive is a refusal, not a pass", async () => {
  await etcdMirror("unlisted", () => `${"1".repeat(64)}  etcd-v${VERSION}-darwin-amd64.zip\n`);
  const root = await freshRoot();
  await assert.rejects(installRelease(etcd(), { mirror: `${base}/unlisted`, root }), (err: unknown) => {
    assert.ok(err instanceof DownloadRefused);
    assert.equal(err.kind, "checksum");
    assert.match(err.message, /SHA256SUMS: no SHA-256 for etcd-v3\.6\.16-linux-amd64\.tar\.gz in it$/);
    return true;
  });
  assert.deepEqual(await leftIn(root), []);
});

test("missing artefact (404) and missing checksum file are named with their URL", async () => {
  const root = await freshRoot();
  await assert.rejects(installRelease(etcd(), { mirror: `${base}/nowhere`, root }), (err: unknown) => {
    assert.ok(err instanceof DownloadRefused);
    assert.equal(err.kind, "missing");
    // the checksum is read first: no mirror, no SHA256SUMS
    assert.equal(err.message, `download ${base}/nowhere/etcd/v${VERSION}/SHA256SUMS: HTTP 404 Not Found`);
    return true;
  });
  const dir = await etcdMirror("no-archive");
  await rm(join(dir, "etcd", `v${VERSION}`, TARBALL));
  await assert.rejects(installRelease(etcd(), { mirror: `${base}/no-archive`, root }), {
    message: `download ${base}/no-archive/etcd/v${VERSION}/${TARBALL}: HTTP 404 Not Found`,
  });
  await assert.rejects(installRelease(etcd(), { mirror: pathToFileURL(dir).href, root }), {
    message: `download ${pathToFileURL(dir).href}/etcd/v${VERSION}/${TARBALL}: no such file`,
  });
  assert.deepEqual(await leftIn(root), []);
});

test("truncated body (Content-Length promised, connection closed halfway) is refused", async () => {
  await etcdMirror("truncated");
  special.set(`/truncated/etcd/v${VERSION}/${TARBALL}`, "truncate");
  const root = await freshRoot();
  await assert.rejects(installRelease(etcd(), { mirror: `${base}/truncated`, root }), (err: unknown) => {
    assert.ok(err instanceof DownloadRefused);
    assert.equal(err.kind, "truncated");
    assert.match(
      err.message,
      /^download http:\/\/127\.0\.0\.1:\d+\/truncated\/etcd\/v3\.6\.16\/etcd-v3\.6\.16-linux-amd64\.tar\.gz: /,
    );
    assert.equal(err.message.split("\n").length, 1);
    return true;
  });
  assert.deepEqual(await leftIn(root), []);
});

test("truncated chunked body (no length, connection cut) is refused", async () => {
  await etcdMirror("cut");
  special.set(`/cut/etcd/v${VERSION}/${TARBALL}`, "chunked-cut");
  const root = await freshRoot();
  await assert.rejects(installRelease(etcd(), { mirror: `${base}/cut`, root }), (err: unknown) => {
    assert.ok(err instanceof DownloadRefused);
    assert.equal(err.kind, "truncated");
    return true;
  });
  assert.deepEqual(await leftIn(root), []);
});

test("a mirror that stops sending, or never answers, is given up on after the idle and connect timeouts", async () => {
  await etcdMirror("stall");
  special.set(`/stall/etcd/v${VERSION}/${TARBALL}`, "stall");
  const root = await freshRoot();
  const options = { mirror: `${base}/stall`, root, idleTimeoutMs: 300, connectTimeoutMs: 300 };
  await assert.rejects(installRelease(etcd(), options), {
    message: new RegExp(
      `^download ${base}/stall/etcd/v3\\.6\\.16/${TARBALL}: body cut short after 100 of \\d+ bytes: no data for 300 ms$`,
    ),
  });
  await etcdMirror("silent");
  special.set("/silent/etcd/v3.6.16/SHA256SUMS", "silent");
  await assert.rejects(installRelease(etcd(), { ...options, mirror: `${base}/silent` }), {
    message: `download ${base}/silent/etcd/v3.6.16/SHA256SUMS: no answer within 300 ms`,
  });
  assert.deepEqual(await leftIn(root), []);
});

test("an archive whose etcd reports another version is refused before it reaches the cache", async () => {
  const dir = await etcdMirror("wrong-version");
  // rebuild the archive with an etcd that claims 3.5.0, and list its real hash
  const src = join(work, "src-wrong-version", DIR);
  await script(join(src, "etcd"), "etcd Version: 3.5.0");
  const archive = join(dir, "etcd", `v${VERSION}`, TARBALL);
  execFileSync("tar", ["-czf", archive, "-C", join(work, "src-wrong-version"), DIR]);
  await writeFile(
    join(dir, "etcd", `v${VERSION}`, "SHA256SUMS"),
    `${sha256(await readFile(archive))}  ${TARBALL}\n`,
  );
  const root = await freshRoot();
  await assert.rejects(installRelease(etcd(), { mirror: `${base}/wrong-version`, root }), {
    message: new RegExp(`: etcd reports version 3\\.5\\.0, expected ${VERSION.replace(/\./g, "\\.")}$`),
  });
  assert.deepEqual(await leftIn(root), []);
});

test("refused connection fails in well under a second, not after a timeout", async () => {
  // a port that was just free: nothing listens there
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const root = await freshRoot();
  const started = Date.now();
  await assert.rejects(
    installRelease(etcd(), { mirror: `http://127.0.0.1:${port}`, root }),
    (err: unknown) => {
      assert.ok(err instanceof DownloadRefused);
      assert.equal(err.kind, "unreachable");
      assert.match(err.message, /ECONNREFUSED/);
      return true;
    },
  );
  assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
});

test("a refused download falls back to the build and says why; with build off it is the error", async () => {
  const root = await freshRoot();
  const saved = process.env.STORESHIFT_CACHE;
  process.env.STORESHIFT_CACHE = root;
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  const quiet = process.env.STORESHIFT_QUIET;
  delete process.env.STORESHIFT_QUIET;
  try {
    let built = 0;
    await etcdMirror("fallback-bad", (good) => `${"f".repeat(64)}  ${TARBALL}\n${good}  other\n`);
    await downloadOrBuild("etcd", etcd(), async () => void built++, { mirror: `${base}/fallback-bad` });
    assert.equal(built, 1);
    const said = lines.join("");
    assert.match(
      said,
      /warning: etcd 3\.6\.16: download refused: download \S+: SHA-256 mismatch: .*; the file was discarded/,
    );
    assert.match(
      said,
      /etcd 3\.6\.16: download refused: download \S+: SHA-256 mismatch: .*; building from the Go module proxy/,
    );
    assert.deepEqual(await leftIn(root), []);

    await assert.rejects(
      downloadOrBuild("etcd", etcd(), async () => void built++, { mirror: `${base}/nowhere`, build: false }),
      {
        message: `install etcd 3.6.16: download refused: download ${base}/nowhere/etcd/v${VERSION}/SHA256SUMS: HTTP 404 Not Found; not building (--no-build)`,
      },
    );
    assert.equal(built, 1);
  } finally {
    process.stderr.write = write;
    if (quiet !== undefined) process.env.STORESHIFT_QUIET = quiet;
    if (saved === undefined) delete process.env.STORESHIFT_CACHE;
    else process.env.STORESHIFT_CACHE = saved;
  }
});

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { buildPackage } from "../../src/binaries/go-build.js";
import { which } from "../../src/binaries/run-tool.js";

/**
 * The source build's progress on a real `go build -v`: a two-package module made here, compiled
 * with an empty build cache of its own (so every package but `unsafe` is compiled and named), then
 * again with that cache warm. Building etcd or kube-apiserver here would take many minutes.
 */

let dir: string;
const saved = { GOCACHE: process.env.GOCACHE, STORESHIFT_QUIET: process.env.STORESHIFT_QUIET };
const lines: string[] = [];
const write = process.stderr.write.bind(process.stderr);
const hasGo = await which("go");

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "storeshift-gobuild-"));
  await writeFile(join(dir, "go.mod"), "module example.local/tiny\n\ngo 1.26.0\n");
  await mkdir(join(dir, "greet"));
  await writeFile(
    join(dir, "greet", "greet.go"),
    'package greet\n\nimport "strings"\n\nfunc Loud(s string) string { return strings.ToUpper(s) }\n',
  );
  await writeFile(
    join(dir, "main.go"),
    'package main\n\nimport (\n\t"fmt"\n\n\t"example.local/tiny/greet"\n)\n\nfunc main() { fmt.Println(greet.Loud("tiny")) }\n',
  );
  process.env.GOCACHE = join(dir, "gocache");
  delete process.env.STORESHIFT_QUIET;
  process.stderr.write = ((chunk: string) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
});

after(async () => {
  process.stderr.write = write;
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await rm(dir, { recursive: true, force: true });
});

test("a cold build names every package it compiles, out of go list -deps, with progress lines", {
  skip: hasGo ? false : "no Go toolchain on PATH",
}, async () => {
  const out = join(dir, "tiny");
  const cold = await buildPackage(dir, ".", out, "building tiny 0.0.1", [], 1000);
  assert.equal(execFileSync(out).toString(), "TINY\n");
  // the oracle: Go's own list, minus `unsafe`, which is never compiled
  const deps = execFileSync("go", ["list", "-deps", "."], {
    cwd: dir,
    env: { ...process.env, CGO_ENABLED: "0" },
  })
    .toString()
    .trim()
    .split("\n");
  assert.equal(cold.packages, deps.length);
  assert.equal(cold.compiled, deps.filter((d) => d !== "unsafe").length);
  const progress = lines
    .join("")
    .split("\n")
    .filter((l) => l.includes("building tiny 0.0.1: "));
  if (cold.ms > 2500) {
    assert.ok(progress.length > 0, `no progress line in ${cold.ms} ms`);
    for (const l of progress)
      assert.match(
        l,
        /^storeshift: building tiny 0\.0\.1(: listing packages)?: (\d+\/\d+ packages, |\d+ modules downloaded, )?\d+ (s|min \d+ s)$/,
      );
  }

  const warm = await buildPackage(dir, ".", out, "building tiny 0.0.1", [], 1000);
  assert.equal(warm.packages, cold.packages);
  assert.equal(warm.compiled, 0, "a warm cache compiles nothing, so go build -v names nothing");
});

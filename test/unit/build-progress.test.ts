import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDuration, GoProgress } from "../../src/binaries/build-progress.js";

// `go list -deps` of a made-up command and the stderr of its `go build -v`, written for this test:
// module downloads first, then package paths as each is compiled (cached ones are never named)
const deps = new Set([
  "unsafe",
  "internal/goarch",
  "internal/abi",
  "errors",
  "fmt",
  "os",
  "example.local/tool/internal/store",
  "example.local/tool/cmd/tool",
]);
const stderr = [
  "go: downloading example.local/dep v1.2.3",
  "go: downloading example.local/other v0.4.0",
  "internal/goarch",
  "internal/abi",
  "errors",
  "fmt",
  "example.local/tool/internal/store",
  "example.local/tool/cmd/tool",
  "",
].join("\n");

test("packages compiled are counted against go list -deps, across chunk boundaries", () => {
  const p = new GoProgress("building tool 1.0.0", 0, deps);
  // split mid-line, as pipes do
  p.feed(stderr.slice(0, 60));
  assert.equal(p.downloadCount, 1);
  p.feed(stderr.slice(60, 120));
  assert.equal(p.downloadCount, 2);
  p.feed(stderr.slice(120));
  p.end();
  assert.equal(p.compiledCount, 6);
  assert.equal(p.line(250_000), "building tool 1.0.0: 6/8 packages, 4 min 10 s");
});

test("before any package compiles, the line counts module downloads; a repeated name counts once", () => {
  const p = new GoProgress("building kube-apiserver 1.37.2", 1000, deps);
  assert.equal(p.line(1000), "building kube-apiserver 1.37.2: 0 s");
  p.feed("go: downloading k8s.io/api v0.37.2\ngo: downloading k8s.io/apiserver v0.37.2\n");
  assert.equal(p.line(46_000), "building kube-apiserver 1.37.2: 2 modules downloaded, 45 s");
  p.feed("fmt\nfmt\n");
  assert.equal(p.compiledCount, 1);
});

test("compiler errors and lines that are not packages of the build are not counted", () => {
  const p = new GoProgress("building tool 1.0.0", 0, deps);
  p.feed("# example.local/tool/internal/store\nstore.go:3:2: undefined: x\nexample.local/elsewhere\nfmt");
  p.end();
  assert.equal(p.compiledCount, 1);
});

test("durations read the way the progress lines print them", () => {
  assert.equal(formatDuration(0), "0 s");
  assert.equal(formatDuration(59_400), "59 s");
  assert.equal(formatDuration(60_000), "1 min 0 s");
  assert.equal(formatDuration(1_342_000), "22 min 22 s");
  assert.equal(formatDuration(3_720_000), "1 h 2 min");
});

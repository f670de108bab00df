import assert from "node:assert/strict";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { KindCli, startKindCluster } from "../../src/providers/kind/kind-cli.js";

// A fake `kind` that records its arguments and stdin, and answers as FAKE_KIND_MODE says.
const fakeKind = `#!/bin/sh
printf '%s\\n' "$*" >> "$FAKE_KIND_LOG"
case "$1 $2" in
  "create cluster")
    if [ "$FAKE_KIND_MODE" = nodocker ]; then
      echo 'ERROR: failed to create cluster: failed to get docker info: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2; exit 1; fi
    if [ "$FAKE_KIND_MODE" = exists ]; then
      echo 'ERROR: failed to create cluster: node(s) already exist for a cluster with the name "qa"' >&2; exit 1; fi
    if [ "$FAKE_KIND_MODE" = hang ]; then sleep 5; fi
    cat > "$FAKE_KIND_LOG.stdin"
    exit 0;;
  "get clusters")
    if [ -z "$FAKE_KIND_CLUSTERS" ]; then echo 'No kind clusters found.' >&2; exit 0; fi
    printf '%s\\n' $FAKE_KIND_CLUSTERS; exit 0;;
  "get kubeconfig") printf 'apiVersion: v1\\nkind: Config\\n'; exit 0;;
  "delete cluster") exit 0;;
  "export logs") exit 0;;
esac
echo "unexpected: $*" >&2; exit 3
`;

let dir = "";
let executable = "";
let logFile = "";
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "kind-fake-"));
  executable = join(dir, "kind");
  logFile = join(dir, "calls.log");
  await writeFile(executable, fakeKind);
  await chmod(executable, 0o755);
  process.env.FAKE_KIND_LOG = logFile;
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function calls(): Promise<string[]> {
  const text = await readFile(logFile, "utf8").catch(() => "");
  await writeFile(logFile, "");
  return text.trim().split("\n").filter(Boolean);
}

test("create builds kind's flags and passes the config on stdin", async () => {
  process.env.FAKE_KIND_MODE = "ok";
  process.env.FAKE_KIND_CLUSTERS = "";
  const cluster = await startKindCluster({ name: "qa", config: "kind: Cluster\n" }, new KindCli(executable));
  assert.equal(cluster.reused, false);
  const seen = await calls();
  assert.equal(seen[0], "get clusters");
  assert.match(seen[1] ?? "", /^create cluster --name qa --kubeconfig \S+kubeconfig --wait 120s --config -$/);
  assert.equal(await readFile(`${logFile}.stdin`, "utf8"), "kind: Cluster\n");
  await cluster.stop();
  assert.deepEqual(await calls(), ["delete cluster --name qa"]);
});

test("an existing cluster of the same name is reused, and stop() leaves it alone", async () => {
  process.env.FAKE_KIND_MODE = "ok";
  process.env.FAKE_KIND_CLUSTERS = "other qa";
  const cluster = await startKindCluster({ name: "qa" }, new KindCli(executable));
  assert.equal(cluster.reused, true);
  assert.match(await readFile(cluster.kubeconfigPath, "utf8"), /kind: Config/);
  await cluster.stop();
  assert.deepEqual(await calls(), ["get clusters", "get kubeconfig --name qa"]);
});

test("reuse off and the name taken: refused before kind create runs", async () => {
  process.env.FAKE_KIND_CLUSTERS = "qa";
  await assert.rejects(
    startKindCluster({ name: "qa", reuse: false }, new KindCli(executable)),
    /exists and reuse is off/,
  );
  assert.deepEqual(await calls(), ["get clusters"]);
});

test("kind's failures map to one clear line: no Docker, name exists, timeout, missing executable", async () => {
  process.env.FAKE_KIND_CLUSTERS = "";
  const create = (cli: KindCli) => cli.createCluster({ name: "qa", kubeconfig: join(dir, "kc") });
  process.env.FAKE_KIND_MODE = "nodocker";
  await assert.rejects(
    create(new KindCli(executable)),
    /^StoreshiftError: kind create cluster qa: no Docker engine answers/,
  );
  process.env.FAKE_KIND_MODE = "exists";
  await assert.rejects(create(new KindCli(executable)), /a kind cluster named "qa" already exists/);
  process.env.FAKE_KIND_MODE = "hang";
  await assert.rejects(create(new KindCli(executable, 500)), /did not finish in time/);
  await assert.rejects(create(new KindCli(join(dir, "no-such-kind"))), /the kind executable was not found/);
  await calls();
});

test("export logs and delete pass the cluster name", async () => {
  process.env.FAKE_KIND_MODE = "ok";
  const cli = new KindCli(executable);
  await cli.exportLogs("qa", "/tmp/logs");
  await cli.deleteCluster("qa");
  assert.deepEqual(await calls(), ["export logs /tmp/logs --name qa", "delete cluster --name qa"]);
});

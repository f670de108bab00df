import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { stopAll } from "../../src/common/cleanup.js";
import { type StartedLocalEtcd, startLocalEtcd } from "../../src/providers/etcd/local-etcd.js";
import {
  type StartedLocalControlPlane,
  startLocalControlPlane,
} from "../../src/providers/kube/local-control-plane.js";
import { requireBinary } from "../helpers/binaries.js";

/**
 * What a hostile neighbour on the same machine or network could reach: the stores listen on
 * 127.0.0.1 only, the API server wants a client certificate, and keys, kubeconfig and temp dirs are
 * readable by their owner only.
 */

let plane: StartedLocalControlPlane;
let etcd: StartedLocalEtcd;

before(async () => {
  await requireBinary("kube-apiserver");
  [plane, etcd] = await Promise.all([
    startLocalControlPlane({ name: "exposure" }),
    startLocalEtcd({ line: "current", name: "exposure" }),
  ]);
});
after(async () => {
  await plane?.stop();
  await etcd?.stop();
  await stopAll();
});

/** Local addresses (hex, as /proc/net/tcp writes them) on which `port` is in LISTEN state. */
function listenAddresses(port: number): string[] {
  const out: string[] = [];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(file, "utf8").split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      const [addr, p] = (cols[1] ?? "").split(":");
      if (cols[3] === "0A" && p && Number.parseInt(p, 16) === port) out.push(addr ?? "");
    }
  }
  return out;
}

const LOOPBACK_V4 = "0100007F";

test("kube-apiserver and every etcd listen on 127.0.0.1 only", () => {
  const ports = [
    Number(new URL(plane.server).port),
    Number(new URL(plane.etcdEndpoint).port),
    ...etcd.endpoints.map((e) => Number(new URL(e).port)),
  ];
  for (const port of ports) {
    const addrs = listenAddresses(port);
    assert.ok(addrs.length > 0, `port ${port} listens`);
    assert.deepEqual([...new Set(addrs)], [LOOPBACK_V4], `port ${port} listens on 127.0.0.1 only: ${addrs}`);
  }
});

function httpsGet(path: string, withCert: boolean): Promise<number> {
  const kc = plane.kubeConfig();
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  const url = new URL(path, plane.server);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname: url.hostname,
        port: url.port,
        path: url.pathname,
        ca: Buffer.from(cluster?.caData ?? "", "base64"),
        ...(withCert
          ? {
              cert: Buffer.from(user?.certData ?? "", "base64"),
              key: Buffer.from(user?.keyData ?? "", "base64"),
            }
          : {}),
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

test("the API server speaks TLS only and wants the client certificate", async () => {
  assert.equal(await httpsGet("/api/v1/nodes", true), 200, "with the kubeconfig's client cert");
  const anonymous = await httpsGet("/api/v1/nodes", false);
  assert.ok(anonymous === 401 || anonymous === 403, `without a client cert: HTTP ${anonymous}`);
  const plain = await fetch(`http://127.0.0.1:${new URL(plane.server).port}/api/v1/nodes`).then(
    (r) => r.status,
    () => 0,
  );
  assert.notEqual(plain, 200, "plain HTTP is not served");
});

test("kubeconfig, keys and temp dirs are readable by their owner only", () => {
  const open = (path: string) => (statSync(path).mode & 0o077) !== 0;
  assert.equal(statSync(plane.kubeconfigPath).mode & 0o777, 0o600, "kubeconfig 0600");
  assert.equal(open(plane.dir), false, `control plane dir ${plane.dir} is private`);
  const keys = readdirSync(plane.dir).filter((f) => /key|kubeconfig/i.test(f));
  assert.ok(keys.length >= 3, `found key files: ${keys}`);
  for (const f of keys) assert.equal(open(join(plane.dir, f)), false, `${f} is not readable by others`);
  assert.equal(open(etcd.rootDir), false, `etcd temp dir ${etcd.rootDir} is private`);
  for (const m of etcd.members) assert.equal(open(m.info.dataDir), false, `${m.info.dataDir} is private`);
});

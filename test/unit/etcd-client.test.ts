import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { after, test } from "node:test";
import { useEnvironment } from "../../src/common/environment.js";
import {
  DEFAULT_ETCD_CALL_DEADLINE_MS,
  etcdCallDeadlineMs,
  etcdClient,
  normaliseEndpoint,
} from "../../src/common/etcd-client.js";

/**
 * A dead link: the TCP connection is accepted and then nothing ever comes back (no reset, no
 * HTTP/2 settings). This is not an etcd fake; no etcd answer is ever given.
 */
const sockets = new Set<Socket>();
const blackHole = createServer((socket) => {
  sockets.add(socket);
  socket.on("error", () => undefined);
});
await new Promise<void>((resolve) => blackHole.listen(0, "127.0.0.1", resolve));
const address = blackHole.address();
const port = typeof address === "object" && address ? address.port : 0;
after(() => {
  for (const s of sockets) s.destroy();
  blackHole.close();
});

test("a call on a dead link fails at the deadline instead of waiting forever", {
  timeout: 15_000,
}, async () => {
  const client = etcdClient([`127.0.0.1:${port}`], { purpose: "deadline test", deadlineMs: 300 });
  const started = Date.now();
  try {
    await assert.rejects(client.get("/k").string());
  } finally {
    client.close();
  }
  const took = Date.now() - started;
  // well under the 5 s dial timeout and etcd3's 30 s default: the call's own deadline ended it
  assert.ok(took < 3_000, `took ${took} ms`);
});

test("no endpoints is refused up front, naming what the client was for", () => {
  assert.throws(
    () => etcdClient([], { purpose: "oracle read" }),
    /oracle read: connect to etcd v3: no endpoints/,
  );
});

test("the default deadline is 30 s and STORESHIFT_ETCD_CALL_TIMEOUT_MS overrides it", () => {
  try {
    useEnvironment({});
    assert.equal(etcdCallDeadlineMs(), DEFAULT_ETCD_CALL_DEADLINE_MS);
    assert.equal(DEFAULT_ETCD_CALL_DEADLINE_MS, 30_000);
    useEnvironment({ STORESHIFT_ETCD_CALL_TIMEOUT_MS: "1234" });
    assert.equal(etcdCallDeadlineMs(), 1234);
    useEnvironment({ STORESHIFT_ETCD_CALL_TIMEOUT_MS: "soon" });
    assert.equal(etcdCallDeadlineMs(), DEFAULT_ETCD_CALL_DEADLINE_MS);
  } finally {
    useEnvironment(undefined);
  }
});

test("bare host:port endpoints get http://, trailing slashes go", () => {
  assert.equal(normaliseEndpoint(" 127.0.0.1:2379/ "), "http://127.0.0.1:2379");
  assert.equal(normaliseEndpoint("https://etcd:2379"), "https://etcd:2379");
});

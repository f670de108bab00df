import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { stopAll } from "../../src/common/cleanup.js";
import { makeTempDir, removeDir } from "../../src/common/temp.js";
import { DEFAULT_IGNORE_RULES } from "../../src/diff/defaults.js";
import { diffSnapshots, hasDifferences } from "../../src/diff/engine.js";
import { type StartedLocalEtcd, startLocalEtcd } from "../../src/providers/etcd/local-etcd.js";
import { collectRecords, loadSnapshot, saveSnapshot } from "../../src/snapshot/file.js";
import { openStore } from "../../src/store-uri/store-uri.js";
import { requireBinary } from "../helpers/binaries.js";

after(stopAll);

async function v2(
  endpoint: string,
  key: string,
  params: Record<string, string>,
  method = "PUT",
): Promise<void> {
  const response = await fetch(`${endpoint}/v2/keys${key}`, { method, body: new URLSearchParams(params) });
  if (!response.ok) throw new Error(`v2 ${method} ${key}: HTTP ${response.status}`);
}

describe("etcd v2 tree snapshots on a real etcd 3.4 with --enable-v2", () => {
  let etcd: StartedLocalEtcd;
  let endpoint: string;
  let dir: string;

  before(async () => {
    await requireBinary("etcd-v2");
    etcd = await startLocalEtcd({ enableV2: true, name: "snap-v2" });
    endpoint = etcd.endpoints[0] ?? "";
    dir = await makeTempDir("snapshot-v2-test");
    await v2(endpoint, "/app/config/name", { value: "shop" });
    await v2(endpoint, "/app/config/ünïcode", { value: "välue ✓" });
    await v2(endpoint, "/app/empty-dir", { dir: "true" });
    await v2(endpoint, "/app/session", { value: "expires", ttl: "3600" });
    await v2(endpoint, "/other/x", { value: "y" });
  });

  after(async () => {
    await etcd?.stop();
    if (dir) await removeDir(dir);
  });

  it("captures directories, leaves, TTLs and indexes, sorted", async () => {
    const snapshot = await openStore(`etcdv2://${endpoint.replace("http://", "")}/app`);
    const records = await collectRecords(snapshot.records);
    assert.deepEqual(
      records.map((r) => [r.id, r.kind]),
      [
        ["/app", "dir"],
        ["/app/config", "dir"],
        ["/app/config/name", "leaf"],
        ["/app/config/ünïcode", "leaf"],
        ["/app/empty-dir", "dir"],
        ["/app/session", "leaf"],
      ],
    );
    const session = records.find((r) => r.id === "/app/session");
    assert.ok(typeof session?.ttl === "number" && session.ttl > 3500);
    assert.match(String(session?.expiration), /^\d{4}-/);
    assert.equal(records.find((r) => r.id === "/app/config/ünïcode")?.value, "välue ✓");
    assert.ok(Number(snapshot.header.meta?.etcdIndex) > 0);
  });

  it("round trip is empty; an edit, a removal and an addition are found with the TTL countdown accounted", async () => {
    const before = join(dir, "v2-before.ndjson");
    await saveSnapshot(await openStore(`etcdv2://${endpoint.replace("http://", "")}`), before);
    const same = await diffSnapshots(
      await loadSnapshot(before),
      await openStore(`etcdv2://${endpoint.replace("http://", "")}`),
      {
        rules: [...DEFAULT_IGNORE_RULES],
      },
    );
    assert.ok(!hasDifferences(same), JSON.stringify(same.differences.filter((d) => d.class !== "accounted")));
    await v2(endpoint, "/app/config/name", { value: "shoq" });
    await v2(endpoint, "/other/x", {}, "DELETE");
    await v2(endpoint, "/app/new", { value: "n" });
    const changed = await diffSnapshots(
      await loadSnapshot(before),
      await openStore(`etcdv2://${endpoint.replace("http://", "")}`),
      {
        rules: [...DEFAULT_IGNORE_RULES],
      },
    );
    const counted = changed.differences
      .filter((d) => d.class !== "accounted")
      .map((d) => `${d.class} ${d.id} ${d.path}`.trim());
    assert.deepEqual(counted, ["changed /app/config/name value", "unexpected /app/new", "missing /other/x"]);
    assert.ok(changed.differences.some((d) => d.class === "accounted" && d.rule === "etcd-v2-indexes"));
  });
});

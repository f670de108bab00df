// The measured part of the snapshot-diff bench, in plain JavaScript over the compiled dist/: a child
// process whose peak RSS is that of storeshift's own code as it ships (under tsx, the transpiler alone
// adds ~30 MiB). bench/snapshot-diff.ts builds dist/ first and runs this with the endpoint and a dir.
import { stat } from "node:fs/promises";
import { join } from "node:path";

const dist = new URL("../dist/src/", import.meta.url);
const { Etcd3 } = await import("etcd3");
const { DEFAULT_IGNORE_RULES } = await import(new URL("diff/defaults.js", dist).href);
const { diffSnapshots } = await import(new URL("diff/engine.js", dist).href);
const { loadSnapshot, saveSnapshot } = await import(new URL("snapshot/file.js", dist).href);
const { openStore } = await import(new URL("store-uri/store-uri.js", dist).href);

const { endpoint, dir, prefix, changed, keys } = JSON.parse(process.env.STORESHIFT_BENCH_WORKER ?? "{}");
const host = endpoint.replace("http://", "");
const uri = `etcd://${host}${prefix.slice(0, -1)}`;
const fileA = join(dir, "a.ndjson");
const fileB = join(dir, "b.ndjson");
const rules = [...DEFAULT_IGNORE_RULES];

let t = performance.now();
await saveSnapshot(await openStore(uri), fileA);
const snapshotMs = performance.now() - t;
t = performance.now();
const roundTrip = await diffSnapshots(await loadSnapshot(fileA), await openStore(uri), { rules });
const roundTripDiffMs = performance.now() - t;
const client = new Etcd3({ hosts: [endpoint] });
try {
  for (const k of keys.changed) await client.put(k.key).value(k.value);
  await client.delete().key(keys.deleted);
  await client.put(keys.added).value("added");
} finally {
  client.close();
}
await saveSnapshot(await openStore(uri), fileB);
t = performance.now();
const diff = await diffSnapshots(await loadSnapshot(fileA), await loadSnapshot(fileB), { rules });
const changedDiffMs = performance.now() - t;
const c = diff.counts;
process.stdout.write(
  JSON.stringify({
    snapshotMs,
    roundTripDiffMs,
    roundTripDifferences: roundTrip.counts.missing + roundTrip.counts.unexpected + roundTrip.counts.changed,
    changedDiffMs,
    changedCounted: c.missing + c.unexpected + c.changed,
    expectedChanged: changed + 2,
    // maxRSS is in kilobytes
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    fileMb: (await stat(fileA)).size / 1024 / 1024,
  }),
);

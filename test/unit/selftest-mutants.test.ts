import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { decodeCalicoEntries } from "../../src/calico/etcd/store.js";
import { buildExport, exportText } from "../../src/calico/export/build.js";
import { parseExport } from "../../src/calico/export/format.js";
import { fixtureToEtcdEntries, parseFixture } from "../../src/calico/fixture.js";
import { listOf, openExport, renderExport } from "../../src/selftest/mutants/support.js";

async function bundledExport(): Promise<string> {
  const file = join(import.meta.dirname, "..", "..", "fixtures", "calico", "dataset.yaml");
  const fixture = parseFixture(await readFile(file, "utf8"), file);
  const entries = fixtureToEtcdEntries(fixture)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => ({ key, value, modRevision: "7" }));
  return exportText(buildExport(decodeCalicoEntries(entries, "9")));
}

// An unedited file must come back byte for byte: otherwise a mutant would change more than its one break.
test("an export opened and rendered unchanged is byte-identical", async () => {
  const text = await bundledExport();
  assert.equal(renderExport(openExport(text)), text);
});

test("an edit changes exactly the edited objects, and the file still parses", async () => {
  const text = await bundledExport();
  const opened = openExport(text);
  const peers = listOf(opened, "BGPPeer");
  assert.ok(peers.length > 0 && peers[0]?.spec && "asNumber" in peers[0].spec);
  delete peers[0]?.spec?.asNumber;
  const edited = parseExport(renderExport(opened), "edited");
  const original = parseExport(text, "original");
  assert.equal(edited.resources.length, original.resources.length);
  const changed = edited.resources.filter(
    (r, i) => JSON.stringify(r) !== JSON.stringify(original.resources[i]),
  );
  assert.deepEqual(
    changed.map((r) => `${r.kind}/${r.metadata.name}`),
    ["BGPPeer/rack1-tor"],
  );
  assert.deepEqual(edited.ipam, original.ipam);
  assert.deepEqual(edited.clusterInformation, original.clusterInformation);
});

test("every catalogue entry is a mutant module of that name, and every module is in the catalogue", async () => {
  const { readdir } = await import("node:fs/promises");
  const { MUTANTS } = await import("../../src/selftest/catalogue.js");
  const { loadMigratorModule, parseMigratorSpec } = await import("../../src/migrator-module/module.js");
  const dir = join(import.meta.dirname, "..", "..", "src", "selftest", "mutants");
  const files = (await readdir(dir)).filter((f) => f.endsWith(".ts") && f !== "support.ts");
  assert.deepEqual(files.map((f) => f.replace(/\.ts$/, "")).sort(), MUTANTS.map((m) => m.name).sort());
  assert.ok(new Set(MUTANTS.map((m) => m.bugClass)).size >= 15, "at least 15 distinct bug classes");
  for (const entry of MUTANTS) {
    const mod = await loadMigratorModule(parseMigratorSpec(`module=${join(dir, `${entry.name}.ts`)}`));
    assert.equal(mod.name, entry.name);
    const factory = entry.migration === "calico" ? mod.calico : mod.etcdV2V3;
    assert.equal(typeof factory, "function", `${entry.name} breaks ${entry.migration}`);
  }
});

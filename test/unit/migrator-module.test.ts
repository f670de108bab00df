import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { builtinV2V3Migrator } from "../../src/etcd-v2v3/migrator.js";
import {
  calicoMigrator,
  formatMigratorSpec,
  loadMigratorModule,
  parseMigratorSpec,
  v2v3Migrator,
} from "../../src/migrator-module/module.js";

const stores = { etcdEndpoints: ["http://127.0.0.1:1"], kubeconfigPath: "/nonexistent/kubeconfig" };
let dir = "";

// Each module records which builtin it was handed, so the test sees the wrapping, not just a value.
const wrapping = `
export const named = {
  name: "wrapper",
  calico: (stores, builtin) => ({ name: "wrapped-calico", inner: builtin.name, stores }),
  etcdV2V3: (builtin) => ({ name: "wrapped-v2v3", inner: builtin }),
};
export default { etcdV2V3: (builtin) => ({ name: "default-v2v3", inner: builtin }) };
`;
const bare = `export function calico(stores, builtin) { return { name: "bare", inner: builtin.name }; }\n`;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "migrator-module-"));
  await writeFile(join(dir, "wrapping.mjs"), wrapping);
  await writeFile(join(dir, "bare.mjs"), bare);
  await writeFile(join(dir, "empty.mjs"), "export const other = 1;\nexport default { name: 'x' };\n");
  await writeFile(join(dir, "notfn.mjs"), "export default { calico: 42 };\n");
  await writeFile(join(dir, "throws.mjs"), "throw new Error('boom at load');\n");
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("parses builtin, calicoctl and module specs; module paths become absolute", () => {
  assert.deepEqual(parseMigratorSpec("builtin"), { kind: "builtin" });
  assert.deepEqual(parseMigratorSpec("calicoctl=/bin/calicoctl"), {
    kind: "calicoctl",
    path: "/bin/calicoctl",
  });
  const spec = parseMigratorSpec("module=rel/m.js#broken");
  assert.equal(spec.kind, "module");
  assert.equal(spec.path, join(process.cwd(), "rel/m.js"));
  assert.equal(spec.exportName, "broken");
  assert.equal(formatMigratorSpec(spec), `module=${join(process.cwd(), "rel/m.js")}#broken`);
  assert.equal(parseMigratorSpec("module=/a/b.js").exportName, "default");
  assert.throws(() => parseMigratorSpec("etcdctl=/x", "run: --migrator"), /^InputError: run: --migrator/);
  assert.throws(() => parseMigratorSpec("module=/a/b.js#"), /empty export name/);
});

test("a module's factories receive the builtin migrators and replace them", async () => {
  const spec = `module=${join(dir, "wrapping.mjs")}#named`;
  const calico = (await calicoMigrator(spec, stores)) as unknown as Record<string, unknown>;
  assert.equal(calico.name, "wrapped-calico");
  assert.equal(calico.inner, "builtin");
  assert.deepEqual(calico.stores, stores);
  const v2v3 = (await v2v3Migrator(spec)) as unknown as Record<string, unknown>;
  assert.equal(v2v3.name, "wrapped-v2v3");
  assert.equal(v2v3.inner, builtinV2V3Migrator);
});

test("the migration a module leaves out runs on the builtin", async () => {
  const spec = `module=${join(dir, "wrapping.mjs")}`;
  assert.equal((await calicoMigrator(spec, stores)).name, "builtin");
  assert.equal((await v2v3Migrator(spec)).name, "default-v2v3");
  const bareSpec = `module=${join(dir, "bare.mjs")}`;
  assert.equal((await calicoMigrator(bareSpec, stores)).name, "bare");
  assert.equal(await v2v3Migrator(bareSpec), builtinV2V3Migrator);
  assert.equal(await v2v3Migrator(`calicoctl=/bin/calicoctl`), builtinV2V3Migrator);
  assert.equal((await calicoMigrator("builtin", stores)).name, "builtin");
});

test("a bad module is refused with one line naming the file and what is wrong", async () => {
  const load = (file: string) => loadMigratorModule(parseMigratorSpec(`module=${join(dir, file)}`));
  await assert.rejects(load("missing.mjs"), /migrator module .*missing\.mjs: no such file/);
  await assert.rejects(load("empty.mjs"), /empty\.mjs: exports neither a calico nor an etcdV2V3/);
  await assert.rejects(load("notfn.mjs"), /notfn\.mjs: calico and etcdV2V3, when present, must be functions/);
  await assert.rejects(load("throws.mjs"), /throws\.mjs: could not be loaded: boom at load/);
  await assert.rejects(
    loadMigratorModule(parseMigratorSpec(`module=${join(dir, "wrapping.mjs")}#nope`)),
    /wrapping\.mjs#nope: has no export "nope"/,
  );
});

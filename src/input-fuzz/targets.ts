import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { stringify } from "yaml";
import {
  decodeResourceValue,
  normaliseAffinity,
  normaliseBlock,
  normaliseHandle,
  normaliseIpamConfig,
  parseJsonObject,
} from "../calico/etcd/codec.js";
import {
  IPAM_CONFIG_KEY,
  parseAffinityKey,
  parseBlockKey,
  parseHandleKey,
  parseResourceKey,
} from "../calico/etcd/keys.js";
import { buildExport, exportText } from "../calico/export/build.js";
import { parseExport } from "../calico/export/format.js";
import { fixtureToEtcdEntries, parseFixture as parseCalicoFixture } from "../calico/fixture.js";
import type { CalicoEtcdData } from "../calico/model.js";
import { StoreshiftError } from "../common/errors.js";
import { parseFixture as parseV2Fixture } from "../etcd-v2v3/fixture.js";
import { loadSnapshot } from "../snapshot/file.js";
import { mutatedArb, tokenSoupArb } from "./mutate.js";

/**
 * What the fuzz tests and `bench/fuzz.ts` throw at storeshift's input parsers. The contract every
 * target checks: an input is either accepted, or refused with a StoreshiftError whose message is one
 * line naming the file; anything else (a TypeError, a RangeError, a multi-line message) is a crash.
 */
export interface FuzzTarget {
  name: string;
  /** The file name passed to the parser; a refusal must name it. */
  fileName: string;
  inputs: fc.Arbitrary<string>;
  parse(text: string): Promise<void>;
  dispose?(): Promise<void>;
}

export class FuzzCrash extends Error {}

/** Runs one input; resolves when the outcome is allowed, throws FuzzCrash (with the input) otherwise. */
export async function checkOutcome(target: FuzzTarget, text: string, maxMs = 2000): Promise<void> {
  const started = performance.now();
  try {
    await target.parse(text);
  } catch (err) {
    const preview = JSON.stringify(text.slice(0, 160));
    if (!(err instanceof StoreshiftError))
      throw new FuzzCrash(`${target.name}: crashed with ${String(err)} on input ${preview}`, { cause: err });
    if (err.message.includes("\n"))
      throw new FuzzCrash(`${target.name}: multi-line error ${JSON.stringify(err.message)} on ${preview}`);
    if (!err.message.includes(target.fileName))
      throw new FuzzCrash(`${target.name}: error does not name the file: ${err.message}`);
    if (err.exitCode !== 2)
      throw new FuzzCrash(`${target.name}: bad input gave exit code ${err.exitCode}: ${err.message}`);
  }
  const ms = performance.now() - started;
  if (ms > maxMs) throw new FuzzCrash(`${target.name}: one input took ${Math.round(ms)} ms (> ${maxMs} ms)`);
}

const repoRoot = new URL("../../", import.meta.url).pathname;
const readRepoFile = (path: string) => readFileSync(join(repoRoot, path), "utf8");

/** The CalicoEtcdData a fixture seeds, decoded as CalicoEtcd.read() decodes the stored keys. */
export function calicoDataFromFixtureText(text: string): CalicoEtcdData {
  const data: CalicoEtcdData = { resources: [], blocks: [], affinities: [], handles: [], revision: "1" };
  for (const [key, value] of fixtureToEtcdEntries(parseCalicoFixture(text, "fixture.yaml"))) {
    if (parseResourceKey(key)) data.resources.push(decodeResourceValue(key, value, "1"));
    else if (parseBlockKey(key))
      data.blocks.push({ key, value: normaliseBlock(parseJsonObject(key, value)) });
    else if (parseAffinityKey(key)) {
      const a = parseAffinityKey(key);
      if (a) data.affinities.push({ key, ...a, value: normaliseAffinity(parseJsonObject(key, value)) });
    } else if (parseHandleKey(key)) {
      const h = parseHandleKey(key);
      if (h) data.handles.push({ key, id: h.id, value: normaliseHandle(parseJsonObject(key, value)) });
    } else if (key === IPAM_CONFIG_KEY)
      data.config = { key, value: normaliseIpamConfig(parseJsonObject(key, value)) };
  }
  return data;
}

/** A valid export file of the bundled dataset: the base every mutation starts from. */
export function validExportText(): string {
  return exportText(buildExport(calicoDataFromFixtureText(readRepoFile("fixtures/calico/dataset.yaml"))));
}

/** JSON-ish values, including prototype-polluting keys and deep nesting. */
const jsonValue = fc.jsonValue({ maxDepth: 4 });
const objectWithKeys = (keys: string[]) =>
  fc.record(Object.fromEntries(keys.map((k) => [k, fc.oneof(jsonValue, fc.string())])), {
    requiredKeys: [],
  });

function sectionsOf(parts: string[]): string {
  return `${parts.join("\n===\n")}\n`;
}

export function exportTarget(): FuzzTarget {
  const base = validExportText();
  const fileName = "fuzz-export.yaml";
  const resource = fc.record({
    apiVersion: fc.constantFrom("projectcalico.org/v3", "projectcalico.org/v2", "v1"),
    kind: fc.constantFrom("IPPool", "NetworkPolicy", "GlobalNetworkPolicy", "Node", "Pod", "IPPoolList"),
    metadata: objectWithKeys(["name", "namespace", "labels", "resourceVersion"]),
    spec: jsonValue,
    items: fc.array(jsonValue, { maxLength: 3 }),
  });
  const generated = fc
    .tuple(
      fc.array(resource, { maxLength: 4 }),
      fc.oneof(jsonValue, objectWithKeys(["kind", "spec", "metadata"])),
      fc.oneof(jsonValue, objectWithKeys(["block_affinities", "blocks", "handles", "config", "other"])),
      fc.nat({ max: 4 }),
    )
    .map(([resources, cluster, ipam, extra]) => {
      const parts = [
        resources.map((r) => stringify(r)).join("---\n"),
        JSON.stringify(cluster),
        JSON.stringify(ipam),
      ];
      for (let i = 3; i < extra; i++) parts.push("{}");
      return sectionsOf(parts.slice(0, Math.max(1, extra)));
    });
  return {
    name: "calico export parser",
    fileName,
    inputs: fc.oneof(
      { weight: 6, arbitrary: mutatedArb(base) },
      { weight: 2, arbitrary: generated },
      { weight: 1, arbitrary: tokenSoupArb },
    ),
    async parse(text) {
      parseExport(text, fileName);
      parseExport(text, fileName, { mode: "upstream" });
    },
  };
}

export function calicoFixtureTarget(): FuzzTarget {
  const base = readRepoFile("fixtures/calico/dataset.yaml");
  const fileName = "fuzz-calico-fixture.yaml";
  const generated = fc
    .record(
      {
        format: fc.constantFrom("storeshift/calico-fixture/v1", "other"),
        createdAt: fc.oneof(fc.string(), jsonValue),
        kubernetesNodes: fc.oneof(fc.array(fc.string()), jsonValue),
        kubernetesNamespaces: fc.oneof(fc.array(fc.string()), jsonValue),
        clusterInformation: jsonValue,
        resources: fc.oneof(
          fc.array(
            fc.record({
              kind: fc.constantFrom("IPPool", "NetworkPolicy", "Node", "Bogus"),
              metadata: objectWithKeys(["name", "namespace", "labels"]),
              spec: jsonValue,
            }),
            { maxLength: 4 },
          ),
          jsonValue,
        ),
        ipam: fc.oneof(
          fc.record(
            {
              blocks: fc.oneof(
                fc.array(
                  fc.record({
                    cidr: fc.oneof(
                      fc.constantFrom("10.0.0.0/26", "10.0.0.0/33", "fd00::/122", "x"),
                      fc.string(),
                    ),
                    affinity: fc.oneof(fc.string(), jsonValue),
                    allocations: jsonValue,
                  }),
                  { maxLength: 3 },
                ),
                jsonValue,
              ),
              affinities: jsonValue,
              handles: jsonValue,
              config: jsonValue,
            },
            { requiredKeys: [] },
          ),
          jsonValue,
        ),
      },
      { requiredKeys: [] },
    )
    .map((v) => stringify(v));
  return {
    name: "Calico fixture loader",
    fileName,
    inputs: fc.oneof(
      { weight: 5, arbitrary: mutatedArb(base) },
      { weight: 3, arbitrary: generated },
      { weight: 1, arbitrary: tokenSoupArb },
    ),
    async parse(text) {
      const fixture = parseCalicoFixture(text, fileName);
      // a fixture that loads must also turn into etcd entries: that is what seeding does next
      fixtureToEtcdEntries(fixture);
    },
  };
}

export function v2FixtureTarget(): FuzzTarget {
  const base = readRepoFile("fixtures/etcd-v2/shapes.yaml");
  const fileName = "fuzz-v2-fixture.yaml";
  const stepArb = fc.oneof(
    fc.record(
      { set: fc.oneof(fc.string(), jsonValue), value: fc.oneof(fc.string(), jsonValue), ttl: jsonValue },
      {
        requiredKeys: ["set"],
      },
    ),
    fc.record({ mkdir: fc.oneof(fc.string(), jsonValue), ttl: jsonValue }, { requiredKeys: ["mkdir"] }),
    fc.record({ rm: fc.string(), recursive: jsonValue }, { requiredKeys: ["rm"] }),
    fc.record({ append: fc.string(), repeat: jsonValue }, { requiredKeys: ["append"] }),
    fc.record({ generate: objectWithKeys(["keys", "dirs", "seed", "valueBytes", "prefix"]) }),
    jsonValue,
  );
  const generated = fc
    .record(
      {
        description: jsonValue,
        includeHidden: fc.oneof(fc.array(fc.string()), jsonValue),
        steps: fc.oneof(fc.array(stepArb, { maxLength: 5 }), jsonValue),
      },
      { requiredKeys: [] },
    )
    .map((v) => stringify(v));
  return {
    name: "etcd v2 fixture loader",
    fileName,
    inputs: fc.oneof(
      { weight: 5, arbitrary: mutatedArb(base) },
      { weight: 3, arbitrary: generated },
      { weight: 1, arbitrary: tokenSoupArb },
    ),
    async parse(text) {
      parseV2Fixture(text, fileName);
    },
  };
}

const VALID_SNAPSHOT = [
  JSON.stringify({
    capturedAt: "2026-01-01T00:00:00Z",
    format: "etcd-v3",
    meta: {},
    store: "etcd://x",
    storeshiftSnapshot: 1,
  }),
  JSON.stringify({
    id: "/a",
    kind: "a",
    key: "/a",
    value: "1",
    createRevision: 2,
    modRevision: 2,
    version: 1,
    lease: "0",
  }),
  JSON.stringify({
    id: "/b",
    kind: "b",
    key: "/b",
    value: { $base64: "/w==" },
    createRevision: 3,
    modRevision: 3,
    version: 1,
    lease: "0",
  }),
  JSON.stringify({
    id: "/c/d",
    kind: "c",
    key: "/c/d",
    value: "x\ny",
    createRevision: 4,
    modRevision: 5,
    version: 2,
    lease: "0",
  }),
  "",
].join("\n");

/** The snapshot loader reads files, so each input goes through a private temp file. */
export async function snapshotTarget(): Promise<FuzzTarget> {
  const dir = await mkdtemp(join(tmpdir(), "storeshift-fuzz-"));
  const file = join(dir, "fuzz-snapshot.ndjson");
  const records = fc
    .array(fc.oneof(jsonValue, objectWithKeys(["id", "kind", "value", "key"])), { maxLength: 6 })
    .map((rs) => [VALID_SNAPSHOT.split("\n")[0], ...rs.map((r) => JSON.stringify(r))].join("\n"));
  return {
    name: "snapshot loader",
    fileName: file,
    inputs: fc.oneof(
      { weight: 5, arbitrary: mutatedArb(VALID_SNAPSHOT) },
      { weight: 3, arbitrary: records },
      { weight: 1, arbitrary: tokenSoupArb },
    ),
    async parse(text) {
      await writeFile(file, text);
      const snapshot = await loadSnapshot(file);
      for await (const _ of snapshot.records) {
        // every record is checked as it streams
      }
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

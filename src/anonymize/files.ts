import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { execa } from "execa";
import { requireBinary } from "../binaries/install.js";
import { writeFileAtomic, writeFileAtomicVia } from "../common/atomic-write.js";
import { InputError, StoreshiftError } from "../common/errors.js";
import { etcdClient } from "../common/etcd-client.js";
import { startLocalEtcd } from "../providers/etcd/local-etcd.js";
import { readEtcdV3Pages } from "../snapshot/etcd-v3.js";
import { identifySource, loadCalicoExport, loadV2Dump, openSource } from "../sources/index.js";
import { anonymizeCalicoExport, anonymizeEntries, anonymizeV2Tree } from "./formats.js";

export interface AnonymizeResult {
  kind: string;
  out: string;
  /** What was rewritten, for the summary line. */
  detail: string;
}

/** Written whole or not at all. */
async function writeAtomically(path: string, data: string | Buffer): Promise<void> {
  try {
    await writeFileAtomic(path, data);
  } catch (err) {
    throw new StoreshiftError(`anonymize: write ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Reads a dataset (v2 dump, Calico export, etcd snapshot or live etcd endpoint), rewrites it with
 * the key, and writes the result in the same kind (a snapshot or endpoint becomes a snapshot file).
 * The input is only read.
 */
export async function anonymizeFile(input: string, output: string, key: string): Promise<AnonymizeResult> {
  const spec = await identifySource(/^https?:\/\//.test(input) ? input : resolve(input));
  const out = resolve(output);
  if (spec.kind !== "etcd-endpoint" && out === spec.location)
    throw new InputError(`anonymize: --out ${output} is the input; write elsewhere`);
  if (existsSync(out))
    throw new InputError(`anonymize: --out ${output} exists; remove it or choose another path`);
  switch (spec.kind) {
    case "v2-dump": {
      const tree = anonymizeV2Tree(await loadV2Dump(spec.location), key);
      await writeAtomically(out, `${JSON.stringify({ action: "get", node: tree })}\n`);
      return { kind: spec.kind, out, detail: "v2 keys and values" };
    }
    case "calico-export": {
      const text = anonymizeCalicoExport(await loadCalicoExport(spec.location), key);
      await writeAtomically(out, text);
      return { kind: spec.kind, out, detail: "objects, ClusterInformation and IPAM" };
    }
    case "snapshot":
    case "etcd-endpoint":
      return anonymizeKeyspace(spec.kind, spec.location, out, key);
    case "data-dir":
      throw new InputError(
        `anonymize: ${input} is a data directory; anonymise an \`etcdctl snapshot save\` of it (v3) or a v2 dump (v2)`,
      );
  }
}

/** Copy → read every key → rewrite → write into a fresh etcd 3.4 → `etcdctl snapshot save`. */
async function anonymizeKeyspace(
  kind: "snapshot" | "etcd-endpoint",
  location: string,
  out: string,
  key: string,
): Promise<AnonymizeResult> {
  const source = await openSource({ kind, location }, "calico", "anonymize-in");
  const entries: { key: string; value: string }[] = [];
  try {
    const client = etcdClient(source.etcd.endpoints, { purpose: "anonymize" });
    try {
      for await (const page of readEtcdV3Pages(client, {}))
        for (const kv of page) entries.push({ key: kv.key.toString(), value: kv.value.toString() });
    } finally {
      client.close();
    }
  } finally {
    await source.etcd.stop();
  }
  const rewritten = anonymizeEntries(entries, key);
  const target = await startLocalEtcd({ name: "anonymize-out", line: "v2-capable" });
  try {
    const client = etcdClient(target.endpoints, { purpose: "anonymize" });
    try {
      for (let i = 0; i < rewritten.entries.length; i += 100)
        await Promise.all(
          rewritten.entries.slice(i, i + 100).map((e) => client.put(e.key).value(e.value).exec()),
        );
    } finally {
      client.close();
    }
    const etcdctl = await requireBinary("etcdctl-v2");
    await writeFileAtomicVia(out, async (tmp) => {
      const run = await execa(etcdctl.path, ["snapshot", "save", tmp, `--endpoints=${target.endpoints[0]}`], {
        env: { ETCDCTL_API: "3" },
        reject: false,
        stdin: "ignore",
      });
      if (run.exitCode !== 0)
        throw new StoreshiftError(
          `anonymize: etcdctl snapshot save: ${`${run.stderr}`.trim().split("\n").pop()}`,
        );
    });
  } finally {
    await target.stop();
  }
  return {
    kind,
    out,
    detail: `${rewritten.entries.length} key(s), ${rewritten.tokens} distinct name token(s) rewritten`,
  };
}

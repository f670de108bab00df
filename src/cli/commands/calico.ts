import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import {
  exportFromEtcd,
  importToKube,
  lockEtcd,
  lockKube,
  rollback,
  unlockEtcd,
  unlockKube,
  withKube,
} from "../../calico/api.js";
import { installCalicoctl } from "../../calico/calicoctl/install.js";
import type { QuirkMode } from "../../calico/export/build.js";
import { loadFixture, seedCalicoEtcd } from "../../calico/fixture.js";
import { generateFixture, randomSeed } from "../../calico/generate.js";
import { NOT_KUBERNETES_MESSAGE } from "../../calico/import.js";
import { loadCrdManifests } from "../../calico/kube/crds.js";
import { isKubeLocked, LOCKED_MESSAGE, NOT_LOCKED_MESSAGE, UNLOCKED_MESSAGE } from "../../calico/lock.js";
import { writeFileAtomic } from "../../common/atomic-write.js";
import { InputError, StoreshiftError } from "../../common/errors.js";
import { type Command, type ParsedFlags, parseFlags } from "../command.js";

const USAGE = `storeshift calico <lock|unlock|export|import|rollback|seed|install-calicoctl> [flags]

The Calico etcdv3 → Kubernetes datastore migration, like \`calicoctl datastore migrate\`.
The datastore comes from flags or, as calicoctl does, from the environment:
  --datastore-type etcdv3|kubernetes   (DATASTORE_TYPE, default etcdv3)
  --etcd-endpoints URL[,URL]           (ETCD_ENDPOINTS)
  --kubeconfig FILE                    (KUBECONFIG, default ~/.kube/config)

  lock | unlock        set ClusterInformation default spec.datastoreReady false | true
  export [-o FILE]     write the export file (stdout by default); the etcd datastore must be locked
  import -f FILE|-     import an export file into the Kubernetes datastore (leaves it locked)
                       [--crds FILE|DIR] install these CRDs instead of the generated ones
  rollback             lock Kubernetes, delete every Calico CRD, unlock etcd (needs both stores)
                       [--remove-node-annotations] also remove the Calico annotations import put on Nodes
  seed -f FIXTURE      write a fixture into etcd exactly as libcalico-go stores it
  seed --generate N [--seed S]  write a generated dataset of N objects (the seed is printed)
  install-calicoctl    build the real calicoctl from the Go module proxy [--version V] [--git DIR] [--force]
  --upstream-quirks    export/import reproduce calicoctl's quirks instead of storeshift's fixes

Exit codes: 0 done, 1 refused or failed (not locked, target not empty, import errors), 2 bad input.`;

type Datastore = "etcdv3" | "kubernetes";

function datastoreType(values: ParsedFlags["values"]): Datastore {
  const t = String(values["datastore-type"] ?? process.env.DATASTORE_TYPE ?? "etcdv3");
  if (t !== "etcdv3" && t !== "kubernetes")
    throw new InputError(`calico: datastore type "${t}": expected etcdv3 or kubernetes`);
  return t;
}

function etcdEndpoints(values: ParsedFlags["values"]): string[] {
  const raw = (values["etcd-endpoints"] as string | undefined) ?? process.env.ETCD_ENDPOINTS ?? "";
  const list = raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (list.length === 0)
    throw new InputError("calico: no etcd endpoints (give --etcd-endpoints or ETCD_ENDPOINTS)");
  return list;
}

function kubeConfig(values: ParsedFlags["values"]): KubeConfig {
  const path =
    (values.kubeconfig as string | undefined) ??
    process.env.KUBECONFIG?.split(":")[0] ??
    join(homedir(), ".kube", "config");
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(path);
  } catch (err) {
    throw new InputError(`calico: kubeconfig ${path}: ${(err as Error).message.split("\n")[0]}`);
  }
  return kc;
}

async function writeAtomically(path: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(path, text);
  } catch (err) {
    throw new StoreshiftError(`export: write ${path}: ${(err as Error).message}`, { cause: err });
  }
}

let epipeIgnored = false;

/** Writes to stdout; a reader that goes away early (`| head`) is not an error. */
function writeStdout(text: string): Promise<void> {
  if (!epipeIgnored) {
    epipeIgnored = true;
    // the stream also emits the EPIPE as an 'error' event after the write callback has run
    process.stdout.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE") throw err;
    });
  }
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (err) => {
      if (!err || (err as NodeJS.ErrnoException).code === "EPIPE") resolve();
      else reject(err);
    });
  });
}

async function readInput(file: string): Promise<string> {
  if (file === "-") {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString();
  }
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw new InputError(`import: read ${file}: ${(err as Error).message}`);
  }
}

export const calicoCommand: Command = {
  name: "calico",
  usage: USAGE,
  async run(argv) {
    const [sub, ...rest] = argv;
    const { values } = parseFlags(`calico ${sub ?? ""}`.trim(), rest, {
      "datastore-type": { type: "string" },
      "etcd-endpoints": { type: "string" },
      kubeconfig: { type: "string" },
      output: { type: "string", short: "o" },
      filename: { type: "string", short: "f" },
      crds: { type: "string" },
      "remove-node-annotations": { type: "boolean" },
      "upstream-quirks": { type: "boolean" },
      version: { type: "string" },
      git: { type: "string" },
      force: { type: "boolean" },
      generate: { type: "string" },
      seed: { type: "string" },
    });
    const mode: QuirkMode = values["upstream-quirks"] ? "upstream" : "storeshift";
    const out = (line: string) => process.stdout.write(`${line}\n`);
    switch (sub) {
      case "lock":
      case "unlock": {
        const type = datastoreType(values);
        if (type === "etcdv3") await (sub === "lock" ? lockEtcd : unlockEtcd)(etcdEndpoints(values));
        else await (sub === "lock" ? lockKube : unlockKube)(kubeConfig(values));
        out(sub === "lock" ? LOCKED_MESSAGE : UNLOCKED_MESSAGE);
        return 0;
      }
      case "export": {
        const type = datastoreType(values);
        if (type === "kubernetes") {
          // upstream checks the lock of the configured datastore before its type
          const locked = await withKube(kubeConfig(values), isKubeLocked);
          if (!locked) throw new StoreshiftError(`export: ${NOT_LOCKED_MESSAGE}`, { exitCode: 1 });
          throw new StoreshiftError(
            "export: invalid datastore type: kubernetes to export from for datastore migration. Datastore type must be etcdv3",
            { exitCode: 1 },
          );
        }
        const result = await exportFromEtcd(etcdEndpoints(values), { mode });
        if (values.output) await writeAtomically(String(values.output), result.text);
        else await writeStdout(result.text);
        return 0;
      }
      case "import": {
        if (datastoreType(values) !== "kubernetes")
          throw new StoreshiftError(`import: ${NOT_KUBERNETES_MESSAGE}`, { exitCode: 1 });
        const file = values.filename as string | undefined;
        if (!file) throw new InputError("calico import: -f FILE is required (- for stdin)");
        const kc = kubeConfig(values);
        const crds = values.crds ? await loadCrdManifests(String(values.crds)) : undefined;
        const text = await readInput(file);
        const result = await importToKube(kc, text, { fileName: file, crds, mode });
        for (const w of result.warnings) out(w);
        for (const m of result.messages) out(m);
        return 0;
      }
      case "rollback": {
        const result = await rollback(kubeConfig(values), etcdEndpoints(values), {
          removeNodeAnnotations: values["remove-node-annotations"] === true,
        });
        out(
          `Deleted ${result.crdsDeleted.length} Calico CRD(s); Kubernetes datastore locked; etcd datastore unlocked.`,
        );
        for (const l of result.leftovers) {
          const keys = Object.keys(l.annotations).join(", ");
          out(
            values["remove-node-annotations"]
              ? `Removed from Node ${l.node}: ${keys}`
              : `Left on Node ${l.node} by import (remove with --remove-node-annotations): ${keys}`,
          );
        }
        return 0;
      }
      case "seed": {
        const file = values.filename as string | undefined;
        if (values.generate !== undefined) {
          const count = Number(values.generate);
          const seed = values.seed !== undefined ? Number(values.seed) : randomSeed();
          if (!Number.isInteger(count) || count < 1 || !Number.isInteger(seed))
            throw new InputError("calico seed: --generate N and --seed S must be positive integers");
          const { keys } = await seedCalicoEtcd(etcdEndpoints(values), generateFixture(count, seed));
          out(`Seeded ${keys} key(s) from a generated dataset of ${count} objects, seed ${seed}`);
          return 0;
        }
        if (!file) throw new InputError("calico seed: -f FIXTURE or --generate N is required");
        const fixture = await loadFixture(file);
        const { keys } = await seedCalicoEtcd(etcdEndpoints(values), fixture);
        out(`Seeded ${keys} key(s) from ${file}`);
        return 0;
      }
      case "install-calicoctl": {
        const r = await installCalicoctl({
          version: values.version as string | undefined,
          gitSource: values.git as string | undefined,
          force: values.force === true,
        });
        out(`${r.path} (${r.from}${r.seconds ? `, ${r.seconds} s` : ""})`);
        return 0;
      }
      default:
        throw new InputError(
          `calico: unknown subcommand "${sub ?? ""}" (expected lock, unlock, export, import, rollback, seed, install-calicoctl)`,
        );
    }
  },
};

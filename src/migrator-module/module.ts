import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  BuiltinMigrator,
  CalicoctlMigrator,
  type MigrationStores,
  type Migrator,
} from "../calico/migrator.js";
import { errorMessage, InputError } from "../common/errors.js";
import { builtinV2V3Migrator, type V2V3Migrator } from "../etcd-v2v3/migrator.js";

/**
 * What a module given as `--migrator module=PATH[#EXPORT]` exports: factories for a Calico migrator,
 * a v2→v3 migrator, or both. Each receives storeshift's own migrator to wrap or delegate to; the
 * migration a module leaves out runs on the builtin.
 */
export interface MigratorModule {
  /** Shown in reports and logs; default: the export's file and name. */
  name?: string;
  /** One line: what this migrator is (or, for a selftest mutant, what it breaks). */
  description?: string;
  calico?(stores: MigrationStores, builtin: Migrator): Migrator;
  etcdV2V3?(builtin: V2V3Migrator): V2V3Migrator;
}

export interface MigratorSpec {
  kind: "builtin" | "calicoctl" | "module";
  /** calicoctl binary or module file, absolute. */
  path?: string;
  /** The module's export; "default" unless `#NAME` was given. */
  exportName?: string;
}

const USAGE = "expected builtin, calicoctl=PATH or module=PATH[#EXPORT]";

/** Parses `--migrator`; a module path becomes absolute, so workers in other directories find it too. */
export function parseMigratorSpec(value: string, where = "--migrator"): MigratorSpec {
  if (value === "builtin") return { kind: "builtin" };
  const m = /^(calicoctl|module)=(.+)$/.exec(value);
  if (!m?.[1] || !m[2]) throw new InputError(`${where} ${value}: ${USAGE}`);
  if (m[1] === "calicoctl") return { kind: "calicoctl", path: m[2] };
  const hash = m[2].lastIndexOf("#");
  const file = hash > 0 ? m[2].slice(0, hash) : m[2];
  const exportName = hash > 0 ? m[2].slice(hash + 1) : "default";
  if (exportName === "") throw new InputError(`${where} ${value}: empty export name after "#"`);
  return { kind: "module", path: resolve(file), exportName };
}

export function formatMigratorSpec(spec: MigratorSpec): string {
  if (spec.kind === "builtin") return "builtin";
  if (spec.kind === "calicoctl") return `calicoctl=${spec.path}`;
  return `module=${spec.path}${spec.exportName === "default" ? "" : `#${spec.exportName}`}`;
}

function isFactory(value: unknown): boolean {
  return value === undefined || typeof value === "function";
}

function asMigratorModule(value: unknown, where: string): MigratorModule {
  if (typeof value !== "object" || value === null)
    throw new InputError(`${where}: the export is ${value === null ? "null" : typeof value}, not an object`);
  const m = value as Record<string, unknown>;
  if (!isFactory(m.calico) || !isFactory(m.etcdV2V3))
    throw new InputError(`${where}: calico and etcdV2V3, when present, must be functions`);
  if (m.calico === undefined && m.etcdV2V3 === undefined)
    throw new InputError(`${where}: exports neither a calico nor an etcdV2V3 migrator factory`);
  return m as MigratorModule;
}

const loaded = new Map<string, Promise<MigratorModule>>();

async function importModule(spec: MigratorSpec): Promise<MigratorModule> {
  const path = spec.path ?? "";
  const where = `migrator module ${path}${spec.exportName === "default" ? "" : `#${spec.exportName}`}`;
  if (!existsSync(path)) throw new InputError(`${where}: no such file`);
  let ns: Record<string, unknown>;
  try {
    ns = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    throw new InputError(`${where}: could not be loaded: ${errorMessage(err).split("\n")[0]}`, {
      cause: err,
    });
  }
  const name = spec.exportName ?? "default";
  // a module with named calico/etcdV2V3 factories and no default export is its own migrator module
  const value = name === "default" && !("default" in ns) ? ns : ns[name];
  if (value === undefined) throw new InputError(`${where}: has no export "${name}"`);
  return asMigratorModule(value, where);
}

/** Loads (once per process) the module a `module=` spec names, checking its shape. */
export function loadMigratorModule(spec: MigratorSpec): Promise<MigratorModule> {
  const key = formatMigratorSpec(spec);
  let p = loaded.get(key);
  if (!p) {
    p = importModule(spec);
    loaded.set(key, p);
  }
  return p;
}

/** The Calico migrator a `--migrator` value selects for these stores. */
export async function calicoMigrator(
  value: string,
  stores: MigrationStores,
  options: ConstructorParameters<typeof BuiltinMigrator>[1] = {},
): Promise<Migrator> {
  const spec = parseMigratorSpec(value);
  if (spec.kind === "calicoctl") return new CalicoctlMigrator(spec.path ?? "", stores);
  const builtin = new BuiltinMigrator(stores, options);
  if (spec.kind === "builtin") return builtin;
  const mod = await loadMigratorModule(spec);
  return mod.calico ? mod.calico(stores, builtin) : builtin;
}

/** The v2→v3 migrator a `--migrator` value selects; calicoctl concerns Calico only, so it is the builtin. */
export async function v2v3Migrator(value: string): Promise<V2V3Migrator> {
  const spec = parseMigratorSpec(value);
  if (spec.kind !== "module") return builtinV2V3Migrator;
  const mod = await loadMigratorModule(spec);
  return mod.etcdV2V3 ? mod.etcdV2V3(builtinV2V3Migrator) : builtinV2V3Migrator;
}

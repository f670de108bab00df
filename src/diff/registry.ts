import { firstLine, InputError, StoreshiftError } from "../common/errors.js";
import { identityMapping } from "./identity.js";
import type { Mapping } from "./mapping.js";

const registered = new Map<string, Mapping>([[identityMapping.name, identityMapping]]);

/**
 * Mappings that live with their migration, loaded on first use so the diff does not depend on them at
 * build time. Each module exports `mapping` and/or `mappings` (any exported Mapping is registered).
 */
const lazyModules: string[] = ["../etcd-v2v3/mapping.js", "../calico/mapping.js"];
let lazyLoaded = false;

export function registerMapping(mapping: Mapping): void {
  registered.set(mapping.name, mapping);
}

function looksLikeMapping(value: unknown): value is Mapping {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Mapping).name === "string" &&
    typeof (value as Mapping).map === "function"
  );
}

async function loadLazyModules(): Promise<void> {
  if (lazyLoaded) return;
  lazyLoaded = true;
  for (const specifier of lazyModules) {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(specifier)) as Record<string, unknown>;
    } catch (err) {
      // A migration whose mapping file does not exist simply offers no mapping; a mapping file that
      // exists but fails to load is an error worth seeing.
      const error = err as NodeJS.ErrnoException;
      const file = specifier.split("/").slice(-2).join("/").replace(/\.js$/, "");
      if (error.code === "ERR_MODULE_NOT_FOUND" && error.message.includes(file)) continue;
      throw new StoreshiftError(`load mappings from ${specifier}: ${firstLine(error.message)}`, {
        cause: err,
      });
    }
    for (const value of Object.values(mod)) {
      const candidates = Array.isArray(value) ? value : [value];
      for (const candidate of candidates) if (looksLikeMapping(candidate)) registerMapping(candidate);
    }
  }
}

export async function mappingNames(): Promise<string[]> {
  await loadLazyModules();
  return [...registered.keys()].sort();
}

/** The mapping with this name; an InputError listing the known names otherwise. */
export async function getMapping(name: string): Promise<Mapping> {
  await loadLazyModules();
  const mapping = registered.get(name);
  if (!mapping) {
    throw new InputError(
      `mapping "${name}": unknown; known mappings: ${[...registered.keys()].sort().join(", ")}`,
    );
  }
  return mapping;
}

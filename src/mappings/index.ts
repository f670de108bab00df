import { mapping as calicoMapping } from "../calico/mapping.js";
import { InputError } from "../common/errors.js";
import { identityMapping } from "../diff/identity.js";
import type { Mapping } from "../diff/mapping.js";
import { mappings as etcdV2V3Mappings } from "../etcd-v2v3/mapping.js";

/**
 * Every mapping by name, for the places that take a name from a user (`storeshift diff --mapping`,
 * a diff step). Each mapping lives with its migration; this folder sits above them and the diff, so
 * the diff engine takes a Mapping object and never reaches up to a migration.
 */
const byName = new Map<string, Mapping>(
  [identityMapping, calicoMapping, ...etcdV2V3Mappings].map((m) => [m.name, m]),
);

export function mappingNames(): string[] {
  return [...byName.keys()].sort();
}

/** The mapping with this name; an InputError listing the known names otherwise. */
export function getMapping(name: string): Mapping {
  const found = byName.get(name);
  if (!found)
    throw new InputError(`mapping "${name}": unknown; known mappings: ${mappingNames().join(", ")}`);
  return found;
}

import { readFile } from "node:fs/promises";
import { InputError } from "../common/errors.js";
import { utf8Text } from "../common/utf8.js";
import type { V2Node } from "../etcd-v2v3/tree.js";
import { v2Mkdir, v2Set } from "../etcd-v2v3/v2-client.js";
import { fsReason } from "./fs-reason.js";

/**
 * A v2 JSON dump: the body of `GET /v2/keys/?recursive=true` (`{"action":"get","node":{...}}`),
 * or just its `node`. Parsed and checked whole before any key is written.
 */
export function parseV2Dump(text: string, file: string): V2Node {
  const where = (what: string) => new InputError(`etcd v2 dump ${file}: ${what}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw where(`not JSON (${(err as Error).message.split("\n")[0]})`);
  }
  const body = value as { node?: unknown; action?: unknown };
  const root = (typeof body === "object" && body !== null && "node" in body ? body.node : value) as unknown;
  const check = (raw: unknown, path: string): V2Node => {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw))
      throw where(`${path}: not a node object`);
    const n = raw as Record<string, unknown>;
    const key = n.key === undefined && path === "node" ? "/" : n.key;
    if (typeof key !== "string" || !key.startsWith("/"))
      throw where(`${path}: key must be a string starting with /`);
    const dir = n.dir === true;
    const node: V2Node = {
      key,
      dir,
      createdIndex: Number(n.createdIndex ?? 0),
      modifiedIndex: Number(n.modifiedIndex ?? 0),
    };
    if (!dir) {
      if (typeof n.value !== "string") throw where(`${key}: a leaf without a string value`);
      node.value = n.value;
    }
    if (typeof n.ttl === "number") node.ttl = n.ttl;
    if (typeof n.expiration === "string") node.expiration = n.expiration;
    if (n.nodes !== undefined) {
      if (!dir || !Array.isArray(n.nodes)) throw where(`${key}: nodes on a non-directory or not a list`);
      node.nodes = n.nodes.map((c, i) => check(c, `${key} nodes[${i}]`));
      for (const c of node.nodes)
        if (!c.key.startsWith(key === "/" ? "/" : `${key}/`))
          throw where(`${c.key}: not under its parent ${key}`);
    }
    return node;
  };
  const tree = check(root, "node");
  if (!tree.dir || tree.key !== "/") throw where('the dump must be of the root ("/?recursive=true")');
  return tree;
}

export async function loadV2Dump(file: string): Promise<V2Node> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new InputError(`etcd v2 dump ${file}: ${fsReason(err)}`);
  }
  return parseV2Dump(utf8Text(bytes, `etcd v2 dump ${file}`), file);
}

/** Counts of what a dump writes. */
export interface V2SeedResult {
  keys: number;
  dirs: number;
}

/**
 * Writes the dump through the v2 API, parents first: leaves with `set` (a TTL the dump shows is
 * kept as the seconds it had left), empty directories with `mkdir`.
 */
export async function seedV2Dump(endpoint: string, root: V2Node): Promise<V2SeedResult> {
  const result: V2SeedResult = { keys: 0, dirs: 0 };
  const visit = async (node: V2Node): Promise<void> => {
    if (!node.dir) {
      await v2Set(endpoint, node.key, node.value ?? "", node.ttl);
      result.keys++;
      return;
    }
    const children = node.nodes ?? [];
    if (node.key !== "/" && (children.length === 0 || node.ttl !== undefined)) {
      await v2Mkdir(endpoint, node.key, node.ttl);
      result.dirs++;
    }
    for (const c of children) await visit(c);
  };
  await visit(root);
  return result;
}

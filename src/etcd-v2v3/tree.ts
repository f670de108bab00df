/**
 * The v2 key tree as the v2 HTTP API returns it (`GET /v2/keys/?recursive=true&sorted=true`), and
 * pure helpers over it. IO lives in v2-client.ts.
 */

export interface V2Node {
  /** Absolute key with a leading `/`; the root is `/`. */
  key: string;
  dir: boolean;
  /** Leaf value; absent on directories, `""` kept for empty leaves. */
  value?: string;
  /** The root of the key space has no indexes in the HTTP API; we use 0 there. */
  createdIndex: number;
  modifiedIndex: number;
  /** RFC 3339 expiry of a node that carries its own TTL. */
  expiration?: string;
  /** Seconds left, rounded up, as the server computed them at read time. */
  ttl?: number;
  nodes?: V2Node[];
}

export interface V2Tree {
  root: V2Node;
  /** `X-Etcd-Index` of the read: the v2 store index the tree is a snapshot of. */
  etcdIndex: number;
  /** `X-Raft-Index` of the read, when the server sent it. */
  raftIndex?: number;
  /** Wall clock (ms since epoch) of the read, the reference point for TTLs. */
  readAtMs: number;
}

/** A v2 key is hidden when its last segment starts with `_`; listings omit it and its subtree. */
export function isHiddenKey(key: string): boolean {
  const last = key.slice(key.lastIndexOf("/") + 1);
  return last.startsWith("_");
}

/** Depth-first pre-order walk with each node's ancestors (root first), children in key order. */
export function* walkTree(
  root: V2Node,
  ancestors: V2Node[] = [],
): Generator<{ node: V2Node; ancestors: V2Node[] }> {
  yield { node: root, ancestors };
  if (!root.nodes) return;
  const children = [...root.nodes].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const path = [...ancestors, root];
  for (const child of children) yield* walkTree(child, path);
}

export function leaves(root: V2Node): V2Node[] {
  const out: V2Node[] = [];
  for (const { node } of walkTree(root)) if (!node.dir) out.push(node);
  return out;
}

/**
 * A stable text of the tree for "did v2 change?" checks: every node's key, kind, value, indexes and
 * expiry, but not `ttl`, which counts down on every read.
 */
export function treeFingerprint(root: V2Node): string {
  const lines: string[] = [];
  for (const { node } of walkTree(root)) {
    lines.push(
      JSON.stringify([
        node.key,
        node.dir,
        node.value ?? null,
        node.createdIndex,
        node.modifiedIndex,
        node.expiration ?? null,
      ]),
    );
  }
  return lines.join("\n");
}

/**
 * Inserts a node read by exact path (a hidden key the listing cannot show) into the tree, creating
 * no parents: a hidden key's parent is always listed, since only its own segment is hidden.
 */
export function graftNode(root: V2Node, node: V2Node): boolean {
  const parentKey = node.key.slice(0, node.key.lastIndexOf("/")) || "/";
  for (const { node: candidate } of walkTree(root)) {
    if (candidate.dir && candidate.key === parentKey) {
      if (!candidate.nodes) candidate.nodes = [];
      const kids = candidate.nodes;
      const at = kids.findIndex((k) => k.key === node.key);
      if (at >= 0) kids[at] = node;
      else kids.push(node);
      return true;
    }
  }
  return false;
}

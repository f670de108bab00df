import { StoreshiftError } from "../common/errors.js";
import { JsonStreamParser, JsonSyntaxError } from "../common/json-stream.js";
import { graftNode, type V2Node, type V2Tree } from "./tree.js";

/**
 * A tiny v2 client over plain HTTP+JSON (Node's fetch): the v2 API needs nothing more, and the npm
 * v2 clients pull in native addons and deprecated deps.
 */

interface RawNode {
  key?: string;
  dir?: boolean;
  value?: string;
  createdIndex?: number;
  modifiedIndex?: number;
  expiration?: string;
  ttl?: number;
  nodes?: RawNode[];
}

interface V2Error {
  errorCode: number;
  message: string;
  cause?: string;
}

export class V2RequestError extends StoreshiftError {
  constructor(
    message: string,
    readonly errorCode?: number,
  ) {
    super(message);
  }
}

function baseUrl(endpoint: string): string {
  return endpoint.replace(/\/+$/, "");
}

/** Path segments escaped one by one, so `/a b/ü` stays a path. */
export function keyUrl(endpoint: string, key: string): string {
  const path = key
    .split("/")
    .map((segment) => encodeURIComponent(segment))
    .join("/");
  return `${baseUrl(endpoint)}/v2/keys${path.startsWith("/") ? "" : "/"}${path}`;
}

function toNode(raw: RawNode, fallbackKey: string): V2Node {
  return shallowNode(
    raw,
    fallbackKey,
    raw.nodes?.map((n) => toNode(n, "?")),
  );
}

/** A node from its raw fields, with children already converted (or none). */
function shallowNode(raw: RawNode, fallbackKey: string, nodes: V2Node[] | undefined): V2Node {
  const node: V2Node = {
    key: raw.key ?? fallbackKey,
    dir: raw.dir === true,
    createdIndex: raw.createdIndex ?? 0,
    modifiedIndex: raw.modifiedIndex ?? 0,
  };
  if (!node.dir) node.value = raw.value ?? "";
  if (raw.expiration !== undefined) node.expiration = raw.expiration;
  if (raw.ttl !== undefined) node.ttl = raw.ttl;
  if (nodes) node.nodes = nodes;
  return node;
}

function requestFailure(operation: string, err: unknown): V2RequestError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return new V2RequestError(`${operation}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
}

async function v2Fetch(
  operation: string,
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw requestFailure(operation, err);
  }
}

async function v2Call(
  operation: string,
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await v2Fetch(operation, url, init, 60_000);
  return v2Body(operation, response, await response.text());
}

function v2Body(
  operation: string,
  response: Response,
  text: string,
): { status: number; body: unknown; headers: Headers } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const hint = response.status === 404 ? "; is the v2 API enabled (--enable-v2, etcd <= 3.4)?" : "";
    throw new V2RequestError(
      `${operation}: HTTP ${response.status}, not JSON: ${text.slice(0, 60).replace(/\s+/g, " ").trim()}${hint}`,
    );
  }
  if (response.status >= 400) {
    const e = body as Partial<V2Error>;
    const detail = e.message ? `${e.message}${e.cause ? ` (${e.cause})` : ""}` : `HTTP ${response.status}`;
    const hint =
      response.status === 404 && e.errorCode === undefined ? "; is the v2 API enabled (--enable-v2)?" : "";
    throw new V2RequestError(`${operation}: ${detail}${hint}`, e.errorCode);
  }
  return { status: response.status, body, headers: response.headers };
}

function headerNumber(headers: Headers, name: string): number | undefined {
  const v = headers.get(name);
  return v === null ? undefined : Number(v);
}

export interface ReadV2Options {
  /** Linearizable read through raft (`quorum=true`); default true. */
  quorum?: boolean;
  /** Hidden keys/dirs to read by exact path and graft in (listings cannot show them). Missing ones are ignored. */
  includeHidden?: string[];
}

/** The whole-tree read may take long on a big store; a dead server still fails it. */
const TREE_READ_TIMEOUT_MS = 600_000;

/**
 * `GET /v2/keys/?recursive=true` parsed as it arrives: each node object becomes a `V2Node` when it
 * closes, so neither the response text nor the raw parsed document is ever held whole (a million keys
 * are over 100 MB of JSON). Error responses are small and go through `v2Body`.
 */
async function readTreeBody(operation: string, url: string): Promise<{ root: V2Node; headers: Headers }> {
  const response = await v2Fetch(operation, url, {}, TREE_READ_TIMEOUT_MS);
  if (response.status >= 400 || !response.body) {
    v2Body(operation, response, await response.text());
    throw new V2RequestError(`${operation}: HTTP ${response.status} with no body`);
  }
  const parser = new JsonStreamParser((raw, depth) =>
    depth === 0 ? raw : shallowNode(raw as RawNode, "?", (raw as { nodes?: V2Node[] }).nodes),
  );
  let head = "";
  const notJson = (err: unknown) =>
    new V2RequestError(
      `${operation}: HTTP ${response.status}, not JSON: ${head.replace(/\s+/g, " ").trim()} (${(err as Error).message})`,
    );
  try {
    for await (const chunk of response.body) {
      if (head === "") head = Buffer.from(chunk).toString("utf8", 0, 60);
      parser.write(chunk);
    }
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw notJson(err);
    throw requestFailure(`${operation}: reading the response`, err);
  }
  let envelope: { node?: V2Node } | undefined;
  try {
    envelope = parser.end() as { node?: V2Node } | undefined;
  } catch (err) {
    throw notJson(err);
  }
  if (!envelope?.node)
    throw new V2RequestError(`${operation}: HTTP ${response.status}, no "node" in the answer`);
  return { root: envelope.node, headers: response.headers };
}

/**
 * Reads the whole v2 key space in one request: one in-memory read on the server, so the tree is a
 * point-in-time snapshot at `etcdIndex`.
 */
export async function readV2Tree(endpoint: string, options: ReadV2Options = {}): Promise<V2Tree> {
  const quorum = options.quorum ?? true;
  const url = `${baseUrl(endpoint)}/v2/keys/?recursive=true&sorted=true${quorum ? "&quorum=true" : ""}`;
  const readAtMs = Date.now();
  const { root, headers } = await readTreeBody(`read v2 tree at ${endpoint}`, url);
  root.key = "/";
  root.dir = true;
  for (const hidden of options.includeHidden ?? []) {
    const node = await readV2Node(endpoint, hidden, { recursive: true, quorum });
    if (node) graftNode(root, node);
  }
  return {
    root,
    etcdIndex: headerNumber(headers, "x-etcd-index") ?? 0,
    raftIndex: headerNumber(headers, "x-raft-index"),
    readAtMs,
  };
}

/** One node by exact path (works for hidden keys); undefined when it does not exist. */
export async function readV2Node(
  endpoint: string,
  key: string,
  options: { recursive?: boolean; quorum?: boolean } = {},
): Promise<V2Node | undefined> {
  const query = new URLSearchParams({ sorted: "true" });
  if (options.recursive) query.set("recursive", "true");
  if (options.quorum ?? true) query.set("quorum", "true");
  try {
    const { body } = await v2Call(`read v2 key ${key}`, `${keyUrl(endpoint, key)}?${query}`);
    return toNode((body as { node: RawNode }).node, key);
  } catch (err) {
    if (err instanceof V2RequestError && err.errorCode === 100) return undefined;
    throw err;
  }
}

/** The v2 store index now (`X-Etcd-Index` of a cheap read of the root). */
export async function readV2Index(endpoint: string): Promise<number> {
  const { headers } = await v2Call(`read v2 index at ${endpoint}`, `${baseUrl(endpoint)}/v2/keys/`);
  return headerNumber(headers, "x-etcd-index") ?? 0;
}

export interface V2WriteResult {
  key: string;
  createdIndex: number;
  modifiedIndex: number;
}

function form(fields: Record<string, string | undefined>): URLSearchParams {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) params.set(k, v);
  return params;
}

function written(body: unknown, key: string): V2WriteResult {
  const node = (body as { node?: RawNode }).node ?? {};
  return {
    key: node.key ?? key,
    createdIndex: node.createdIndex ?? 0,
    modifiedIndex: node.modifiedIndex ?? 0,
  };
}

/** `etcdctl set` over HTTP: PUT a leaf, optionally with a TTL in seconds. */
export async function v2Set(
  endpoint: string,
  key: string,
  value: string,
  ttl?: number,
): Promise<V2WriteResult> {
  const { body } = await v2Call(`v2 set ${key}`, keyUrl(endpoint, key), {
    method: "PUT",
    body: form({ value, ttl: ttl === undefined ? undefined : String(ttl) }),
  });
  return written(body, key);
}

/**
 * `set` with raw value bytes: the form body is percent-encoded byte by byte, so bytes that are not
 * UTF-8 reach the server as they are (it then stores what Go makes of them).
 */
export async function v2SetBytes(
  endpoint: string,
  key: string,
  bytes: Uint8Array,
  ttl?: number,
): Promise<V2WriteResult> {
  const value = Array.from(bytes, (b) => `%${b.toString(16).padStart(2, "0")}`).join("");
  const { body } = await v2Call(`v2 set ${key} (${bytes.length} raw bytes)`, keyUrl(endpoint, key), {
    method: "PUT",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: `value=${value}${ttl === undefined ? "" : `&ttl=${ttl}`}`,
  });
  return written(body, key);
}

/** `etcdctl update`: PUT with prevExist=true, so the node keeps its createdIndex (a CAS-style update). */
export async function v2Update(endpoint: string, key: string, value: string): Promise<V2WriteResult> {
  const { body } = await v2Call(`v2 update ${key}`, keyUrl(endpoint, key), {
    method: "PUT",
    body: form({ value, prevExist: "true" }),
  });
  return written(body, key);
}

/** `etcdctl mkdir`: PUT dir=true, optionally with a TTL. */
export async function v2Mkdir(endpoint: string, key: string, ttl?: number): Promise<V2WriteResult> {
  const { body } = await v2Call(`v2 mkdir ${key}`, keyUrl(endpoint, key), {
    method: "PUT",
    body: form({ dir: "true", ttl: ttl === undefined ? undefined : String(ttl) }),
  });
  return written(body, key);
}

/** POST: an in-order key (`<dir>/<zero-padded index>`) created by the server. */
export async function v2Append(endpoint: string, dir: string, value: string): Promise<V2WriteResult> {
  const { body } = await v2Call(`v2 append to ${dir}`, keyUrl(endpoint, dir), {
    method: "POST",
    body: form({ value }),
  });
  return written(body, dir);
}

export async function v2Delete(
  endpoint: string,
  key: string,
  options: { recursive?: boolean } = {},
): Promise<void> {
  const query = options.recursive ? "?recursive=true" : "";
  await v2Call(`v2 rm ${key}`, `${keyUrl(endpoint, key)}${query}`, { method: "DELETE" });
}

import { readFile } from "node:fs/promises";
import { sleep } from "../common/wait.js";
import type { OfflineMigrationResult } from "../etcd-v2v3/offline.js";
import type { OnlineMigrationResult } from "../etcd-v2v3/online.js";
import { leaves, type V2Node, type V2Tree } from "../etcd-v2v3/tree.js";
import { readV2Tree } from "../etcd-v2v3/v2-client.js";
import { hashKvAtOneRevision, type MemberKv, type MemberView, readMember } from "../etcd-v3-oracle/index.js";
import type { InPlaceMigration, ToolRun } from "./raw-tool.js";
import type { Observed } from "./verdict.js";

/**
 * One judge per upstream case (../shared/reference/upstream-cases.md, Part B): it reads the stores
 * after the migration under test and says which outcome the facts support. Judges read through the
 * independent oracle's readers (src/etcd-v3-oracle), never through the migrator's own verifier.
 */

/** What the migrate step did, by migrator. */
export interface UpstreamRun {
  /** As the feature names it: `etcdctl migrate`, `storeshift online`, ... */
  migrator: string;
  tool: { name: string; version?: string; storeshift: boolean };
  raw?: InPlaceMigration;
  online?: OnlineMigrationResult;
  offline?: OfflineMigrationResult;
  /** The migrator's refusal or failure, one line. */
  error?: string;
  /** Case-specific observations of earlier steps (a rollback's start failure, a probe's run). */
  notes: Record<string, unknown>;
}

export interface CaseContext {
  run: UpstreamRun;
  endpoints: string[];
  /** v2 as seeded, read before the migration. */
  v2Before: V2Tree;
  /** Every member's v3 key space before the migration. */
  v3Before: MemberKv[];
  /** Member log files, for start-up failures. */
  logFiles: string[];
}

type Judge = (ctx: CaseContext) => Promise<Observed>;

const text = (b: Buffer) => b.toString("utf8");
const keysOf = (kvs: MemberKv[]) => kvs.map((kv) => text(kv.key));

function byKey(kvs: MemberKv[]): Map<string, MemberKv> {
  return new Map(kvs.map((kv) => [text(kv.key), kv]));
}

function v2Leaves(tree: V2Tree): V2Node[] {
  return leaves(tree.root);
}

async function members(ctx: CaseContext): Promise<MemberView[]> {
  return Promise.all(ctx.endpoints.map((e) => readMember(e)));
}

function lastLine(run: ToolRun): string {
  const all = `${run.stdout}\n${run.stderr}`.trim().split("\n");
  return (all.find((l) => l.startsWith("Error")) ?? all.pop() ?? "").trim();
}

function rawRuns(ctx: CaseContext): ToolRun[] {
  const runs = ctx.run.raw?.runs;
  if (!runs) throw new Error(`${ctx.run.migrator}: no etcdctl run was recorded`);
  return runs;
}

function failedBefore(ctx: CaseContext): string | undefined {
  if (ctx.run.error) return ctx.run.error;
  const bad = ctx.run.raw?.runs.find((r) => r.exitCode !== 0);
  if (bad) return `etcdctl migrate on ${bad.member} exit ${bad.exitCode}: ${lastLine(bad)}`;
  if (ctx.run.raw?.startFailures.length)
    return `start after migrate: ${ctx.run.raw.startFailures.join("; ")}`;
  return undefined;
}

/** Throws when the migration under test did not even run: a case cannot be judged on nothing. */
function requireRan(ctx: CaseContext): void {
  const failed = failedBefore(ctx);
  if (failed)
    throw new Error(`${ctx.run.migrator} did not complete, so the case cannot be judged: ${failed}`);
}

/** E-01: the next v3 write continues after the migrated revisions; etcdctl keeps the v2 indexes. */
const e01: Judge = async (ctx) => {
  requireRan(ctx);
  const [m] = await members(ctx);
  if (!m) throw new Error("E-01: no member to read");
  const kv = byKey(m.kvs);
  const test = kv.get("test");
  if (!test) throw new Error("E-01: the v3 put of `test` after the migration is not there");
  const migrated = v2Leaves(ctx.v2Before).map((n) => ({ n, kv: kv.get(n.key) }));
  const missing = migrated.filter((x) => !x.kv).map((x) => x.n.key);
  const maxMod = Math.max(...migrated.map((x) => x.kv?.modRevision ?? 0));
  const problems: string[] = [];
  if (missing.length) problems.push(`missing ${missing.join(", ")}`);
  if (test.createRevision !== maxMod + 1)
    problems.push(`test create_revision ${test.createRevision}, not ${maxMod + 1} (highest migrated + 1)`);
  if (!ctx.run.tool.storeshift || ctx.run.offline) {
    for (const { n, kv: got } of migrated)
      if (
        got &&
        (got.createRevision !== n.createdIndex || got.modRevision !== n.modifiedIndex || got.version !== 1)
      )
        problems.push(
          `${n.key} create/mod/version ${got.createRevision}/${got.modRevision}/${got.version}, v2 ${n.createdIndex}/${n.modifiedIndex}/1`,
        );
  }
  const facts = `${migrated.length} keys, highest migrated mod_revision ${maxMod}, then \`put test\` got create_revision ${test.createRevision}${ctx.run.tool.storeshift ? " (online: new revisions, one per Txn)" : " (upstream's e2e test expects 7)"}`;
  return problems.length
    ? { outcome: "reproduced", detail: `revision continuity broken: ${problems.join("; ")}` }
    : { outcome: "not-reproduced", detail: facts };
};

/** E-02: updated keys carry their last value and the last update's index, on every WAL/.snap layout. */
const e02: Judge = async (ctx) => {
  requireRan(ctx);
  const problems: string[] = [];
  const updated = v2Leaves(ctx.v2Before).filter((n) => n.createdIndex !== n.modifiedIndex);
  if (updated.length === 0)
    throw new Error("E-02: the fixture has no updated key (createdIndex = modifiedIndex everywhere)");
  for (const m of await members(ctx)) {
    const kv = byKey(m.kvs);
    for (const n of v2Leaves(ctx.v2Before)) {
      const got = kv.get(n.key);
      if (!got) {
        problems.push(`${m.endpoint}: ${n.key} missing`);
        continue;
      }
      if (text(got.value) !== n.value)
        problems.push(`${n.key} = ${JSON.stringify(text(got.value))}, v2 ${JSON.stringify(n.value)}`);
      if (
        !ctx.run.tool.storeshift &&
        (got.modRevision !== n.modifiedIndex || got.createRevision !== n.createdIndex)
      )
        problems.push(
          `${n.key} create/mod ${got.createRevision}/${got.modRevision}, v2 ${n.createdIndex}/${n.modifiedIndex}`,
        );
    }
  }
  const layout = String(ctx.run.notes.layout ?? "?");
  return problems.length
    ? { outcome: "reproduced", detail: `${layout}: ${problems.slice(0, 4).join("; ")}` }
    : {
        outcome: "not-reproduced",
        detail: `${layout}: ${updated.length} updated key(s) hold their last v2 value${ctx.run.tool.storeshift ? "" : " at the last update's modifiedIndex (create_revision = createdIndex)"}`,
      };
};

/** E-03 (and any value-fidelity case): v3 bytes = the v2 value's UTF-8 bytes, for every leaf. */
const e03: Judge = async (ctx) => {
  requireRan(ctx);
  const wanted = v2Leaves(ctx.v2Before);
  const problems: string[] = [];
  for (const m of await members(ctx)) {
    const kv = byKey(m.kvs);
    for (const n of wanted) {
      const got = kv.get(n.key);
      if (!got) problems.push(`${n.key} missing`);
      else if (!got.value.equals(Buffer.from(n.value ?? "", "utf8")))
        problems.push(`${n.key}: v3 ${JSON.stringify(text(got.value))}, v2 ${JSON.stringify(n.value)}`);
    }
  }
  const withPercent = wanted.filter((n) => n.key.includes("%") || n.value?.includes("%")).length;
  return problems.length
    ? { outcome: "reproduced", detail: `values mangled: ${problems.slice(0, 4).join("; ")}` }
    : {
        outcome: "not-reproduced",
        detail: `${wanted.length} keys (${withPercent} with %) byte-identical in v3`,
      };
};

/** E-04: the tool's answer to a broken precondition: a clear rc and message, nothing written, no hang. */
const e04: Judge = async (ctx) => {
  const condition = String(ctx.run.notes.precondition ?? "");
  const v3After = (await members(ctx)).flatMap((m) => keysOf(m.kvs));
  const before = new Set(keysOf(ctx.v3Before));
  const written = v3After.filter((k) => !before.has(k));
  const v2After = await readV2Tree(ctx.endpoints[0] ?? "");
  const v2Same = v2Leaves(v2After).length === v2Leaves(ctx.v2Before).length;
  const untouched = written.length === 0 && v2Same && v3After.length === before.size;
  const cli = ctx.run.notes.cli as
    | { exitCode: number | null; output: string; durationMs: number }
    | undefined;
  if (cli) {
    // storeshift's CLI on the same situation
    const refused = cli.exitCode !== 0 && cli.exitCode !== null && cli.durationMs < 30_000;
    return refused && untouched
      ? {
          outcome: "fixed-by-storeshift",
          detail: `${condition}: storeshift etcd migrate --offline exit ${cli.exitCode} in ${cli.durationMs} ms: ${cli.output}; nothing written`,
        }
      : {
          outcome: "reproduced",
          detail: `${condition}: exit ${cli.exitCode} after ${cli.durationMs} ms: ${cli.output}`,
        };
  }
  const [run] = rawRuns(ctx);
  if (!run) throw new Error("E-04: no etcdctl run");
  const said = lastLine(run);
  if (run.timedOut)
    return {
      outcome: "reproduced",
      detail: `${condition}: etcdctl migrate had not exited after ${run.durationMs} ms (killed; stderr: ${run.stderr.trim().split("\n").pop()}); ${untouched ? "nothing written" : `v3 changed: ${written.join(", ")}`}`,
    };
  const clear =
    condition === "the v2 store is empty"
      ? run.exitCode === 0 && run.stdout.includes("no v2 keys to migrate")
      : run.exitCode !== 0 && /^Error: /m.test(run.stderr);
  return clear && untouched
    ? { outcome: "not-reproduced", detail: `${condition}: rc ${run.exitCode}, "${said}"; nothing written` }
    : {
        outcome: "reproduced",
        detail: `${condition}: rc ${run.exitCode}, "${said}"${untouched ? "" : `; v3 changed: ${written.join(", ")}`}`,
      };
};

/** E-05: keys gain a leading `/`: a reader on the old prefix sees nothing. */
const e05: Judge = async (ctx) => {
  requireRan(ctx);
  const oldPrefix = String(ctx.run.notes.readerPrefix ?? "foo/");
  const [m] = await members(ctx);
  if (!m) throw new Error("E-05: no member");
  const keys = keysOf(m.kvs);
  const underOld = keys.filter((k) => k.startsWith(oldPrefix)).length;
  const underSlash = keys.filter((k) => k.startsWith(`/${oldPrefix}`)).length;
  const noSlash = keys.filter((k) => !k.startsWith("/"));
  if (noSlash.length) throw new Error(`E-05: v3 keys without a leading /: ${noSlash.join(", ")}`);
  const reader = `a reader on "${oldPrefix}" sees ${underOld} keys, on "/${oldPrefix}" ${underSlash}`;
  const online = ctx.run.online;
  if (online) {
    // storeshift states the mapping key by key in its result
    const mapped = new Set(online.migrated.map((k) => k.key));
    const unmapped = keys.filter((k) => !mapped.has(k) && !keysOf(ctx.v3Before).includes(k));
    return unmapped.length === 0
      ? {
          outcome: "fixed-by-storeshift",
          detail: `same keys as etcdctl (leading / kept), and the result maps each of the ${online.migrated.length} v2 keys to its v3 key and revision; ${reader}`,
        }
      : {
          outcome: "reproduced",
          detail: `keys with no mapping in the result: ${unmapped.join(", ")}; ${reader}`,
        };
  }
  return underOld === 0 && underSlash > 0
    ? { outcome: "reproduced", detail: `every key gained a leading /, no mapping reported; ${reader}` }
    : { outcome: "not-reproduced", detail: reader };
};

/** Polls until `check` is true or `ms` passed; returns whether it became true. */
async function eventually(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await sleep(500);
  }
}

/** E-06: TTL keys become permanent (default) or vanish (--no-ttl); storeshift's lease policy keeps the expiry. */
const e06: Judge = async (ctx) => {
  requireRan(ctx);
  const all = v2Leaves(ctx.v2Before);
  const ownTtl = all.filter((n) => n.expiration !== undefined);
  const shortest = [...ownTtl].sort(
    (a, b) => Date.parse(a.expiration ?? "") - Date.parse(b.expiration ?? ""),
  )[0];
  if (!shortest) throw new Error("E-06: the fixture has no TTL key");
  const [m] = await members(ctx);
  if (!m) throw new Error("E-06: no member");
  const kv = byKey(m.kvs);
  const leased = m.kvs.filter((k) => k.lease !== "0").map((k) => text(k.key));
  const present = ownTtl.filter((n) => kv.has(n.key)).map((n) => n.key);
  const dirChildren = all.filter((n) => n.expiration === undefined && kv.has(n.key)).length;
  const endpoint = ctx.endpoints[0] ?? "";
  const v2Gone = await eventually(async () => {
    const t = await readV2Tree(endpoint);
    return !v2Leaves(t).some((n) => n.key === shortest.key);
  }, 20_000);
  const v3Stays = (await readMember(endpoint)).kvs.some((k) => text(k.key) === shortest.key);
  const policy = ctx.run.online?.options.ttlPolicy;
  if (policy === "lease") {
    const v3Gone = await eventually(
      async () => !(await readMember(endpoint)).kvs.some((k) => text(k.key) === shortest.key),
      10_000,
    );
    return present.length === ownTtl.length && leased.length >= ownTtl.length && v2Gone && v3Gone
      ? {
          outcome: "fixed-by-storeshift",
          detail: `lease policy: ${ownTtl.length} TTL key(s) on leases (${leased.length} leased keys), ${dirChildren} key(s) without a TTL of their own; ${shortest.key} expired in v2 and in v3`,
        }
      : {
          outcome: "reproduced",
          detail: `lease policy: ${present.length}/${ownTtl.length} TTL keys, ${leased.length} leased; ${shortest.key} v2 gone ${v2Gone}, v3 gone ${v3Gone}`,
        };
  }
  const noTtl = ctx.run.migrator.includes("--no-ttl") || policy === "drop";
  if (noTtl) {
    return present.length === 0
      ? {
          outcome: "reproduced",
          detail: `--no-ttl: all ${ownTtl.length} key(s) with a TTL of their own dropped, ${dirChildren} key(s) under TTL dirs kept (permanent)`,
        }
      : { outcome: "not-reproduced", detail: `--no-ttl kept ${present.join(", ")}` };
  }
  return present.length === ownTtl.length && leased.length === 0 && v2Gone && v3Stays
    ? {
        outcome: "reproduced",
        detail: `${ownTtl.length} TTL key(s) migrated permanent (lease 0, no key on a lease); after ${shortest.key} expired in v2 its v3 copy stayed`,
      }
    : {
        outcome: "not-reproduced",
        detail: `${present.length}/${ownTtl.length} TTL keys present, ${leased.length} on leases, v2 expired ${v2Gone}, v3 copy stayed ${v3Stays}`,
      };
};

/** Members that disagree: hashkv at one revision, and each member's own key set. */
async function divergence(ctx: CaseContext): Promise<{ detail: string; diverged: boolean }> {
  const views = await members(ctx);
  const hashes = await hashKvAtOneRevision(ctx.endpoints);
  const sets = views.map((v) => new Set(keysOf(v.kvs)));
  const union = new Set(sets.flatMap((s) => [...s]));
  const notEverywhere = [...union].filter((k) => sets.some((s) => !s.has(k))).sort();
  const distinctHashes = new Set(hashes.map((h) => h.hash)).size;
  const counts = views.map((v) => v.kvs.length).join("/");
  return {
    diverged: distinctHashes > 1 || notEverywhere.length > 0,
    detail: `keys per member ${counts}; ${distinctHashes} distinct hashkv at revision ${hashes[0]?.revision}${notEverywhere.length ? `; ${notEverywhere.length} key(s) not on every member, e.g. ${notEverywhere.slice(0, 3).join(", ")}` : ""}`,
  };
}

/** E-07 / E-08: members that migrated different v2 states disagree; storeshift refuses or stays consistent. */
function memberAgreement(what: string, refusal: RegExp): Judge {
  return async (ctx) => {
    if (ctx.run.tool.storeshift && ctx.run.error) {
      const v3 = (await members(ctx)).reduce((n, m) => n + m.kvs.length, 0);
      return refusal.test(ctx.run.error) && v3 === ctx.v3Before.length
        ? {
            outcome: "fixed-by-storeshift",
            detail: `refused before touching a member: ${ctx.run.error.slice(0, 300)}`,
          }
        : { outcome: "reproduced", detail: `failed otherwise: ${ctx.run.error.slice(0, 300)}` };
    }
    requireRan(ctx);
    const { diverged, detail } = await divergence(ctx);
    if (ctx.run.tool.storeshift)
      return diverged
        ? { outcome: "reproduced", detail: `${what}: ${detail}` }
        : { outcome: "fixed-by-storeshift", detail: `members agree: ${detail}` };
    return diverged
      ? { outcome: "reproduced", detail: `${what}: ${detail}` }
      : { outcome: "not-reproduced", detail: `members agree: ${detail}` };
  };
}

/** E-10: v3 keys written before the migration survive it. */
const e10: Judge = async (ctx) => {
  const before = ctx.v3Before;
  if (before.length === 0) throw new Error("E-10: no v3 key existed before the migration");
  if (ctx.run.tool.storeshift && ctx.run.error) {
    const now = byKey((await members(ctx))[0]?.kvs ?? []);
    const intact = before.every((b) => now.get(text(b.key))?.modRevision === b.modRevision);
    return intact && /v3 key space holds/.test(ctx.run.error)
      ? {
          outcome: "fixed-by-storeshift",
          detail: `refused: ${ctx.run.error.slice(0, 300)}; all ${before.length} v3 keys intact`,
        }
      : { outcome: "reproduced", detail: `failed otherwise: ${ctx.run.error.slice(0, 300)}` };
  }
  requireRan(ctx);
  const now = byKey((await members(ctx))[0]?.kvs ?? []);
  const lost = before.filter((b) => {
    const got = now.get(text(b.key));
    return !got?.value.equals(b.value);
  });
  const migratedIdx = new Set(v2Leaves(ctx.v2Before).map((n) => n.modifiedIndex));
  const colliding = before
    .filter((b) => migratedIdx.has(b.modRevision))
    .map((b) => `${text(b.key)}@${b.modRevision}`);
  const v2Missing = v2Leaves(ctx.v2Before)
    .filter((n) => !now.has(n.key))
    .map((n) => n.key);
  if (lost.length)
    return {
      outcome: "reproduced",
      detail: `${lost.map((b) => text(b.key)).join(", ")} lost without an error (v3 revisions colliding with v2 indexes: ${colliding.join(", ") || "none"})`,
    };
  if (ctx.run.tool.storeshift)
    return v2Missing.length === 0
      ? {
          outcome: "fixed-by-storeshift",
          detail: `all ${before.length} v3 keys intact and every v2 key migrated beside them`,
        }
      : { outcome: "reproduced", detail: `v2 keys not migrated: ${v2Missing.join(", ")}` };
  return {
    outcome: "not-reproduced",
    detail: `all ${before.length} v3 keys intact (colliding revisions: ${colliding.join(", ") || "none"})`,
  };
};

/** E-11: the restart after a rollback; removing only `db` with snapshots present panics. */
const e11: Judge = async (ctx) => {
  const start = ctx.run.notes.rollbackStart as { ok: boolean; error?: string; log?: string } | undefined;
  if (!start) throw new Error("E-11: no rollback was attempted");
  if (!start.ok) {
    // etcd 3.4 logs JSON lines (zap); the fatal one says what it could not find
    const fatal = (start.log ?? "").split("\n").find((l) => /"level":"(panic|fatal)"/.test(l)) ?? "";
    const msg = fatal.match(/"msg":"([^"]+)"/)?.[1];
    const why = fatal.match(/"error":"([^"]+)"/)?.[1];
    const panic = msg
      ? `${msg}${why ? `: ${why}` : ""}`
      : (start.log ?? "").match(/panic:?[^\n]{0,200}/)?.[0];
    return {
      outcome: "reproduced",
      detail: `etcd did not start after the rollback: ${panic ?? start.error ?? "?"}`,
    };
  }
  const v2After = await readV2Tree(ctx.endpoints[0] ?? "");
  const before = new Map(v2Leaves(ctx.v2Before).map((n) => [n.key, n]));
  const after = v2Leaves(v2After);
  const v2Same =
    after.length === before.size &&
    after.every((n) => {
      const b = before.get(n.key);
      return b && b.value === n.value && b.modifiedIndex === n.modifiedIndex;
    });
  const v3 = (await members(ctx)).reduce((n, m) => n + m.kvs.length, 0);
  const ok = v2Same && v3 === ctx.v3Before.length;
  const how = String(ctx.run.notes.rollback ?? "rollback");
  return ok
    ? {
        outcome: ctx.run.tool.storeshift ? "fixed-by-storeshift" : "not-reproduced",
        detail: `${how}: restarted; v2 tree as before (${after.length} keys, indexes equal), v3 back to ${v3} keys`,
      }
    : { outcome: "reproduced", detail: `${how}: restarted but v2 same ${v2Same}, v3 keys ${v3}` };
};

/** E-14: etcdctl 3.5+ has no migrate; storeshift refuses such an etcdctl before touching a member. */
const e14: Judge = async (ctx) => {
  const v3 = (await members(ctx)).reduce((n, m) => n + m.kvs.length, 0);
  if (ctx.run.tool.storeshift) {
    const err = ctx.run.error ?? "";
    return /no `migrate` command/.test(err) && v3 === 0
      ? {
          outcome: "fixed-by-storeshift",
          detail: `refused up front, members untouched: ${err.slice(0, 300)}`,
        }
      : { outcome: "reproduced", detail: err ? `failed otherwise: ${err}` : "it ran" };
  }
  const [run] = rawRuns(ctx);
  if (!run) throw new Error("E-14: no run");
  return run.exitCode !== 0
    ? {
        outcome: "reproduced",
        detail: `etcdctl ${ctx.run.tool.version} migrate: rc ${run.exitCode}, "${lastLine(run)}"; v3 keys ${v3}`,
      }
    : { outcome: "not-reproduced", detail: `etcdctl ${ctx.run.tool.version} migrate ran: ${lastLine(run)}` };
};

/** E-15: shapes not carried faithfully: storeshift must flag them, etcdctl does so silently. */
const e15: Judge = async (ctx) => {
  if (ctx.run.tool.storeshift && ctx.run.error) {
    return /above|too large|request/i.test(ctx.run.error) &&
      (await members(ctx)).every((m) => m.kvs.length === 0)
      ? { outcome: "fixed-by-storeshift", detail: `refused before any write: ${ctx.run.error.slice(0, 300)}` }
      : { outcome: "reproduced", detail: `failed otherwise: ${ctx.run.error}` };
  }
  requireRan(ctx);
  const [m] = await members(ctx);
  if (!m) throw new Error("E-15: no member");
  const kv = byKey(m.kvs);
  const facts: string[] = [];
  const upd = v2Leaves(ctx.v2Before).find((n) => n.createdIndex !== n.modifiedIndex);
  const updKv = upd ? kv.get(upd.key) : undefined;
  if (upd && updKv) facts.push(`${upd.key} updated in v2, version ${updKv.version} in v3`);
  const fffd = m.kvs.filter((k) => k.value.includes(Buffer.from([0xef, 0xbf, 0xbd])));
  if (fffd.length) facts.push(`${fffd.map((k) => text(k.key)).join(", ")} holds U+FFFD for invalid bytes`);
  const big = m.kvs.filter((k) => k.value.length > 1_572_864);
  if (big.length)
    facts.push(
      `${big.map((k) => `${text(k.key)} (${k.value.length} bytes)`).join(", ")} above the 1.5 MiB request limit written`,
    );
  const online = ctx.run.online;
  if (online) {
    const ex = Object.entries(online.excluded)
      .filter(([, n]) => n > 0)
      .map(([why, n]) => `${why} ${n}`)
      .join(", ");
    const lost = fffd.length > 0 || (updKv?.version ?? 1) > 1;
    return {
      outcome: lost && !ex ? "reproduced" : "fixed-by-storeshift",
      detail: `exclusions counted in the result (${ex || "none"})${online.options.includeHidden.length ? `, hidden keys copied by name: ${online.options.includeHidden.join(", ")}` : ""}; ${facts.join("; ") || "every value carried"}`,
    };
  }
  // listings never show hidden nodes: the fixture's names are the only way to ask for them
  const hidden = (ctx.run.notes.hidden as string[] | undefined) ?? [];
  const hiddenGone = hidden.filter((h) => !m.kvs.some((kv) => text(kv.key).startsWith(h)));
  if (hiddenGone.length) facts.unshift(`hidden ${hiddenGone.join(", ")} absent, not counted anywhere`);
  return facts.length
    ? { outcome: "reproduced", detail: `silently: ${facts.join("; ")}` }
    : { outcome: "not-reproduced", detail: "every shape carried" };
};

/** E-16: a failing transformer leaves partial keys (etcdctl) / the member restored (storeshift). */
const e16: Judge = async (ctx) => {
  const [m] = await members(ctx);
  if (!m) throw new Error("E-16: no member");
  const kind = String(ctx.run.notes.transformer ?? "");
  if (ctx.run.tool.storeshift) {
    const err = ctx.run.error ?? "";
    return err && m.kvs.length === ctx.v3Before.length
      ? {
          outcome: "fixed-by-storeshift",
          detail: `${kind}: refused (${err.slice(0, 160)}); the member's data dir restored from its backup, v3 has ${m.kvs.length} keys`,
        }
      : {
          outcome: "reproduced",
          detail: `${kind}: ${err ? `refused, but v3 has ${m.kvs.length} keys` : "accepted"}`,
        };
  }
  const [run] = rawRuns(ctx);
  if (!run) throw new Error("E-16: no run");
  const said = lastLine(run);
  if (run.exitCode === 0 && run.stdout.includes("finished transforming keys"))
    return {
      outcome: "reproduced",
      detail: `${kind}: accepted, rc 0 "finished transforming keys"; v3 has ${m.kvs.length} keys`,
    };
  if (run.exitCode !== 0 && m.kvs.length > ctx.v3Before.length)
    return {
      outcome: "reproduced",
      detail: `${kind}: rc ${run.exitCode} "${said}", yet ${m.kvs.length} partial key(s) in v3 (${keysOf(m.kvs).join(", ")})`,
    };
  return {
    outcome: "not-reproduced",
    detail: `${kind}: rc ${run.exitCode} "${said}", v3 has ${m.kvs.length} keys`,
  };
};

export const JUDGES: Record<string, Judge> = {
  "E-01": e01,
  "E-02": e02,
  "E-03": e03,
  "E-04": e04,
  "E-05": e05,
  "E-06": e06,
  "E-07": memberAgreement(
    "members migrated at different moments of TTL expiry disagree",
    /etcd-io\/etcd#8305/,
  ),
  "E-08": memberAgreement("a member that lagged behind migrated fewer keys", /raft index|not running/),
  "E-10": e10,
  "E-11": e11,
  "E-14": e14,
  "E-15": e15,
  "E-16": e16,
};

/** The judge of a case; throws naming the cases storeshift has judges for. */
export function judgeOf(caseId: string): Judge {
  const j = JUDGES[caseId];
  if (!j) throw new Error(`upstream case ${caseId}: no judge (known: ${Object.keys(JUDGES).join(", ")})`);
  return j;
}

/** The tail of a member log, for a start-up failure. */
export async function logTail(file: string, lines = 40): Promise<string> {
  try {
    return (await readFile(file, "utf8")).split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

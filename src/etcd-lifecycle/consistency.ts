import { etcdClient } from "../common/etcd-client.js";
import { sleep } from "../common/wait.js";
import type { Difference } from "../diff/types.js";
import { readV3Range, type V3Kv } from "../etcd-v2v3/v3.js";
import { compareHashes, hashKvAtOneRevision, retrying } from "../etcd-v3-oracle/index.js";

/** A member by its name in the cluster and its client URL. */
export interface MemberRef {
  name: string;
  endpoint: string;
}

/** One member's whole v3 key space, read serializably: what that member itself holds, not the leader. */
export interface MemberRead {
  member: string;
  endpoint: string;
  revision: number;
  kvs: V3Kv[];
}

/** What every member holds, and what it should hold (a reference read, or member 0's). */
export interface ConsistencyReport {
  reads: MemberRead[];
  hashes: { endpoint: string; revision: number; hash: string }[];
  differences: Difference[];
}

export async function readMemberSerializable(member: MemberRef): Promise<MemberRead> {
  return retrying(`serializable read of etcd member ${member.name} at ${member.endpoint}`, async () => {
    const client = etcdClient([member.endpoint], { purpose: "member consistency check" });
    try {
      const { kvs, revision } = await readV3Range(client, "", { serializable: true });
      return { member: member.name, endpoint: member.endpoint, revision, kvs };
    } finally {
      client.close();
    }
  });
}

function kvFields(kv: V3Kv) {
  return {
    value: kv.value.toString("utf8"),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    lease: kv.lease,
  };
}

/**
 * A member's read against the reference: every key present with the same value bytes, revisions,
 * version and lease; no key beyond them; the same store revision. Pure.
 */
export function compareRead(
  read: MemberRead,
  reference: { label: string; revision: number; kvs: V3Kv[] },
): Difference[] {
  const out: Difference[] = [];
  const kind = `member ${read.member}`;
  const mine = new Map(read.kvs.map((kv) => [kv.key.toString("utf8"), kv]));
  const theirs = new Map(reference.kvs.map((kv) => [kv.key.toString("utf8"), kv]));
  for (const [key, want] of theirs) {
    const got = mine.get(key);
    if (!got) {
      out.push({
        class: "missing",
        id: `etcd:${key}`,
        kind,
        path: "",
        expected: kvFields(want),
        note: `${read.endpoint} lacks it; ${reference.label} has it`,
      });
      continue;
    }
    const a = kvFields(want);
    const b = kvFields(got);
    for (const field of Object.keys(a) as (keyof typeof a)[])
      if (a[field] !== b[field])
        out.push({
          class: "changed",
          id: `etcd:${key}`,
          kind,
          path: field,
          expected: a[field],
          actual: b[field],
          note: `${read.endpoint} vs ${reference.label}`,
        });
  }
  for (const [key, got] of mine)
    if (!theirs.has(key))
      out.push({
        class: "unexpected",
        id: `etcd:${key}`,
        kind,
        path: "",
        actual: kvFields(got),
        note: `${read.endpoint} has it; ${reference.label} does not`,
      });
  if (read.revision !== reference.revision)
    out.push({
      class: "changed",
      id: `etcd-member:${read.member}`,
      kind,
      path: "revision",
      expected: reference.revision,
      actual: read.revision,
      note: `store revision of ${read.endpoint} vs ${reference.label}`,
    });
  return out;
}

/**
 * Per-member consistency: `hashkv` of every member at one revision (the lowest current one) and a
 * serializable read of every member compared with `reference` (default: the first member's read).
 * hashkv alone is not enough: a member whose revision is behind (an empty one added after an
 * offline migration) is hashed at its own low revision, where every member agrees. A member that
 * was just (re)started may still be applying its log, so a differing read is read again for up to
 * `settleMs` before it counts.
 */
export async function checkMemberConsistency(
  members: MemberRef[],
  reference?: { label: string; revision: number; kvs: V3Kv[] },
  settleMs = 5_000,
): Promise<ConsistencyReport> {
  const reads: MemberRead[] = [];
  const differences: Difference[] = [];
  const first = members[0];
  if (!first) return { reads, hashes: [], differences };
  const started = Date.now();
  for (const member of members) {
    for (;;) {
      const read = await readMemberSerializable(member);
      const ref = reference ?? (reads[0] ? { label: `member ${reads[0].member}`, ...reads[0] } : undefined);
      const diff = ref ? compareRead(read, ref) : [];
      if (diff.length === 0 || Date.now() - started > settleMs) {
        reads.push(read);
        differences.push(...diff);
        break;
      }
      await sleep(500);
    }
  }
  const hashes = await hashKvAtOneRevision(members.map((m) => m.endpoint));
  differences.push(...compareHashes(hashes));
  return { reads, hashes, differences };
}

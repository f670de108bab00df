import { requireBinary } from "../src/binaries/install.js";
import { isMissing, locate } from "../src/binaries/locate.js";
import { errorMessage } from "../src/common/errors.js";
import type { Difference } from "../src/diff/types.js";
import {
  checkMemberConsistency,
  checkV2StoreEveryMember,
  classifyV2Refusal,
  forceV2Snapshot,
  memberRefs,
  purgeV2Store,
  type RollResult,
  readMemberSerializable,
  rollMembers,
} from "../src/etcd-lifecycle/index.js";
import { step } from "./support/define.js";
import type { MemberReference } from "./support/scenario-state.js";
import type { StoreshiftWorld } from "./support/world.js";

const area = "etcd: after the migration";

function reference(world: StoreshiftWorld, name: string): MemberReference {
  return world.lifecycle.references.get(name);
}

/** Each member restarted in a roll is one check: what every member held right after it. */
function recordRoll(world: StoreshiftWorld, name: string, what: string, roll: RollResult): void {
  for (const s of roll.steps)
    world.record.expectCheck(
      // the restart time goes in the message: a check's name must be the same in every run
      `${what}: after member ${s.member} restarted with etcd ${s.version}, every member of ${name} holds what it held before (serializable reads, hashkv at one revision)`,
      s.differences,
      `member ${s.member} back in ${s.durationMs} ms`,
    );
}

async function binaryFor(major: number, minor: number) {
  if (major === 3 && minor === 5) return requireBinary("etcd-3.5");
  if (major === 3 && minor === 6) return requireBinary("etcd");
  throw new Error(`upgrade to etcd ${major}.${minor}: storeshift upgrades to 3.5 or 3.6`);
}

step(
  "Given",
  "the etcd 3.5 build for the upgrade step",
  {
    area,
    example: "Given the etcd 3.5 build for the upgrade step",
    doc: "etcd 3.5 (`storeshift install --tool etcd-3.5`) is in the cache; where it is not, the scenario is not run, with that reason (a run never builds it).",
  },
  async function () {
    const found = await locate("etcd-3.5");
    if (isMissing(found)) {
      this.record.reason = `needs etcd 3.5: ${found.reason}`;
      return "skipped";
    }
    return undefined;
  },
);

step(
  "Given",
  "an etcd {int}.{int} cluster {string} of {int} members with the v2 API",
  {
    area,
    example: 'Given an etcd 3.5 cluster "source" of 3 members with the v2 API',
    doc: "The scenario's own N-member cluster serving the v2 API: 3.4 is Debian's 3.4.23, 3.5 storeshift's 3.5 build with `--enable-v2`.",
  },
  async function (major: number, minor: number, name: string, members: number) {
    if (major !== 3 || (minor !== 4 && minor !== 5))
      throw new Error(`etcd ${major}.${minor} with the v2 API: only 3.4 and 3.5 serve it`);
    await this.record.phase(`provision etcd ${major}.${minor} ${name}`, () =>
      this.useEtcd(name, { etcd: "v2", members, line: minor === 4 ? "v2-capable" : "3.5" }),
    );
  },
);

step(
  "When",
  "I read what every member of etcd {string} holds",
  {
    area,
    example: 'When I read what every member of etcd "source" holds',
    doc: "Serializable reads of every member's whole v3 key space and hashkv at one revision: all must agree; member 0's read is what later steps compare every member with.",
  },
  async function (name: string) {
    const refs = memberRefs(this.etcd(name));
    const first = await readMemberSerializable(refs[0] ?? { name: "m0", endpoint: "" });
    const ref: MemberReference = {
      label: `what ${first.member} held before`,
      revision: first.revision,
      kvs: first.kvs,
    };
    const report = await this.record.phase("per-member reads", () => checkMemberConsistency(refs, ref));
    this.record.expectCheck(
      `every member of ${name} holds the same ${first.kvs.length} keys at revision ${first.revision}`,
      report.differences,
    );
    this.lifecycle.references.set(name, ref);
  },
);

step(
  "When",
  "I restart every member of etcd {string} one at a time",
  {
    area,
    example: 'When I restart every member of etcd "source" one at a time',
    doc: "A rolling restart on the same binary and data dirs; after each member, every member must still hold what it held before (serializable reads, hashkv at one revision).",
  },
  async function (name: string) {
    const cluster = this.etcd(name);
    const roll = await this.record.phase("rolling restart", () =>
      rollMembers(cluster, { enableV2: cluster.options.enableV2, reference: reference(this, name) }),
    );
    recordRoll(this, name, "rolling restart", roll);
  },
);

step(
  "When",
  "I add a member to etcd {string}",
  {
    area,
    example: 'When I add a member to etcd "source"',
    doc: "`member add` through member 0, then a new member on an empty data dir (`--initial-cluster-state=existing`, same version and flags) until /health: it holds whatever raft sends it.",
  },
  async function (name: string) {
    await this.record.phase("member add", () => this.etcd(name).addMember());
  },
);

step(
  "Then",
  "every member of etcd {string} holds what it held before",
  {
    area,
    example: 'Then every member of etcd "source" holds what it held before',
    doc: "Every member (added ones too) against the read of `I read what every member … holds`: same keys, values, revisions, versions, leases and store revision, read serializably from that member; hashkv equal at one revision.",
  },
  async function (name: string) {
    const refs = memberRefs(this.etcd(name));
    const report = await this.record.phase("per-member consistency", () =>
      checkMemberConsistency(refs, reference(this, name)),
    );
    this.record.expectCheck(
      `all ${refs.length} members of ${name} hold what they held before (serializable reads, hashkv)`,
      report.differences,
    );
  },
);

step(
  "Then",
  "the member added to etcd {string} after the migration lacks the migrated v3 data, as upstream case E-09 says",
  {
    area,
    example:
      'Then the member added to etcd "source" after the migration lacks the migrated v3 data, as upstream case E-09 says',
    doc: "The per-member check run on purpose where etcd ≤ 3.4 is known to fail it: the added member (the last) must be the only one named, for missing keys; the E-09 verdict is recorded (reproduced, or not-reproduced and the step fails: upstream changed).",
  },
  async function (name: string) {
    const cluster = this.etcd(name);
    const refs = memberRefs(cluster);
    const added = refs[refs.length - 1]?.name ?? "";
    const report = await this.record.phase("per-member consistency", () =>
      checkMemberConsistency(refs, reference(this, name), 10_000),
    );
    const named = [...new Set(report.differences.map((d) => d.kind))];
    const others = named.filter((k) => k.startsWith("member ") && k !== `member ${added}`);
    const missing = report.differences.filter(
      (d) => d.class === "missing" && d.kind === `member ${added}`,
    ).length;
    const expectedKeys = reference(this, name).kvs.length;
    const reproduced = others.length === 0 && missing === expectedKeys && expectedKeys > 0;
    const detail = reproduced
      ? `member ${added}, added after the offline migration, serves none of the ${expectedKeys} migrated v3 keys (its serializable read is empty, store revision ${report.reads.at(-1)?.revision}); the others hold them; hashkv at the lowest revision does not show it`
      : `per-member check named ${named.join(", ") || "no member"}, ${missing} of ${expectedKeys} keys missing on ${added}`;
    this.record.upstreamCase({
      caseId: "E-09",
      tool: "etcd",
      toolVersion: cluster.version,
      outcome: reproduced ? "reproduced" : "not-reproduced",
      detail,
    });
    // the differences are what the harness found: shown, accounted for by the case they reproduce
    this.record.check(
      `the per-member check catches E-09 on ${name}: ${detail}`,
      report.differences.map((d) => ({ ...d, class: "accounted" as const, rule: "upstream case E-09" })),
    );
    if (!reproduced) throw new Error(`E-09 not reproduced on etcd ${cluster.version}: ${detail}`);
  },
);

step(
  "When",
  "I purge the v2 store of etcd {string}",
  {
    area,
    example: 'When I purge the v2 store of etcd "source"',
    doc: "The upgrade guide's clean-up: delete every listed v2 key, then restart each member once with `--snapshot-count=1` and once with its own flags, so a v2 snapshot covers the deletes.",
  },
  async function (name: string) {
    await this.record.phase("purge v2", () => purgeV2Store(this.etcd(name)));
  },
);

step(
  "When",
  "I force a v2 snapshot on every member of etcd {string}",
  {
    area,
    example: 'When I force a v2 snapshot on every member of etcd "source"',
    doc: "Each member restarted once with `--snapshot-count=1` and once with its own flags: a `.snap` (v2 store included) is written on every member.",
  },
  async function (name: string) {
    await this.record.phase("force v2 snapshot", () => forceV2Snapshot(this.etcd(name)));
  },
);

step(
  "When",
  "I delete every v2 key of etcd {string} without forcing a v2 snapshot",
  {
    area,
    example: 'When I delete every v2 key of etcd "source" without forcing a v2 snapshot',
    doc: "The clean-up without its second half: the v2 store is empty, but the deletes (and the sets before them) are WAL records after the last v2 snapshot.",
  },
  async function (name: string) {
    await this.record.phase("delete v2 keys", () => purgeV2Store(this.etcd(name), { forceSnapshot: false }));
  },
);

step(
  "When",
  "I upgrade etcd {string} to {int}.{int} member by member",
  {
    area,
    example: 'When I upgrade etcd "source" to 3.5 member by member',
    doc: "Each member in turn restarted on its own data dir with etcd 3.5 (v2 API kept if it had it) or 3.6 (no v2 flags); after each, every member must hold what it held before; then the cluster version must reach the new minor.",
  },
  async function (name: string, major: number, minor: number) {
    const binary = await binaryFor(major, minor);
    const roll = await this.record.phase(`upgrade to ${binary.version}`, () =>
      rollMembers(this.etcd(name), { binary, enableV2: minor < 6, reference: reference(this, name) }),
    );
    recordRoll(this, name, `upgrade to ${binary.version}`, roll);
  },
);

step(
  "When",
  "I try to upgrade etcd {string} to {int}.{int} member by member",
  {
    area,
    example: 'When I try to upgrade etcd "source" to 3.6 member by member',
    doc: "As above, keeping a refusal (a member that will not start) for a Then step instead of failing here.",
  },
  async function (name: string, major: number, minor: number) {
    const binary = await binaryFor(major, minor);
    this.lastError = undefined;
    try {
      const roll = await rollMembers(this.etcd(name), {
        binary,
        enableV2: minor < 6,
        reference: reference(this, name),
      });
      recordRoll(this, name, `upgrade to ${binary.version}`, roll);
    } catch (err) {
      this.lastError = err as Error;
    }
  },
);

step(
  "Then",
  "the upgrade of etcd {string} was refused at member {string}: v2 data left behind, upstream case {string}",
  {
    area,
    example:
      'Then the upgrade of etcd "source" was refused at member "m0": v2 data left behind, upstream case "E-12"',
    doc: "The harness's verdict on a refused upgrade must name the member and, from what etcd logged, the reason: custom content in the v2 store's snapshot (E-12) or v2 WAL records after the last v2 snapshot (E-13); the verdict is recorded for that case.",
  },
  function (name: string, member: string, caseId: string) {
    const err = this.lastError;
    const version =
      this.etcd(name)
        .members.map((m) => m.version)
        .find((v) => v.startsWith("3.6")) ?? "3.6";
    if (!err) {
      this.record.upstreamCase({
        caseId,
        tool: "etcd",
        toolVersion: version,
        outcome: "not-reproduced",
        detail: "every member started on 3.6",
      });
      throw new Error(`the upgrade of etcd ${name} was not refused: every member started`);
    }
    const message = errorMessage(err);
    const refusal = classifyV2Refusal(message);
    if (!message.includes(`member ${member} `))
      throw new Error(`the upgrade of etcd ${name} was refused, but not at member ${member}: ${message}`);
    if (!refusal)
      throw new Error(`the upgrade of etcd ${name} was refused for another reason than v2 data: ${message}`);
    const logged = message.slice(message.indexOf("etcd logged:"));
    this.record.upstreamCase({
      caseId: refusal.caseId,
      tool: "etcd",
      toolVersion: version,
      outcome: "reproduced",
      detail: `member ${member} refused to start on etcd ${version}: ${refusal.what}; ${logged.slice(0, 240)}`,
    });
    if (refusal.caseId !== caseId)
      throw new Error(
        `the upgrade of etcd ${name} was refused for ${refusal.what} (${refusal.caseId}), not ${caseId}: ${logged}`,
      );
    this.record.check(
      `the upgrade of ${name} to ${version} is refused at member ${member}: ${refusal.what} (${refusal.caseId})`,
      [],
    );
  },
);

step(
  "Then",
  "every member of etcd {string} runs etcd {int}.{int}, the v2 data gone",
  {
    area,
    example: 'Then every member of etcd "source" runs etcd 3.6, the v2 data gone',
    doc: "Each member's /version reports that server version and the cluster version is that minor: 3.6 started on every data dir, so the v2 purge left nothing it refuses (upstream case E-12, recorded as fixed by storeshift's purge).",
  },
  async function (name: string, major: number, minor: number) {
    const want = `${major}.${minor}.`;
    const differences: Difference[] = [];
    for (const m of this.etcd(name).members) {
      const response = await fetch(`${m.clientUrl}/version`, { signal: AbortSignal.timeout(5000) });
      const body = (await response.json()) as { etcdserver?: string; etcdcluster?: string };
      for (const [path, value] of [
        ["etcdserver", body.etcdserver],
        ["etcdcluster", body.etcdcluster],
      ] as const)
        if (!value?.startsWith(want))
          differences.push({
            class: "changed",
            id: `etcd-member:${m.name}`,
            kind: "version",
            path,
            expected: `${major}.${minor}.x`,
            actual: value,
          });
    }
    this.record.expectCheck(
      `every member of ${name} runs etcd ${major}.${minor} (server and cluster version)`,
      differences,
    );
    const version = this.etcd(name).members[0]?.version ?? "";
    this.record.upstreamCase({
      caseId: "E-12",
      tool: "storeshift",
      toolVersion: version,
      outcome: "fixed-by-storeshift",
      detail: `after the v2 purge (every v2 key deleted, then a v2 snapshot forced on each member with --snapshot-count=1), all ${this.etcd(name).members.length} members started on etcd ${version} with their data dirs and hold what they held before`,
    });
  },
);

step(
  "When",
  "I check the v2 store of every member of etcd {string} with etcdutl 3.5",
  {
    area,
    example: 'When I check the v2 store of every member of etcd "source" with etcdutl 3.5',
    doc: "The 3.6 upgrade guide's pre-check `etcdutl check v2store --data-dir D --wal-dir W` (etcdutl 3.5) on each member, stopped for the check and started again.",
  },
  async function (name: string) {
    const etcdutl = await requireBinary("etcdutl-3.5");
    const checks = await this.record.phase("etcdutl check v2store", () =>
      checkV2StoreEveryMember(this.etcd(name), etcdutl),
    );
    this.lifecycle.v2StoreChecks.set(name, { version: etcdutl.version, checks });
  },
);

step(
  "Then",
  "etcdutl's v2 store check of member {string} of etcd {string} agrees with what 3.6 did",
  {
    area,
    example: 'Then etcdutl\'s v2 store check of member "m0" of etcd "source" agrees with what 3.6 did',
    doc: "The checker against the real start-up: `custom content` where 3.6 refused the member, `clean` where it started; a clean verdict on a member 3.6 refused is upstream case E-13 (recorded either way, for the etcdutl version).",
  },
  function (member: string, name: string) {
    const { version, checks } = this.lifecycle.v2StoreChecks.get(name);
    const check = checks.find((c) => c.member === member);
    if (!check) throw new Error(`no v2 store check of member ${member} of etcd ${name}`);
    const message = this.lastError ? errorMessage(this.lastError) : "";
    const refused = message.includes(`member ${member} `);
    const agrees = (check.verdict === "custom-content") === refused && check.verdict !== "unknown";
    const detail = `etcdutl ${version} check v2store on ${member}: ${check.verdict} (${check.output}); etcd 3.6 ${refused ? "refused the member" : "started the member"}`;
    this.record.upstreamCase({
      caseId: "E-13",
      tool: "etcdutl check v2store",
      toolVersion: version,
      outcome: agrees ? "not-reproduced" : "reproduced",
      detail,
    });
    this.record.expectCheck(
      `etcdutl check v2store agrees with etcd 3.6 on member ${member} of ${name}`,
      agrees
        ? []
        : [
            {
              class: "changed",
              id: `etcd-member:${member}`,
              kind: "v2store check",
              path: "verdict",
              expected: refused ? "custom-content" : "clean",
              actual: check.verdict,
              note: detail,
            },
          ],
    );
  },
);

/**
 * After a migration: what the cluster must still do (docs/lifecycle.md). Restart every member, add a
 * member, purge the v2 store and upgrade member by member 3.4 → 3.5 → 3.6, with per-member
 * consistency (hashkv at one revision, serializable reads) at every step.
 */
export {
  type ConsistencyReport,
  checkMemberConsistency,
  compareRead,
  type MemberRead,
  type MemberRef,
  readMemberSerializable,
} from "./consistency.js";
export { flagsForVersion, minorVersion, withFlag } from "./flags.js";
export { memberRefs, type RollResult, type RollStep, rollMembers } from "./upgrade.js";
export { checkV2StoreEveryMember, type V2StoreCheck } from "./v2-check.js";
export { forceV2Snapshot, purgeV2Store, type V2PurgeResult } from "./v2-purge.js";
export { classifyV2Refusal, parseCheckV2Store, type V2Refusal } from "./v2-verdict.js";
